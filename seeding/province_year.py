"""A year of the demo province (DOMAIN.md §7's seed figures, scaled) written into the services' event stores.

Shape, after the figures of Đắk Lắk: of the documents exchanged 54% are sent and 46% received; 96% of those
sent carry the agency's signature; 70% of sent documents go to an agency of the province, the rest over the
national axis, and documents from outside arrive the same way. Certificates keep the seed's kinds
(5,735 individual of which 900 SIM PKI, 1,013 organisation) and states at the end of the year (5,755 active,
494 revoked, 493 not yet active, 6 expired); every agency seals with an organisation certificate valid all
year. Every agency has an official mailbox; a tenth of the arrivals are mailed to it.

Everything is made by the domain's own aggregates and commands, so the events are those the services store,
with one exception: the 4% of documents sent unsigned are sent through the `Sent` event itself, the
`send` command refusing an unsigned document today (the seed counts documents from systems that did not).
The same `seed` gives the same events, ids and timestamps.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.incoming import IncomingDocument, id_of_imported, id_of_incoming
from lienthong.documents.domain.outgoing import Confidentiality, OutgoingDocument, Urgency
from lienthong.email.application.app import EmailApp
from lienthong.email.domain.mailbox import Mailbox
from lienthong.email.domain.notification import Notification
from lienthong.eventstore import StoredApplication, store_environment
from lienthong.identifiers.application.app import IdentifiersApp
from lienthong.identifiers.domain.agency import Agency, AgencyFields
from lienthong.identifiers.domain.codes import IdentifierCode
from lienthong.launcher.province import demo_province
from lienthong.signing.application.app import SigningApp
from lienthong.signing.domain.certificate import Certificate, RegistrationRequest
from lienthong.signing.domain.policy import FailedVerification
from lienthong.vietnamese.calendar import start_of_vietnam_day, vietnam_date
from seeding.subjects import Subjects
from seeding.writer import BulkWriter

SEED_DOCUMENTS = 1_049_087  # exchanged over the national axis in the seed province
SENT_SHARE = 568_630 / SEED_DOCUMENTS
SIGNED_SHARE = 0.96
INSIDE_SHARE = 0.70  # of sent documents, addressed to an agency of the province
CONG_VAN = DocumentType.CONG_VAN.name  # every seeded document's type, stored by name as the write path does
# Certificates of the seed: (kind, how many) and (state at the end of the period, how many).
SEED_KINDS = (("individual", 5_735 - 900), ("sim_pki", 900), ("organisation", 1_013))
SEED_STATES = (("active", 5_755), ("revoked", 494), ("not_yet_active", 493), ("expired", 6))
SEED_CERTIFICATES = 6_748
# Ministries and other provinces, reached over the national axis.
OUTSIDE = (*(f"000.00.00.G{n:02d}" for n in range(1, 23)), "000.00.00.H40", "000.00.00.H42", "000.00.00.H43")
PEM = "-----BEGIN CERTIFICATE-----\nMIIB(seeded)\n-----END CERTIFICATE-----\n"


@dataclass(frozen=True)
class Shape:
    """How big the year is: documents exchanged (sent + received), certificates, which year, which seed."""

    documents: int = 100_000
    certificates: int = SEED_CERTIFICATES
    year: int = 2025
    seed: int = 2022

    @property
    def first_day(self) -> date:
        return date(self.year, 1, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, 12, 31)

    @property
    def end(self) -> datetime:
        """Midnight in Vietnam after the last day: the moment a report of the year takes states at."""
        return start_of_vietnam_day(self.last_day + timedelta(days=1))


@dataclass
class Written:
    """How many events each service's store received."""

    events: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.events.values())


def applications(database_url: str) -> dict[str, StoredApplication]:
    """The services' applications on `database_url` (their event stores: `<name>_events` tables)."""
    return {
        "identifiers": IdentifiersApp(store_environment("Identifiers", database_url)),
        "documents": DocumentsApp(store_environment("Documents", database_url)),
        "signing": SigningApp(store_environment("Signing", database_url)),
        "email": EmailApp(store_environment("Email", database_url)),
    }


def write_year(apps: dict[str, StoredApplication], shape: Shape) -> Written:
    """Write the year into the applications' stores (which must be empty) and seal each store's chain."""
    year = ProvinceYear(shape)
    writers = {service: BulkWriter(app) for service, app in apps.items()}
    year.agencies(writers["identifiers"])
    year.certificates(writers["signing"])
    year.mailboxes(writers["email"])
    year.documents(writers["documents"], writers["signing"], writers["email"])
    return Written({service: writer.finish() for service, writer in writers.items()})


