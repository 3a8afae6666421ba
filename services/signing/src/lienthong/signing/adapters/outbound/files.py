"""Files the signing service keeps (keys, certificates, CRLs, TLS material), written so no reader sees half of one.

Each write goes to a temporary file of its own in the same directory, then is renamed over the target. The
temporary name is unique per write: the service's threads and its pool's worker processes share the directory
but no lock, and two writers of one fixed temporary name would rename each other's file away.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_replacing(path: Path, data: bytes, mode: int = 0o644) -> None:
    """`data` as the whole content of `path` at `mode`, replacing it in one rename (never readable by others
    first: the temporary file is created 0600 and given `mode` before any byte is written)."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as out:
            os.fchmod(out.fileno(), mode)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
