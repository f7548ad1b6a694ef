"""Synthetic sky video with known truth (stars, meteors, hard negatives) for tests, the demo and bench.

Not detection itself: the generator detection is tested with. It uses ``calibration`` for the sky.

A room of ``detection``: its modules are imported by their full names; the package's public face
is ``detection/__init__.py``.

- ``_arcs``: Meteors placed on the sky: a head moving along a great circle, rendered through the camera model.
- ``_disturb``: Changes of the whole image that are not meteors: codec damage, gain steps, all stars
  brightening.
- ``_kernels``: Kernels of the synthetic sky generator: counter-based Gaussian noise and frame quantisation.
- ``_objects``: Things that cross a synthetic sky: meteors and the hard negatives (planes, satellites, hot
  pixels,
- ``_random``: Random scenes of the all-sky camera and of whole-image disturbances.
- ``_render``: Rendering helpers of the synthetic sky: light along a moving head, star stamps, patches.
- ``_stars``: The star field and sky background of a synthetic video.
- ``sky``: Synthetic sky videos with known truth, for tests, the demo and benchmarks.
"""
