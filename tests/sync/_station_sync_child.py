"""``stationd sync`` in a process of its own, slowed down so that a test can kill it mid-upload.

``python -m tests.sync._station_sync_child CONFIG RATE_BYTES_S``: the station's store as configured, with a
throttle that sends request bodies at ``RATE_BYTES_S`` (S3Store's own hook), then the CLI's ``sync``.
"""

from __future__ import annotations

import sys
import time

from cli.main import main as cli_main
from stationd import store_factory
from stationd.config import StationConfig
from sync import S3Store, Store


def main() -> None:
    config_path, rate = sys.argv[1], float(sys.argv[2])

    def slow(n_bytes: int) -> None:
        time.sleep(n_bytes / rate)

    def open_slow(config: StationConfig) -> Store:
        return S3Store(config.storage.store_settings(config.station.data_dir), throttle=slow)

    store_factory.store_opener = open_slow
    sys.argv = ["stationd", "sync", "--config", config_path]
    cli_main()


if __name__ == "__main__":
    main()
