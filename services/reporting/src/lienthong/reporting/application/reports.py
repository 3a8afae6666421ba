"""Reports of an agency and everything under it, read from the read models of the reporting service."""

from __future__ import annotations

from datetime import date, datetime

from lienthong.errors import NotFound
from lienthong.reporting.domain.certificates import CertificateRecord
from lienthong.reporting.domain.report import Report, build_report, subtree
from lienthong.reporting.projections.activity import DocumentActivity
from lienthong.reporting.projections.agencies import AgencyTree
from lienthong.reporting.projections.certificates import CertificateRegistry
from lienthong.reporting.projections.mail import MailActivity


class Reports:
    def __init__(
        self, activity: DocumentActivity, tree: AgencyTree, certificates: CertificateRegistry, mail: MailActivity
    ) -> None:
        self._activity = activity
        self._tree = tree
        self._certificates = certificates
        self._mail = mail

    def certificates(self, scope_code: str, now: datetime) -> list[tuple[CertificateRecord, str]]:
        """Every certificate of `scope_code` and the agencies under it with its state at `now`, those whose
        validity ends first first (then by serial, so that pages are stable)."""
        nodes = self._tree.nodes()
        if scope_code not in nodes:
            raise NotFound(f"reporting knows no agency with code {scope_code} (is it registered in identifiers?)")
        codes = subtree({code: node.parent_code for code, node in nodes.items()}, scope_code)
        found = sorted(self._certificates.certificates_of(codes), key=lambda c: (c.not_after, c.serial))
        return [(certificate, certificate.state_at(now)) for certificate in found]

    def build(self, scope_code: str, from_day: date | None, to_day: date | None, today: date) -> Report:
        """The report of `scope_code` (its own documents, each direct unit rolled up, the total) for a period."""
        nodes = self._tree.nodes()
        if scope_code not in nodes:
            raise NotFound(f"reporting knows no agency with code {scope_code} (is it registered in identifiers?)")
        parents = {code: node.parent_code for code, node in nodes.items()}
        codes = subtree(parents, scope_code)
        return build_report(
            scope_code=scope_code,
            names={code: node.name for code, node in nodes.items()},
            parents=parents,
            counts=self._activity.daily_counts(codes, from_day, to_day),
            processing=self._activity.processing_records(codes, from_day, to_day),
            today=today,
            from_day=from_day,
            to_day=to_day,
            registry_changes=self._tree.changes_of(codes, from_day, to_day),
            certificates=self._certificates.certificates_of(codes),
            registrations=self._certificates.registrations_of(codes),
            signing=self._certificates.signing_counts(codes, from_day, to_day),
            mailboxes=self._mail.mailboxes_of(codes),
            mail=self._mail.mail_counts(codes, from_day, to_day),
        )
