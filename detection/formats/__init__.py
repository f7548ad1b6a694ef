"""File formats of the Global Meteor Network and RMS: FF files (FITS), FTPdetectinfo, station masks.

A room of ``detection``: its modules are imported by their full names; the package's public face
is ``detection/__init__.py``.

- ``ff_file``: FF files: FF blocks as RMS-compatible FITS.
- ``ftpdetectinfo``: FTPdetectinfo: the per-night text list of meteor detections of CAMS and RMS (Global
  Meteor Network).
- ``mask``: Station masks: which pixels detection ignores (trees, buildings, the camera housing, street
  lights).
"""
