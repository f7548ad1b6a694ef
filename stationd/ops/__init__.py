"""Operations: health checks, alerts, retention, logging, night summaries, the sun, installing.

A room of ``stationd``: its modules are imported by their full names; the package's public face
is ``stationd/__init__.py``.

- ``alerts``: Alerts and their delivery by e-mail (an SMTP relay, :mod:`smtplib`) and webhook (a JSON POST).
- ``health``: Station health: conditions an operator must hear about, checked periodically by the daemon.
- ``install``: Installing stationd as a systemd service: the unit file, a system user, an example
  configuration.
- ``logs``: Logging for operators: one line per event with time, level, camera, stage, file and duration.
- ``night``: The summary of a night: what each camera delivered, what was found, and what processing it took.
- ``sky``: ``stationd sky``: what the cameras see, as JPEG files an operator can open.
- ``retention``: Retention: keep the data directory under ``retention.max_disk_gb`` and its file system above
- ``sun``: Night and day at the station: the sun's altitude, computed offline with astropy.
"""
