"""Which store holds the documents service's files, as its environment says: local directory or S3."""

from __future__ import annotations

import os
from pathlib import Path

from lienthong.documents.adapters.outbound.blobs import BlobStore, LocalBlobStore


def blob_store_from_env(data_dir: Path) -> BlobStore:
    """The store `LIENTHONG_BLOB_STORE` names: `s3://bucket[/prefix]` for an S3-compatible object store
    (endpoint in `LIENTHONG_S3_ENDPOINT`, credentials from the usual AWS variables or files), anything
    else or nothing for the local directory it names (default `<data dir>/blobs`)."""
    where = os.environ.get("LIENTHONG_BLOB_STORE", "")
    if where.startswith("s3://"):
        from lienthong.documents.adapters.outbound.s3_blobs import S3BlobStore  # boto3 is loaded only where S3 is used

        bucket, _, prefix = where.removeprefix("s3://").partition("/")
        return S3BlobStore(bucket, prefix, endpoint_url=os.environ.get("LIENTHONG_S3_ENDPOINT") or None)
    return LocalBlobStore(Path(where) if where else data_dir / "blobs")
