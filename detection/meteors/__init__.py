"""Meteor verification: lit pixels, lines in (x, y, frame), centroids, checks, the detector, windows.

A room of ``detection``: its modules are imported by their full names; the package's public face
is ``detection/__init__.py``.

- ``_fit``: A track's straight line and what lies around it, measured across the blocks of the data.
- ``background``: Event clips on their own terms: background and noise from the frames before the event.
- ``centroids``: Per-frame centroids of a moving head, in FF planes or in decoded frames, and the line
  through them.
- ``checks``: The verification checks of a meteor detection, each a :class:`Check` with its value and limit.
- ``damage``: Frames damaged by the codec: blocks or tearing over a large part of the image, appearing
  and vanishing at once.
- ``detector``: Meteor verification: find meteors in FF planes or decoded frames and say how each one fared.
- ``glare``: Pieces of a saturated head's glare, dropped beside the head's own detection.
- ``halo``: A moving head's halo versus a change of the whole image, from the lit pixels around a track.
- ``lines``: Lit pixels of an FF block and straight tracks through them in (x, y, frame) space.
- ``record``: The record of a meteor detection: per-frame points, the fitted line, the checks, and its
  JSON form.
- ``saturation``: Pixels at the sensor's top, and a saturated head's position from its clipped core.
- ``settings``: Settings of meteor verification: one frozen :class:`MeteorSettings`, validated where it
  is made.
- ``short_track``: Evidence a short track needs: a 4- or 5-frame track passes only when what it is made
  of is a meteor's.
- ``sky_lift``: The lift of the whole sky per frame, and whether it follows a head's light (a glow).
- ``sky_track``: A meteor's track as the camera sees it: a straight line on the image, or a great circle on
  the sky; pieces of one track joined.
- ``track_ends``: The ends of an established slow track, followed frame by frame in the frames themselves
  (opt-in: ``MeteorSettings.follow_track_ends``).
- ``track_image``: The picture of a meteor: a stack of its frames with the detected track marked, as a JPEG.
- ``verify``: Verification of a minute's candidates: decode the frames around each one and detect meteors
  there.
- ``video_detect``: Meteor detection on a whole file: an FF block (``FF_*.fits``) or a video of any container
  and size.
"""
