"""Content-addressed storage of document files: a file's name is the SHA-256 of its bytes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from lienthong.errors import NotFound


class BlobStore:
    """Files under a local directory (`<dir>/<first two hex>/<sha256>`), written atomically, never changed.

    A shared volume in production; the interface is the seam where an object store would go.
    """

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def put(self, content: bytes) -> str:
        """Store `content`; return its SHA-256 (hex). Storing the same bytes twice is harmless."""
        digest = hashlib.sha256(content).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(content)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp.name, path)
        return digest

    def get(self, digest: str) -> bytes:
        """The bytes whose SHA-256 is `digest`."""
        path = self._path(digest)
        if not path.exists():
            raise NotFound(f"no stored file has SHA-256 {digest}")
        return path.read_bytes()

    def _path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise NotFound(f"{digest!r} is not a SHA-256 digest")
        return self._directory / digest[:2] / digest
