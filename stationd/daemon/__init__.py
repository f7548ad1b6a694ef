"""The daemon's machinery: main loop, worker processes, file watcher, systemd notify, lock, owners.

A room of ``stationd``: its modules are imported by their full names; the package's public face
is ``stationd/__init__.py``.

- ``lock``: One daemon per data directory: an exclusive ``flock`` on ``<data_dir>/stationd.lock`` holding the
  pid.
- ``loop``: ``stationd run``: the long-running service of a station (DESIGN 5).
- ``notify``: systemd's notify protocol with the standard library: datagrams of ``KEY=value`` lines to
  $NOTIFY_SOCKET.
- ``owner``: Who holds a claim: a token naming this host, process id and the process's start time.
- ``watcher``: Hearing new minute files: inotify close-after-write and moved-in events in the cameras'
  incoming folders.
- ``workers``: The daemon's worker processes and its bounded, prioritised work queue.
"""
