"""Scan-and-stack: one decode pass per minute gives FF blocks, per-frame values and the stack.

A room of ``detection``: its modules are imported by their full names; the package's public face
is ``detection/__init__.py``.

- ``_ff_kernels``: Numba kernels of FF (four-frame temporal pixel) compression, each with its numpy twin.
- ``_values_kernels``: Numba kernel of the per-frame values pass, and its plain numpy twin.
- ``ff``: FF blocks: four-plane temporal compression of a block of video frames.
- ``minute``: Scan-and-stack: one decode pass over a minute video gives its FF blocks, per-frame values and
  stack.
- ``stack``: Max-pixel stack of a minute and its small preview image.
- ``values``: Per-frame values of a minute of video, computed in the scan's single decode pass.
"""
