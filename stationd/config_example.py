"""The commented example configuration that ``stationd config init`` writes.

Every text value is written as a double-quoted YAML scalar (JSON's string syntax, which YAML reads
unchanged), so what the operator gave comes back as the same string: an id ``010001`` is not read as
the octal number 4097, nor ``yes`` as true, nor a path with ``: `` or ``#`` cut short.
"""

from __future__ import annotations

import json
from pathlib import Path

_TEMPLATE = """\
# stationd configuration (YAML). Check it with: stationd config check --config THIS_FILE
# Units are in the key names: _deg degrees, _m metres, _px pixels, _s seconds, _gb gigabytes.

station:
  # stationd run refuses to start until id and position are set (XX0001 and 0, 0 are placeholders)
  id: {station}                  # your station's code, as in FF file names and meteor ids
  latitude_deg: {lat}            # WGS84, north positive
  longitude_deg: {lon}           # WGS84, east positive
  elevation_m: {elevation}       # above mean sea level
  data_dir: {data_dir}           # everything the station keeps: incoming/, days/, exports/, state
  partners: []                   # ids of partner stations whose indexes are compared with ours;
                                 # one in another bucket: - {{id: "UK0002", bucket: "b", prefix: "p/",
                                 #   endpoint_url: "https://...", credentials_file: "/etc/stationd/uk0002"}}

cameras:
  - id: {camera}                 # ids stay in quotes: YAML reads 010001 unquoted as the number 4097
    incoming_sd: {incoming_sd}    # where the camera writes its minute files
    # incoming_hd: {incoming_hd}  # the camera's second (HD) stream, if any
    filename_pattern: "{{YYYY}}_{{MM}}_{{DD}}_{{hh}}_{{mm}}_{{ss}}_{{mmm}}_{{camera}}.mp4"  # times in UTC
    fps: 25
    width_px: 1280
    height_px: 720
    # mask: /etc/stationd/mask.png   # white = use, black = ignore (RMS mask.bmp works)
    pointing:                        # a coarse guess: calibration refines it
      az_deg: 0                      # azimuth of the image centre, east of north
      alt_deg: 90                    # altitude of the image centre
      rotation_deg: 0
      fov_h_deg: 90                  # horizontal field of view
      projection: equidistant        # equidistant (fisheye, all-sky) or rectilinear

processing:
  workers: auto                  # processes for heavy stages; auto = cores - 1
  ff_policy: candidates          # keep FF files for: all | candidates | none
  decoder: auto                  # auto (PyAV, OpenCV as fallback) | pyav | opencv
  daytime: process               # minutes with the sun up: process | low-priority | skip
  daytime_sun_alt_deg: -6.0      # the sun above this altitude means day (-6: end of civil twilight)
  min_speed_deg_s: 2.0           # meteors move at least this fast on the sky
  max_speed_deg_s: 51.0          # and at most this fast
  min_frames: 4                  # frames a candidate (and a verified meteor) must be seen in
  # k_std: 2.0                   # verification: a pixel is lit when max - mean > k_std * std + j_dn
  # j_dn: 4.0                    #   (unset: the detector defaults, shown here)
  clip_margin_s: 1.0             # video kept before and after a meteor in its clip
  sky_tracks: true               # tracks through the camera model below (great circles where they fit
                                 #   better than image lines); false: image lines only

storage:
  backend: local                 # local (a directory) | s3 (any S3-compatible service)
  path: {store}         # for the local backend
  # endpoint_url: https://s3.example.org   # for s3 (left out: AWS)
  # bucket: meteors
  # region: us-east-1
  # addressing: path             # path (host/bucket/key, S3-compatible servers) | virtual (bucket.host/key)
  # credentials_file: /etc/stationd/s3.credentials   # INI ([default] aws_access_key_id = ...,
  #                              # aws_secret_access_key = ...) or YAML; left out: the environment or the
  #                              # AWS shared files. Never put keys in this file.
  prefix: ""                     # put before every key (e.g. "gmn/")
  # bandwidth_kib_s: 500         # cap on uploads (all transfers together)
  live_max_mag: -4.0             # calibrated meteors this bright go to live/ at once (fireballs always)
  heartbeat_s: 300               # publish status.json this often

retention:
  # max_disk_gb: 100             # keep the data directory under this size
  min_free_gb: 2.0               # and at least this much free on its file system

daemon:                          # `stationd run`
  shutdown_timeout_s: 30         # on SIGTERM running stages get this long to finish, then are stopped
  sweep_interval_s: 180          # look through the incoming folders this often (besides file events)
  settle_s: 10                   # a sweep takes a file unchanged for this long
  event_settle_s: 1              # a closed file is taken when unchanged for this long after closing
  queue_size: 64                 # work held in memory (the rest waits in the state store)
  stage_hang_s: 600              # a stage running longer stops the systemd watchdog pings

logging:
  level: INFO
  # json_file: {json_file}   # JSON lines that `stationd logs [-f]` reads; this file is
  #                              # the default; `json_file: off` keeps none (journalctl -u stationd)
  json_max_mb: 10                # rotate the JSON-lines file at this size
  json_backups: 5                # and keep this many old ones

health:                          # conditions that raise an alert (log, status.json, e-mail/webhook)
  no_video_min: 10               # no new minute file from a camera for this long at night (or only
                                 # video files its filename_pattern does not match, for this long)
  max_candidates_per_hour: 60    # more candidates than this in the last hour (rain, insects, lights)
  max_failures_per_hour: 5       # failed stage runs in the last hour
  backlog_min: 30                # pending work that keeps growing over backlog_window_min
  backlog_window_min: 30
  check_clock: true              # alert when the kernel says the clock is not synchronised (NTP)
  upload_failing_min: 60         # alert when uploads have failed for this long

network:                         # multi-station events (used when station.partners lists partners)
  mode: solve                    # solve | inputs (publish each event's inputs.json for an external
                                 # engine, solve nothing) | off (group and copy solutions only)
  interval_min: 60               # the cycle runs after the night's processing and this often
  time_tolerance_s: 2.0          # observations overlapping within this may be one meteor
  lease_s: 600                   # a claim's lease while solving; clocks may differ by lease_margin_s
  lease_margin_s: 120
  mc_runs: 0                     # Monte Carlo runs for each solution's uncertainties (0, or >= 2)
  solve_all: false               # also solve events this station did not see
  max_index_kib: 8192            # a partner's daily index larger than this is rejected

alerts:                          # alerts are always logged and written to DATA_DIR/status.json
  # email_to: [operator@example.org]
  # email_from: stationd@example.org
  # smtp_host: localhost         # an SMTP relay; password (if any) from $STATIOND_SMTP_PASSWORD
  # smtp_port: 25
  # smtp_starttls: false
  # smtp_user: stationd
  # webhook_url: https://hooks.example.org/stationd   # receives a JSON POST per alert
  min_interval_s: 3600           # notify about one alert at most this often
  max_per_hour: 12               # and send at most this many notifications per hour
"""


def example_config(
    data_dir: Path,
    station: str = "XX0001",
    camera: str = "cam1",
    lat_deg: float = 0.0,
    lon_deg: float = 0.0,
    elevation_m: float = 0.0,
) -> str:
    """A working, commented configuration for one camera writing AllSkyCams files to data_dir/incoming."""
    return _TEMPLATE.format(
        station=_quoted(station),
        camera=_quoted(camera),
        lat=lat_deg,
        lon=lon_deg,
        elevation=elevation_m,
        data_dir=_quoted(str(data_dir)),
        incoming_sd=_quoted(str(data_dir / "incoming" / camera)),
        incoming_hd=_quoted(str(data_dir / "incoming" / f"{camera}-hd")),
        store=_quoted(str(data_dir / "store")),
        json_file=_quoted(str(data_dir / "logs" / "stationd.jsonl")),
    )


def _quoted(text: str) -> str:
    """``text`` as a double-quoted YAML scalar that reads back as the same string."""
    return json.dumps(text, ensure_ascii=False)
