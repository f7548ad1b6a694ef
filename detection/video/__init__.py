"""Reading video: decoding minute files into luma frames, windows of frames, trimmed clips.

A room of ``detection``: its modules are imported by their full names; the package's public face
is ``detection/__init__.py``.

- ``clip``: Trimmed clips of a meteor: the frames around it, cut out of a minute video into a small MP4.
- ``decode``: Decoding minute videos into 8-bit luma frames.
- ``window``: Reading a range of frames of a video: the frames around a candidate, for verification and clips.
"""
