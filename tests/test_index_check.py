"""`armswatch index check` explains every way a cluster can be unusable: TLS,
refused credentials, missing rights, a server too old or not Elasticsearch.
Real servers on 127.0.0.1 (tests/fake_cluster.py) give the real client the
answers a cluster would; the command runs as an operator runs it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from tests.fake_cluster import (
    ELASTIC_PRODUCT,
    FakeCluster,
    error_answer,
    root_answer,
    self_signed_certificate,
)

STORE_UNAVAILABLE = 4


def check(
    tmp_path: Path, url: str, config: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    args = ("--config", config) if config else ()
    return run_cli(
        *args,
        "--data-dir",
        tmp_path / "data",
        "index",
        "check",
        env={"ARMSWATCH_STORE": "elasticsearch", "ARMSWATCH_ES_URL": url, **env},
    )


def config_trusting(tmp_path: Path, certificate: Path) -> Path:
    """The shipped configuration, with the cluster's certificate as its CA."""
    directory = tmp_path / "config"
    shutil.copytree(REPO / "config", directory)
    settings = directory / "armswatch.yaml"
    text = settings.read_text()
    marker = "  # ca_certs: /path/to/ca.pem"
    assert marker in text
    settings.write_text(text.replace(marker, f"  ca_certs: {certificate}"))
    return directory


def test_a_certificate_the_machine_does_not_trust(tmp_path: Path) -> None:
    tls = self_signed_certificate(tmp_path)
    refused = error_answer(401, "security_exception", "missing authentication credentials")
    with FakeCluster(401, refused, tls=tls) as url:
        untrusted = check(tmp_path, url)
        assert untrusted.returncode == STORE_UNAVAILABLE
        assert "TLS failed" in untrusted.stderr
        assert "ca_certs" in untrusted.stderr and "certificate" in untrusted.stderr

        # With the CA configured, TLS passes and the next problem is named.
        trusted = check(tmp_path, url, config=config_trusting(tmp_path, tls[0]))
        assert trusted.returncode == STORE_UNAVAILABLE
        assert "TLS" not in trusted.stderr
        assert "refused the credentials (401)" in trusted.stderr


def test_refused_credentials(tmp_path: Path) -> None:
    refused = error_answer(401, "security_exception", "unable to authenticate user [crawler]")
    headers = {"WWW-Authenticate": 'Basic realm="security"'}
    with FakeCluster(401, refused, headers=headers) as url:
        result = check(tmp_path, url, ARMSWATCH_ES_USER="crawler", ARMSWATCH_ES_PASSWORD="wrong")
    assert result.returncode == STORE_UNAVAILABLE
    assert "refused the credentials (401)" in result.stderr
    assert "ARMSWATCH_ES_API_KEY" in result.stderr and "ARMSWATCH_ES_USER" in result.stderr
    assert "wrong" not in result.stderr  # the password is never echoed


def test_missing_rights(tmp_path: Path) -> None:
    denied = error_answer(
        403, "security_exception", "action [cluster:monitor/main] is unauthorized for user [reader]"
    )
    with FakeCluster(403, denied) as url:
        result = check(tmp_path, url, ARMSWATCH_ES_API_KEY="a2V5OnNlY3JldA==")
    assert result.returncode == STORE_UNAVAILABLE
    assert "denied the request (403" in result.stderr
    assert "is unauthorized for user [reader]" in result.stderr
    assert "armswatch-*" in result.stderr


@pytest.mark.parametrize("version", ["7.17.25", "6.8.23"])
def test_a_cluster_too_old(tmp_path: Path, version: str) -> None:
    with FakeCluster(200, root_answer(version), headers=ELASTIC_PRODUCT) as url:
        result = check(tmp_path, url)
    assert result.returncode == STORE_UNAVAILABLE
    assert f"Elasticsearch {version}" in result.stderr and "too old" in result.stderr
    assert "8.0 or later" in result.stderr


def test_a_cluster_that_refuses_the_8x_api(tmp_path: Path) -> None:
    """A 7.x cluster answers the 8.x client's compatibility header with a 400."""
    refused = error_answer(
        400,
        "media_type_header_exception",
        "Invalid media-type value on headers [Accept, Content-Type]",
    )
    with FakeCluster(400, refused) as url:
        result = check(tmp_path, url)
    assert result.returncode == STORE_UNAVAILABLE
    assert "older than 8.0" in result.stderr and "upgrade" in result.stderr


def test_a_server_that_is_not_elasticsearch(tmp_path: Path) -> None:
    with FakeCluster(200, {"status": "ok", "service": "some other search engine"}) as url:
        result = check(tmp_path, url)
    assert result.returncode == STORE_UNAVAILABLE
    assert "not Elasticsearch" in result.stderr and "elasticsearch.url" in result.stderr
