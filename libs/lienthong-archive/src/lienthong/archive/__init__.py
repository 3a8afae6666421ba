"""Archive packages of closed records: written by the documents service, verified offline by anyone."""

from lienthong.archive.checks import SignatureCheck
from lienthong.archive.package import ArchivedDocument, ArchivedFile, RecordArchive, write_archive
from lienthong.archive.verify import ArchiveProblem, verify_archive

__all__ = [
    "ArchiveProblem",
    "ArchivedDocument",
    "ArchivedFile",
    "RecordArchive",
    "SignatureCheck",
    "verify_archive",
    "write_archive",
]
