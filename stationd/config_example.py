"""The commented example configuration that ``stationd config init`` writes."""

from __future__ import annotations

from pathlib import Path

_TEMPLATE = """\
# stationd configuration (YAML). Check it with: stationd config check --config THIS_FILE
# Units are in the key names: _deg degrees, _m metres, _px pixels, _s seconds, _gb gigabytes.

station:
  id: {station}                  # station code, as used in FF file names and object-store keys
  latitude_deg: {lat}            # WGS84, north positive
  longitude_deg: {lon}           # WGS84, east positive
  elevation_m: {elevation}       # above mean sea level
  data_dir: {data_dir}           # everything the station keeps (DESIGN 3)
  partners: []                   # ids of partner stations whose indexes are compared with ours

cameras:
  - id: {camera}
    incoming_sd: {data_dir}/incoming/{camera}    # where the camera writes its minute files
    # incoming_hd: {data_dir}/incoming/{camera}-hd  # the camera's second (HD) stream, if any
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
  min_speed_deg_s: 2.0           # meteors move at least this fast on the sky
  max_speed_deg_s: 51.0          # and at most this fast
  min_points: 4                  # frames a candidate must be seen in

storage:
  backend: local                 # local (a directory) | s3 (any S3-compatible service)
  path: {data_dir}/store         # for the local backend
  # endpoint_url: https://s3.example.org   # for s3; credentials come from the environment
  # bucket: meteors
  prefix: ""

retention:
  # max_disk_gb: 100             # keep the data directory under this size
  min_free_gb: 2.0               # and at least this much free on its file system

logging:
  level: INFO
  # json_file: {data_dir}/logs/stationd.jsonl
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
        station=station,
        camera=camera,
        lat=lat_deg,
        lon=lon_deg,
        elevation=elevation_m,
        data_dir=str(data_dir),
    )
