"""Where a subject's access log is kept: its aggregate id derives from the subject, so an auditor (or the
CLI) finds it from a document id, an identifier code or a caller alone."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/access-log")


def access_log_subject(subject: str) -> str:
    """The subject as the log is keyed: trimmed, lower case (UUIDs and codes alike)."""
    return subject.strip().lower()


def id_of_access_log(subject: str) -> UUID:
    """The aggregate id of the access log of `subject` (a document id, an identifier code, an actor)."""
    return uuid5(_NAMESPACE, access_log_subject(subject))