class ProvinceYear:
    """The generator; its methods run in order (agencies, certificates, mailboxes, documents)."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.random = random.Random(shape.seed)
        rows = demo_province()
        self.rows = rows
        self.codes = [row.code for row in rows]
        self.names = {row.code: row.fields.name for row in rows}
        self.emails = {row.code: row.fields.email for row in rows}
        # The province, its departments and districts send more than units and communes.
        self.weights = list(itertools.accumulate(5 if code.startswith("000.00.") else 1 for code in self.codes))
        self.seals: dict[str, Certificate] = {}
        self.mailbox_of: dict[str, str] = {}
        self._uuid_bits = random.Random(shape.seed + 1)
        # Its own generator: varied subjects leave every other draw of the year as it was.
        self.subjects = Subjects(shape.seed + 2)

    def _agency(self) -> str:
        """An agency of the province, the province's own and the departments' offices five times likelier."""
        return self.random.choices(self.codes, cum_weights=self.weights)[0]

    def uuid(self) -> UUID:
        """A random but repeatable aggregate id."""
        return UUID(int=self._uuid_bits.getrandbits(128), version=4)

    def moment(self, day: date, earliest_hour: float = 7.5, latest_hour: float = 17.0) -> datetime:
        """A moment of office hours (Vietnam) on `day`, in UTC, to the second."""
        seconds = int(self.random.uniform(earliest_hour, latest_hour) * 3600)
        return (start_of_vietnam_day(day) + timedelta(seconds=seconds)).astimezone(UTC)

    def day_of_year(self) -> date:
        return self.shape.first_day + timedelta(days=self.random.randrange(365))

    # --- identifiers -------------------------------------------------------------------------------------
    def agencies(self, writer: BulkWriter) -> None:
        """Every agency of the demo province registered before the year, as an import does; a few renamed
        and locked during it."""
        registered_at = self.moment(self.shape.first_day - timedelta(days=60))
        agencies: dict[str, Agency] = {}
        highest: dict[str, int] = {}
        for row in self.rows:
            code = IdentifierCode.parse(row.code)
            fields = AgencyFields(row.fields.name, row.fields.short_name, row.fields.address, row.fields.email)
            agencies[row.code] = Agency.register(code=code, fields=fields)
            if code.parent is not None:
                parent = str(code.parent)
                highest[parent] = max(highest.get(parent, 0), code.own_number)
        for parent, number in highest.items():
            agencies[parent].note_child_number(number)
        for agency in agencies.values():
            writer.put(agency, registered_at)
        for renamed in self.random.sample(self.codes, 12):
            agency = agencies[renamed]
            fields = agency.fields
            agency.update(AgencyFields(f"{fields.name} (mới)", fields.short_name, fields.address, fields.email))
            writer.put(agency, self.moment(self.day_of_year()))
        for locked in self.random.sample(self.codes[30:], 3):
            agencies[locked].lock("sáp nhập, chờ quyết định")
            writer.put(agencies[locked], self.moment(self.day_of_year()))

    # --- signing -----------------------------------------------------------------------------------------
    def certificates(self, writer: BulkWriter) -> None:
        """Each agency's seal, then the other certificates in the seed's kinds and states, each after its
        registration request; a few requests still pending at the end of the year."""
        first = start_of_vietnam_day(self.shape.first_day)
        end = self.shape.end
        serial = 0
        for code in self.codes:
            serial += 1
            issued = self.moment(self.shape.first_day - timedelta(days=self.random.randint(30, 400)))
            self.seals[code] = self._certificate(
                writer, serial, code, "organisation", issued, issued, issued + timedelta(days=3 * 365)
            )
        others = max(self.shape.certificates - len(self.codes), 0)
        kinds = self._spread(SEED_KINDS, self.shape.certificates)
        kinds["organisation"] = max(kinds["organisation"] - len(self.codes), 0)
        states = self._spread(SEED_STATES, self.shape.certificates)
        states["active"] -= min(len(self.codes), states["active"])
        kind_list = [kind for kind, n in kinds.items() for _ in range(n)][:others]
        state_list = [state for state, n in states.items() for _ in range(n)][:others]
        self.random.shuffle(kind_list)
        for kind, state in zip(kind_list, state_list, strict=False):
            serial += 1
            agency = self._agency()
            if state == "expired":
                issued = first - timedelta(days=2 * 365 + self.random.randint(1, 300))
                not_before, not_after = issued, issued + timedelta(days=2 * 365)
            elif state == "not_yet_active":
                issued = end - timedelta(seconds=self.random.randint(3600, 60 * 86400))
                not_before = end + timedelta(days=self.random.randint(1, 90))
                not_after = not_before + timedelta(days=3 * 365)
            else:
                issued = first + timedelta(seconds=self.random.randint(-365 * 86400, 364 * 86400))
                not_before, not_after = issued, issued + timedelta(days=3 * 365)
            certificate = self._certificate(writer, serial, agency, kind, issued, not_before, not_after)
            if state == "active" and self.random.random() < 0.02:
                self._suspension(writer, certificate, max(issued, first))
            if state == "revoked":
                revoked = max(issued, first) + (end - max(issued, first)) * self.random.uniform(0.05, 0.95)
                certificate.revoke(reason="mất thiết bị", at=revoked.replace(microsecond=0))
                writer.put(certificate, revoked.replace(microsecond=0))
        for n in range(max(self.shape.certificates // 200, 1)):
            failure = FailedVerification(f"{n:064x}", "TOTAL-FAILED", "HASH_FAILURE", self._agency())
            writer.put(failure, self.moment(self.day_of_year()))
        for n in range(max(self.shape.certificates // 100, 1)):
            at = end - timedelta(seconds=self.random.randint(3600, 20 * 86400))
            request = self._request("individual", self.random.choice(self.codes), at, n)
            writer.put(request, at)

    def _suspension(self, writer: BulkWriter, certificate: Certificate, after: datetime) -> None:
        """A certificate suspended for a few days, then reactivated, within the year."""
        suspended = after + (self.shape.end - after) * self.random.uniform(0.1, 0.8)
        suspended = suspended.replace(microsecond=0)
        certificate.suspend(reason="nghi lộ khóa", at=suspended)
        writer.put(certificate, suspended)
        reactivated = min(suspended + timedelta(days=self.random.randint(1, 10)), self.shape.end - timedelta(hours=1))
        certificate.reactivate(at=reactivated)
        writer.put(certificate, reactivated)

    def _spread(self, seed: tuple[tuple[str, int], ...], total: int) -> dict[str, int]:
        """`total` split in the seed's proportions (largest remainders), every share at least one."""
        exact = {name: total * n / SEED_CERTIFICATES for name, n in seed}
        counts = {name: max(int(value), 1) for name, value in exact.items()}
        by_remainder = sorted(exact, key=lambda name: exact[name] - int(exact[name]), reverse=True)
        for name in by_remainder[: max(total - sum(counts.values()), 0)]:
            counts[name] += 1
        return counts

    def _request(self, kind: str, agency: str, at: datetime, n: int) -> RegistrationRequest:
        personal = kind != "organisation"
        return RegistrationRequest.make(
            kind=kind,
            agency_code=agency,
            person_name="Nguyễn Văn An" if personal else "",
            person_id=f"0010990{n:05d}" if personal else "",
            reason="cán bộ mới" if personal else "con dấu điện tử",
            at=at,
        )

    def _certificate(
        self,
        writer: BulkWriter,
        serial: int,
        agency: str,
        kind: str,
        issued: datetime,
        not_before: datetime,
        not_after: datetime,
    ) -> Certificate:
        """A certificate, issued after its registration request (made a few days to weeks before)."""
        requested = issued - timedelta(seconds=self.random.randint(3600, 30 * 86400))
        request = self._request(kind, agency, requested, serial)
        writer.put(request, requested)
        text = f"{serial:x}"
        certificate = Certificate(
            text,
            agency,
            kind,
            f"CN={'Con dấu' if kind == 'organisation' else 'Cán bộ'} {serial},O={self.names[agency]}",
            not_before,
            not_after,
            PEM,
            None if kind == "organisation" else f"0010990{serial:05d}",
        )
        writer.put(certificate, issued)
        request.fulfil(serial=text, issued_at=issued, not_before=not_before)
        writer.put(request, issued)
        return certificate

    # --- email -------------------------------------------------------------------------------------------
    def mailboxes(self, writer: BulkWriter) -> None:
        """The clerks' mailbox of every agency: most provisioned before the year, some during it, a few
        suspended (and some of those reactivated)."""
        for code in self.codes:
            day = self.shape.first_day - timedelta(days=20) if self.random.random() < 0.8 else self.day_of_year()
            mailbox = Mailbox(self.emails[code], code, "Văn thư")
            provisioned = self.moment(day)
            writer.put(mailbox, provisioned)
            self.mailbox_of[code] = self.emails[code]
            if self.random.random() < 0.05:
                suspended = provisioned + timedelta(days=self.random.randint(1, 200))
                mailbox.suspend("cán bộ nghỉ hưu")
                writer.put(mailbox, suspended)
                if self.random.random() < 0.3:
                    mailbox.reprovision()
                    writer.put(mailbox, suspended + timedelta(days=self.random.randint(1, 60)))

    # --- documents ---------------------------------------------------------------------------------------
    def documents(self, documents: BulkWriter, signing: BulkWriter, email: BulkWriter) -> None:
        """The year's documents in order of sending: drafted, registered, signed by the seal (the signature
        on the certificate too), sent; each copy arriving in the province accepted or refused, assigned,
        done or still open, now and then recalled; a tenth of the arrivals mailed to the recipient."""
        sent = round(self.shape.documents * SENT_SHARE)
        received = self.shape.documents - sent
        imported = max(received - round(sent * INSIDE_SHARE), 0)
        numbers: dict[str, int] = {}
        for day, kind in self._schedule(sent, imported):
            if kind == "sent":
                sender = self._agency()
                numbers[sender] = numbers.get(sender, 0) + 1
                recipient = self._recipient(sender, self.random.random() < INSIDE_SHARE)
                self._outgoing(documents, signing, email, sender, recipient, day, numbers[sender])
            else:
                recipient = self._agency()
                sent_at = self.moment(day)
                self._incoming(
                    documents, email, id_of_imported(f"{self.uuid()}"), self.random.choice(OUTSIDE), recipient, sent_at
                )

    def _schedule(self, sent: int, imported: int) -> Iterator[tuple[date, str]]:
        """Working days of the year, each with its documents, in order (weekends quiet)."""
        days = [self.shape.first_day + timedelta(days=d) for d in range(365)]
        weights = [1.0 if day.weekday() < 5 else 0.08 for day in days]
        chosen = sorted(
            [(day, "sent") for day in self.random.choices(days, weights, k=sent)]
            + [(day, "imported") for day in self.random.choices(days, weights, k=imported)]
        )
        yield from chosen

    def _recipient(self, sender: str, inside: bool) -> str:
        if not inside:
            return self.random.choice(OUTSIDE)
        while True:
            recipient = self._agency()
            if recipient != sender:
                return recipient

    def _outgoing(
        self,
        documents: BulkWriter,
        signing: BulkWriter,
        email: BulkWriter,
        sender: str,
        recipient: str,
        day: date,
        number: int,
    ) -> None:
        drafted = self.moment(day, 7.5, 14.0)
        subject = self.subjects.next(number)
        document = OutgoingDocument.draft(
            sender_code=sender,
            doc_type=CONG_VAN,
            subject=subject,
            urgency=Urgency.NORMAL,
            confidentiality=Confidentiality.NORMAL,
            content_sha256=f"{number:064x}",
        )
        documents.put(document, drafted)
        registered = drafted + timedelta(seconds=self.random.randint(60, 3600))
        code = f"{number}/CV-{sender[-7:]}"
        document.register(
            number=number, notation="CV", code=code, issued_at=registered, content_sha256=f"{number + 1:064x}"
        )
        documents.put(document, registered)
        sent_at = registered + timedelta(seconds=self.random.randint(60, 1800))
        incoming_id = id_of_incoming(document.id, recipient)
        listed = [{"recipient_code": recipient, "incoming_id": str(incoming_id), "addressed_to": [recipient]}]
        if self.random.random() < SIGNED_SHARE:
            signed_at = registered + timedelta(seconds=30)
            automatic = self.random.random() < 0.6
            policy = f"automatic-seal/{sender}/v1" if automatic else ""
            document.sign(
                content_sha256=f"{number + 2:064x}",
                certificate_serial=self.seals[sender].serial,
                signed_at=signed_at,
                policy=policy,
            )
            documents.put(document, signed_at)
            seal = self.seals[sender]
            seal.record_signature(
                document_sha256=f"{number + 1:064x}",
                signed_sha256=f"{number + 2:064x}",
                reason="Ban hành văn bản",
                signed_at=signed_at,
                policy=policy,
            )
            signing.put(seal, signed_at)
            document.send(recipients={recipient: str(incoming_id)}, sent_at=sent_at)
        else:
            document._sent(sender, listed, sent_at)  # unsigned: see the module's docstring
        documents.put(document, sent_at)
        if recipient in self.names:
            self._incoming(documents, email, document.id, sender, recipient, sent_at, code, subject)

    def _incoming(
        self,
        documents: BulkWriter,
        email: BulkWriter,
        outgoing_id: UUID,
        sender: str,
        recipient: str,
        sent_at: datetime,
        code: str = "",
        subject: str = "",
    ) -> None:
        arrived = sent_at + timedelta(seconds=self.random.randint(1, 300))
        imported = sender not in self.names
        copy = IncomingDocument(
            outgoing_id,
            sender,
            recipient,
            CONG_VAN,
            subject or self.subjects.of_imported(),
            code or f"{self.random.randint(1, 9999)}/BTTTT-VP",
            "NORMAL",
            arrived,
            edxml_document_id=str(outgoing_id) if imported else "",
            envelope_sha256=f"{outgoing_id.int:064x}"[:64] if imported else "",
        )
        documents.put(copy, arrived)
        if self.random.random() < 0.1:
            self._mail(email, copy, arrived)
        roll = self.random.random()
        if roll < 0.03:
            refused = arrived + timedelta(seconds=self.random.randint(600, 6 * 3600))
            copy.refuse(reason="gửi nhầm nơi nhận", at=refused)
            documents.put(copy, refused)
            return
        accepted = arrived + timedelta(seconds=self.random.randint(600, 8 * 3600))
        copy.accept(arrival_number=self.random.randint(1, 99999), accepted_at=accepted)
        documents.put(copy, accepted)
        assigned = accepted + timedelta(seconds=self.random.randint(600, 4 * 3600))
        due_on = vietnam_date(arrived) + timedelta(days=self.random.randint(3, 15)) if roll < 0.93 else None
        copy.assign(assignee="Phòng Tổng hợp", due_on=due_on, at=assigned)
        documents.put(copy, assigned)
        started = assigned + timedelta(seconds=self.random.randint(600, 24 * 3600))
        copy.start(at=started)
        documents.put(copy, started)
        if roll > 0.985:
            asked = started + timedelta(seconds=self.random.randint(600, 48 * 3600))
            copy.request_recall(reason="văn bản ban hành nhầm", at=asked)
            documents.put(copy, asked)
            copy.answer_recall(give_back=True, at=asked + timedelta(hours=1))
            documents.put(copy, asked + timedelta(hours=1))
        elif roll < 0.85:
            hours = min(self.random.lognormvariate(3.6, 1.0), 60 * 24.0)
            completed = max(started + timedelta(minutes=5), arrived + timedelta(seconds=int(hours * 3600)))
            copy.complete(at=completed)
            documents.put(copy, completed)

    def _mail(self, email: BulkWriter, copy: IncomingDocument, arrived: datetime) -> None:
        """The mail telling the recipient's clerks of an arrival: sent, deferred then sent, or bounced."""
        recipient = copy.recipient_code
        notification = Notification(
            f"{copy.id}:1",
            recipient,
            self.names[recipient],
            self.mailbox_of[recipient],
            self.names.get(copy.sender_code, copy.sender_code),
            copy.code,
            copy.subject,
            str(copy.id),
            arrived,
        )
        queued = arrived + timedelta(seconds=5)
        email.put(notification, queued)
        attempt = queued + timedelta(seconds=5)
        notification.start_attempt(attempt)
        email.put(notification, attempt)
        roll = self.random.random()
        if roll < 0.03:
            notification.record_permanent_failure("550 no such mailbox", attempt + timedelta(seconds=2))
            email.put(notification, attempt + timedelta(seconds=2))
            return
        if roll < 0.10:
            notification.record_temporary_failure("452 mailbox full", attempt + timedelta(seconds=2))
            email.put(notification, attempt + timedelta(seconds=2))
            attempt = attempt + timedelta(minutes=10)
            notification.start_attempt(attempt)
            email.put(notification, attempt)
        notification.record_sent(attempt + timedelta(seconds=2))
        email.put(notification, attempt + timedelta(seconds=2))
