"""Document files in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, ...), named by SHA-256."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import boto3
from botocore.exceptions import ClientError

from lienthong.documents.adapters.outbound.blobs import checked_digest, verified
from lienthong.errors import NotFound


class S3BlobStore:
    """Objects `<prefix>/<first two hex>/<sha256>` in one bucket, written once, with their SHA-256 checked
    by the store on upload (x-amz-checksum-sha256) and by us on every read."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None, client: Any = None) -> None:
        self._bucket = bucket
        self._prefix = prefix.strip("/")
        self._s3 = client or boto3.client("s3", endpoint_url=endpoint_url)

    def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        key = self._key(digest)
        if not self._exists(key):
            checksum = base64.b64encode(bytes.fromhex(digest)).decode("ascii")
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=content, ChecksumSHA256=checksum)
        return digest

    def get(self, digest: str) -> bytes:
        try:
            answer = self._s3.get_object(Bucket=self._bucket, Key=self._key(digest))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFound(f"no stored file has SHA-256 {digest}") from None
            raise
        return verified(digest, answer["Body"].read())

    def _exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def _key(self, digest: str) -> str:
        checked_digest(digest)
        name = f"{digest[:2]}/{digest}"
        return f"{self._prefix}/{name}" if self._prefix else name
