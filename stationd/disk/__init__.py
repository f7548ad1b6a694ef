"""The station's data on disk: layout, state store, atomic writes, meteor records, exports.

A room of ``stationd``: its modules are imported by their full names; the package's public face
is ``stationd/__init__.py``.

- ``atomic``: Atomic file writes and moves: write to a temporary name in the same folder, fsync, rename.
- ``discover``: Finding minute files: in the cameras' incoming folders, and in a day's video folders on
  reprocess.
- ``exports``: Exports of a day's meteors in the formats of the Global Meteor Network: FTPdetectinfo (12
  columns).
- ``layout``: The station's on-disk layout (DESIGN 3) and the names of minute files.
- ``network_state``: Events, revisions and claims of the network in the state store (schema version 5,
  DESIGN 5 and 6).
- ``products``: Writing what a scan produced, the same way for a station's minute and a standalone ``stationd
  scan``.
- ``records``: Meteor records on disk: ``days/<day>/<camera>/meteors/<meteor_id>/meteor.json`` and its
  products.
- ``state``: The state store: the single record of what has been done (DESIGN 5), SQLite in WAL mode.
- ``views``: Read-only views of the state store, as plain data: what ``stationd status --json`` prints.
"""
