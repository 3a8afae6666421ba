"""Both blob stores keep files by SHA-256, store the same bytes once, and never hand out altered bytes.

The S3 store talks HTTP to moto's S3-compatible server, started on a free port for the test.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from lienthong.documents.adapters.outbound.blobs import BlobStore, LocalBlobStore
from lienthong.documents.adapters.outbound.configured_blobs import blob_store_from_env
from lienthong.documents.adapters.outbound.s3_blobs import S3BlobStore
from lienthong.errors import NotFound
from lienthong.launcher.ports import free_port

PDF = "%PDF-1.7 Quyết định số 12/QĐ-UBND".encode()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_client(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    return boto3.client("s3", endpoint_url=s3_endpoint)


@pytest.fixture(params=["local", "s3"])
def store_and_tamper(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[BlobStore, Any]:
    """A store, and a function that overwrites the stored bytes of a digest behind its back."""
    if request.param == "local":

        def tamper_file(digest: str, content: bytes) -> None:
            (tmp_path / "blobs" / digest[:2] / digest).write_bytes(content)

        return LocalBlobStore(tmp_path / "blobs"), tamper_file
    client = request.getfixturevalue("s3_client")
    bucket = f"docs-{tmp_path.name.lower().replace('_', '-')[:40]}"
    client.create_bucket(Bucket=bucket)

    def tamper_object(digest: str, content: bytes) -> None:
        client.put_object(Bucket=bucket, Key=f"blobs/{digest[:2]}/{digest}", Body=content)

    return S3BlobStore(bucket, "blobs", client=client), tamper_object


def test_a_file_is_stored_under_its_sha256_and_read_back(store_and_tamper: tuple[BlobStore, Any]) -> None:
    store, _ = store_and_tamper
    digest = store.put(PDF)
    assert digest == hashlib.sha256(PDF).hexdigest()
    assert store.put(PDF) == digest  # the same bytes again: harmless
    assert store.get(digest) == PDF


def test_unknown_and_malformed_digests_are_not_found(store_and_tamper: tuple[BlobStore, Any]) -> None:
    store, _ = store_and_tamper
    with pytest.raises(NotFound, match="no stored file"):
        store.get(hashlib.sha256(b"never stored").hexdigest())
    with pytest.raises(NotFound, match="not a SHA-256 digest"):
        store.get("../../etc/passwd")


def test_bytes_altered_in_the_store_are_refused(store_and_tamper: tuple[BlobStore, Any]) -> None:
    store, tamper = store_and_tamper
    digest = store.put(PDF)
    tamper(digest, PDF.replace(b"12", b"13"))
    with pytest.raises(RuntimeError, match="has been altered"):
        store.get(digest)


def test_the_store_is_chosen_by_configuration(
    tmp_path: Path, s3_endpoint: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIENTHONG_BLOB_STORE", raising=False)
    assert isinstance(blob_store_from_env(tmp_path), LocalBlobStore)
    s3_client.create_bucket(Bucket="configured")
    monkeypatch.setenv("LIENTHONG_BLOB_STORE", "s3://configured/tinh-dak-lak")
    monkeypatch.setenv("LIENTHONG_S3_ENDPOINT", s3_endpoint)
    store = blob_store_from_env(tmp_path)
    digest = store.put(PDF)
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket="configured")["Contents"]]
    assert keys == [f"tinh-dak-lak/{digest[:2]}/{digest}"]
