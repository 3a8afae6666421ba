"""The indicators of a report counted straight from the services' event tables, in SQL.

Nothing of the reporting service is used: the stored state of each event is decoded by the database itself
(PostgreSQL `jsonb`, SQLite `json_extract`), agencies and their parents come from the identifiers log, and
each line of the report (the scope's own documents, each direct unit with everything under it, the total)
is a recursive walk of that hierarchy. The result has the shape of `GetReport`'s answer flattened:
`{line code or "total": {"sent": 12, "processing.done": 7, "certificates.active": 3, ...}}`, with the months,
the processing-time buckets and the registry changes beside it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, text

# Hours from arrival to done, the buckets of the periodic reports (upper bounds, inclusive).
BUCKETS = (("≤ 1 ngày", 24.0), ("1–3 ngày", 72.0), ("3–7 ngày", 168.0), ("7–15 ngày", 360.0), ("> 15 ngày", None))
REGISTRY_CHANGES = {
    "Registered": "issued",
    "Updated": "changed",
    "Locked": "locked",
    "Unlocked": "unlocked",
    "Dissolved": "dissolved",
}

MAILBOX_STATES = {"Provisioned": "active", "Reactivated": "active", "Suspended": "suspended", "Deleted": "deleted"}
OUTCOMES = {"Sent": "sent", "DeliveryConfirmed": "sent", "Deferred": "deferred", "Bounced": "bounced"}


@dataclass
class LogReport:
    lines: dict[str, dict[str, float]] = field(default_factory=dict)
    months: list[tuple[str, int, int]] = field(default_factory=list)
    buckets: list[tuple[str, int]] = field(default_factory=list)
    registry_changes: dict[str, int] = field(default_factory=dict)


class Sql:
    """The bits of SQL that differ between PostgreSQL and SQLite: reading JSON, times and days."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"

    def events(self, table: str, event: str) -> str:
        """The events of one kind (`Aggregate.Event`) of a store, with their state as JSON `j`."""
        state = "convert_from(state, 'UTF8')::jsonb" if self.pg else "CAST(state AS TEXT)"
        return (
            f"(SELECT id, originator_id, originator_version, {state} AS j FROM {table} "
            f"WHERE topic LIKE '%\\:{event}')"  # a colon escaped from SQLAlchemy's bind parameters
        )

    def labelled(self, table: str, aggregate: str, labels: dict[str, str], columns: str) -> str:
        """Events of several kinds of one aggregate as one relation: `columns` of each (alias `e`) and its `label`."""
        return " UNION ALL ".join(
            f"SELECT {columns}, '{label}' AS label FROM {self.events(table, f'{aggregate}.{event}')} e"
            for event, label in labels.items()
        )

    def text(self, alias: str, *path: str) -> str:
        if self.pg:
            return f"({alias}.j #>> '{{{','.join(path)}}}')"
        return f"json_extract({alias}.j, '$.{'.'.join(path)}')"

    def moment(self, alias: str, name: str) -> str:
        """A datetime of the state (stored as ISO text with its offset), comparable with `literal_moment`."""
        raw = self.text(alias, name, "_data_")
        return f"{raw}::timestamptz" if self.pg else f"julianday({raw})"

    def literal_moment(self, moment: datetime) -> str:
        return f"TIMESTAMPTZ '{moment.isoformat()}'" if self.pg else f"julianday('{moment.isoformat()}')"

    def seconds(self, alias: str, name: str) -> str:
        """A datetime of the state as seconds since the epoch."""
        raw = self.text(alias, name, "_data_")
        return f"EXTRACT(EPOCH FROM {raw}::timestamptz)" if self.pg else f"CAST(strftime('%s', {raw}) AS INTEGER)"

    def day(self, alias: str, name: str) -> str:
        """The Vietnamese calendar day (UTC+07:00) of a datetime of the state, as ISO text."""
        raw = self.text(alias, name, "_data_")
        if self.pg:
            return f"to_char(({raw}::timestamptz AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD')"
        return f"date({raw}, '+7 hours')"


class EventLogCounts:
    """Counts a report of `scope` for the days `from_day`..`to_day` (None: unbounded) straight from the logs."""

    def __init__(
        self,
        engine: Engine,
        scope: str,
        from_day: date | None,
        to_day: date | None,
        today: date,
        end: datetime,
    ) -> None:
        self.engine = engine
        self.sql = Sql(engine.dialect.name)
        self.scope = scope
        self.from_day = from_day
        self.to_day = to_day
        self.today = today
        self.end = end

    def report(self) -> LogReport:
        with self.engine.connect() as connection:
            self.connection = connection
            if self.sql.pg:
                # The facts are subqueries over the decoded log, which the planner cannot estimate: it took
                # them for a few rows and joined them in nested loops, reading the log once per row (500 s
                # at 3,000 documents). Hash joins read each once; for this transaction only.
                connection.execute(text("SET LOCAL enable_nestloop = off"))
            lines: dict[str, dict[str, float]] = {}
            members = self._rows(f"SELECT line, COUNT(*) FROM ({self._lines()}) l GROUP BY line")
            for line, agencies in members:
                lines[line] = {"agencies": agencies}
            for indicators in (self._documents(), self._processing(), self._certificates(), self._mail()):
                for line, values in indicators.items():
                    lines.setdefault(line, {}).update(values)
            for values in lines.values():
                values["signed_share"] = values["sent_signed"] / values["sent"] if values.get("sent") else 0.0
            return LogReport(lines, self._months(), self._buckets(), self._registry_changes())

    # --- the hierarchy ----------------------------------------------------------------------------------------
    def _agencies(self) -> str:
        sql = self.sql
        return (
            f"SELECT {sql.text('r', 'code')} AS code, {sql.text('r', 'parent_code')} AS parent_code "
            f"FROM {sql.events('identifiers_events', 'Agency.Registered')} r"
        )

    def _lines(self) -> str:
        """(line, code): the codes each line of the report covers; lines are the scope (its own documents),
        each agency right under it (with its subtree), and 'total' (the scope's subtree)."""
        scope = self.scope
        return f"""
            WITH RECURSIVE agencies AS ({self._agencies()}),
            tree(ancestor, code) AS (
                SELECT code, code FROM agencies
                UNION ALL
                SELECT tree.ancestor, agencies.code FROM tree JOIN agencies ON agencies.parent_code = tree.code
                WHERE agencies.code <> agencies.parent_code
            )
            SELECT '{scope}' AS line, '{scope}' AS code
            UNION ALL
            SELECT tree.ancestor, tree.code FROM tree JOIN agencies unit ON unit.code = tree.ancestor
            WHERE unit.parent_code = '{scope}' AND unit.code <> '{scope}'
            UNION ALL
            SELECT 'total', code FROM tree WHERE ancestor = '{scope}'
        """

    def _in_period(self, day: str) -> str:
        conditions = ["1 = 1"]
        if self.from_day is not None:
            conditions.append(f"{day} >= '{self.from_day.isoformat()}'")
        if self.to_day is not None:
            conditions.append(f"{day} <= '{self.to_day.isoformat()}'")
        return " AND ".join(conditions)

    def _moment_in_period(self, alias: str, name: str) -> str:
        """A datetime of the state before the end of the period and on one of its days."""
        return f"{self.sql.moment(alias, name)} < {self.sql.literal_moment(self.end)} AND {self._in_period(self.sql.day(alias, name))}"

    def _rows(self, query: str) -> list[Any]:
        return list(self.connection.execute(text(query)).all())

    def _per_line(self, facts: str, columns: dict[str, str]) -> dict[str, dict[str, float]]:
        """`columns` (name → SQL aggregate over `f`) of the facts `f(code, ...)` of each line's codes."""
        selected = ", ".join(f"{aggregate} AS {name.replace('.', '__')}" for name, aggregate in columns.items())
        query = (
            f"SELECT l.line, {selected} FROM ({self._lines()}) l JOIN ({facts}) f ON f.code = l.code GROUP BY l.line"
        )
        return {
            row[0]: {name: float(value or 0) for name, value in zip(columns, row[1:], strict=True)}
            for row in self._rows(query)
        }

    # --- documents ----------------------------------------------------------------------------------------------
    def _documents(self) -> dict[str, dict[str, float]]:
        sql = self.sql
        signed = sql.events("documents_events", "OutgoingDocument.Signed")
        # A join to the signed documents, not `IN (SELECT …)` in the select list: past work_mem (515,450 signed
        # at a million documents) PostgreSQL no longer hashes that subquery and scans it once per sent
        # document, which ran for more than 25 minutes; a hash join spills to disk in batches instead.
        sent = (
            f"SELECT {sql.text('s', 'sender_code')} AS code, {sql.day('s', 'sent_at')} AS day, "
            "CASE WHEN g.originator_id IS NULL THEN 0 ELSE 1 END AS signed "
            f"FROM {sql.events('documents_events', 'OutgoingDocument.Sent')} s "
            f"LEFT JOIN (SELECT DISTINCT originator_id FROM {signed} d) g ON g.originator_id = s.originator_id"
        )
        arrived = (
            f"SELECT {sql.text('a', 'recipient_code')} AS code, {sql.day('a', 'arrived_at')} AS day "
            f"FROM {sql.events('documents_events', 'IncomingDocument.Arrived')} a"
        )
        refused = (
            f"SELECT {sql.text('r', 'recipient_code')} AS code, {sql.day('r', 'at')} AS day "
            f"FROM {sql.events('documents_events', 'IncomingDocument.Refused')} r"
        )
        recalled = (
            f"SELECT {sql.text('a', 'recipient_code')} AS code, {sql.day('r', 'at')} AS day "
            f"FROM {sql.events('documents_events', 'IncomingDocument.Recalled')} r "
            f"JOIN {sql.events('documents_events', 'IncomingDocument.Arrived')} a ON a.originator_id = r.originator_id"
        )
        lines: dict[str, dict[str, float]] = {}
        for facts, columns in (
            (sent, {"sent": "COUNT(*)", "sent_signed": "SUM(f.signed)"}),
            (arrived, {"received": "COUNT(*)"}),
            (refused, {"refused": "COUNT(*)"}),
            (recalled, {"recalled": "COUNT(*)"}),
        ):
            for line, values in self._per_line(
                f"SELECT * FROM ({facts}) x WHERE {self._in_period('x.day')}", columns
            ).items():
                lines.setdefault(line, {}).update(values)
        return lines

    def _copies(self) -> str:
        """Each incoming copy that arrived in the period: agency, arrival day, deadline, done day, hours to done."""
        sql = self.sql
        documents = "documents_events"
        # The last assignment of each copy, ranked in one pass (a correlated MAX per row read the log once
        # per assignment: 500 s at 3,000 documents on PostgreSQL).
        last_assigned = (
            "SELECT originator_id, due_on FROM ("
            f"SELECT s.originator_id, {sql.text('s', 'due_on')} AS due_on, ROW_NUMBER() OVER "
            "(PARTITION BY s.originator_id ORDER BY s.originator_version DESC) AS newest "
            f"FROM {sql.events(documents, 'IncomingDocument.Assigned')} s) ranked WHERE newest = 1"
        )
        return f"""
            SELECT {sql.text("a", "recipient_code")} AS code, {sql.day("a", "arrived_at")} AS day,
                   NULLIF(g.due_on, '') AS due_on, {sql.day("c", "at")} AS done_day,
                   ({sql.seconds("c", "at")} - {sql.seconds("a", "arrived_at")}) / 3600.0 AS hours
            FROM {sql.events(documents, "IncomingDocument.Arrived")} a
            LEFT JOIN ({last_assigned}) g ON g.originator_id = a.originator_id
            LEFT JOIN {sql.events(documents, "IncomingDocument.Completed")} c ON c.originator_id = a.originator_id
            WHERE {self._in_period(sql.day("a", "arrived_at"))}
        """

    def _processing(self) -> dict[str, dict[str, float]]:
        today = self.today.isoformat()
        lines = self._per_line(
            self._copies(),
            {
                "processing.received": "COUNT(*)",
                "processing.done": "COUNT(f.done_day)",
                "processing.done_late": "SUM(CASE WHEN f.done_day > f.due_on THEN 1 ELSE 0 END)",
                "processing.open": "SUM(CASE WHEN f.done_day IS NULL THEN 1 ELSE 0 END)",
                "processing.open_overdue": f"SUM(CASE WHEN f.done_day IS NULL AND f.due_on < '{today}' THEN 1 ELSE 0 END)",
                "processing.average_hours": "ROUND(CAST(AVG(f.hours) AS NUMERIC), 2)",
            },
        )
        for values in lines.values():
            values["processing.done_on_time"] = values["processing.done"] - values["processing.done_late"]
            values["processing.p90_hours"] = 0.0
        for line, p90 in self._p90(self._copies(), "f.hours").items():
            lines[line]["processing.p90_hours"] = p90
        return lines

    def _p90(self, facts: str, value: str) -> dict[str, float]:
        """The 90th percentile (nearest rank: the value at index ⌊9n/10⌋ of n sorted) of each line's values."""
        query = f"""
            SELECT line, ROUND(CAST(v AS NUMERIC), 2) FROM (
                SELECT l.line, {value} AS v,
                       ROW_NUMBER() OVER (PARTITION BY l.line ORDER BY {value}) - 1 AS rn,
                       COUNT(*) OVER (PARTITION BY l.line) AS n
                FROM ({self._lines()}) l JOIN ({facts}) f ON f.code = l.code WHERE {value} IS NOT NULL
            ) ranked WHERE rn = (9 * n) / 10
        """
        return {line: float(v) for line, v in self._rows(query)}

    def _months(self) -> list[tuple[str, int, int]]:
        sql = self.sql
        total = f"SELECT code FROM ({self._lines()}) l WHERE line = 'total'"
        counts: Counter[tuple[str, str]] = Counter()
        for kind, event, party, moment in (
            ("sent", "OutgoingDocument.Sent", "sender_code", "sent_at"),
            ("received", "IncomingDocument.Arrived", "recipient_code", "arrived_at"),
        ):
            query = f"""
                SELECT substr(x.day, 1, 7), COUNT(*) FROM (
                    SELECT {sql.text("e", party)} AS code, {sql.day("e", moment)} AS day
                    FROM {sql.events("documents_events", event)} e
                ) x WHERE x.code IN ({total}) AND {self._in_period("x.day")} GROUP BY substr(x.day, 1, 7)
            """
            for month, n in self._rows(query):
                counts[(month, kind)] += int(n)
        return [(m, counts[(m, "sent")], counts[(m, "received")]) for m in sorted({m for m, _ in counts})]

    def _buckets(self) -> list[tuple[str, int]]:
        cases = " ".join(f"WHEN f.hours <= {limit} THEN '{label}'" for label, limit in BUCKETS if limit is not None)
        query = f"""
            SELECT CASE {cases} ELSE '{BUCKETS[-1][0]}' END AS bucket, COUNT(*)
            FROM ({self._lines()}) l JOIN ({self._copies()}) f ON f.code = l.code
            WHERE l.line = 'total' AND f.hours IS NOT NULL GROUP BY 1
        """
        found = {label: int(n) for label, n in self._rows(query)}
        return [(label, found.get(label, 0)) for label, _ in BUCKETS]

    # --- certificates ---------------------------------------------------------------------------------------
    def _certificates(self) -> dict[str, dict[str, float]]:
        sql = self.sql
        signing = "signing_events"
        end = sql.literal_moment(self.end)
        revoked = sql.events(signing, "Certificate.Revoked")
        held = f"""
            SELECT {sql.text("i", "agency_code")} AS code, {sql.text("i", "kind")} AS kind,
                   CASE WHEN r.id IS NOT NULL AND {end} >= {sql.moment("r", "at")} THEN 'revoked'
                        WHEN {end} < {sql.moment("i", "not_before")} THEN 'not_yet_active'
                        WHEN {end} > {sql.moment("i", "not_after")} THEN 'expired'
                        WHEN EXISTS (SELECT 1 FROM {sql.events(signing, "Certificate.Suspended")} s
                                     WHERE s.originator_id = i.originator_id AND {sql.moment("s", "at")} <= {end}
                                     AND NOT EXISTS (SELECT 1 FROM {sql.events(signing, "Certificate.Reactivated")} z
                                                     WHERE z.originator_id = i.originator_id
                                                     AND z.originator_version > s.originator_version
                                                     AND {sql.moment("z", "at")} <= {end})) THEN 'suspended'
                        ELSE 'active' END AS state,
                   CASE WHEN {self._moment_in_period("i", "timestamp")} THEN 1 ELSE 0 END AS issued,
                   CASE WHEN r.id IS NOT NULL AND {self._moment_in_period("r", "at")} THEN 1 ELSE 0 END AS revoked
            FROM {sql.events(signing, "Certificate.Issued")} i LEFT JOIN {revoked} r ON r.originator_id = i.originator_id
            WHERE {sql.moment("i", "timestamp")} < {end}
        """
        states = ("not_yet_active", "active", "suspended", "revoked", "expired")
        kinds = ("individual", "organisation", "sim_pki")
        columns = {f"certificates.{s}": f"SUM(CASE WHEN f.state = '{s}' THEN 1 ELSE 0 END)" for s in states}
        columns |= {f"certificates.{k}": f"SUM(CASE WHEN f.kind = '{k}' THEN 1 ELSE 0 END)" for k in kinds}
        columns |= {"certificates.issued": "SUM(f.issued)", "certificates.revoked_in_period": "SUM(f.revoked)"}
        lines = self._per_line(held, columns)
        requests = f"""
            SELECT {sql.text("q", "agency_code")} AS code, {sql.moment("q", "requested_at")} AS requested,
                   {sql.moment("d", "issued_at")} AS fulfilled,
                   CASE WHEN d.id IS NOT NULL AND {self._moment_in_period("d", "active_from")}
                        THEN ({sql.seconds("d", "active_from")} - {sql.seconds("q", "requested_at")}) / 86400.0 END AS lead
            FROM {sql.events(signing, "RegistrationRequest.Requested")} q
            LEFT JOIN {sql.events(signing, "RegistrationRequest.Fulfilled")} d ON d.originator_id = q.originator_id
        """
        pending = (
            f"SUM(CASE WHEN f.requested < {end} AND (f.fulfilled IS NULL OR f.fulfilled > {end}) THEN 1 ELSE 0 END)"
        )
        for line, values in self._per_line(
            requests,
            {
                "certificates.requested": pending,
                "certificates.lead_time_average_days": "ROUND(CAST(AVG(f.lead) AS NUMERIC), 2)",
            },
        ).items():
            lines.setdefault(line, {}).update(values)
        for line, p90 in self._p90(requests, "f.lead").items():
            lines[line]["certificates.lead_time_p90_days"] = p90
        signatures = f"""
            SELECT {sql.text("i", "agency_code")} AS code, {sql.day("m", "signed_at")} AS day,
                   CASE WHEN COALESCE({sql.text("m", "policy")}, '') <> '' THEN 1 ELSE 0 END AS automatic
            FROM {sql.events(signing, "Certificate.SignatureMade")} m
            JOIN {sql.events(signing, "Certificate.Issued")} i ON i.originator_id = m.originator_id
        """
        failures = f"""
            SELECT {sql.text("v", "expected_agency_code")} AS code, {sql.day("v", "timestamp")} AS day
            FROM {sql.events(signing, "FailedVerification.Recorded")} v
        """
        for facts, columns in (
            (
                signatures,
                {
                    "certificates.signatures_automatic": "SUM(f.automatic)",
                    "certificates.signatures_personal": "SUM(1 - f.automatic)",
                },
            ),
            (failures, {"certificates.verifications_failed": "COUNT(*)"}),
        ):
            period = f"SELECT * FROM ({facts}) x WHERE {self._in_period('x.day')}"
            for line, values in self._per_line(period, columns).items():
                lines.setdefault(line, {}).update(values)
        return lines

    # --- mail -----------------------------------------------------------------------------------------------
    def _mail(self) -> dict[str, dict[str, float]]:
        sql = self.sql
        email = "email_events"
        end = sql.literal_moment(self.end)
        moment = sql.moment("e", "timestamp")
        changes = sql.labelled(
            email, "Mailbox", MAILBOX_STATES, f"e.originator_id, e.originator_version, {moment} AS at"
        )
        mailboxes = f"""
            SELECT {sql.text("p", "agency_code")} AS code,
                   CASE WHEN {self._moment_in_period("p", "timestamp")} THEN 1 ELSE 0 END AS provisioned,
                   CASE WHEN (SELECT c.label FROM ({changes}) c WHERE c.originator_id = p.originator_id AND c.at <= {end}
                              ORDER BY c.originator_version DESC LIMIT 1) = 'active' THEN 1 ELSE 0 END AS active
            FROM {sql.events(email, "Mailbox.Provisioned")} p
        """
        lines = self._per_line(mailboxes, {"mail.provisioned": "SUM(f.provisioned)", "mail.active": "SUM(f.active)"})
        outcomes = sql.labelled(email, "Notification", OUTCOMES, f"e.originator_id, {sql.day('e', 'timestamp')} AS day")
        mails = f"""
            SELECT {sql.text("q", "agency_code")} AS code, o.day, o.label AS outcome FROM ({outcomes}) o
            JOIN {sql.events(email, "Notification.Queued")} q ON q.originator_id = o.originator_id
            WHERE {self._in_period("o.day")}
        """
        columns = {
            f"mail.{o}": f"SUM(CASE WHEN f.outcome = '{o}' THEN 1 ELSE 0 END)" for o in ("sent", "deferred", "bounced")
        }
        for line, values in self._per_line(mails, columns).items():
            lines.setdefault(line, {}).update(values)
        return lines

    # --- the registry ----------------------------------------------------------------------------------------
    def _registry_changes(self) -> dict[str, int]:
        sql = self.sql
        total = f"SELECT code FROM ({self._lines()}) l WHERE line = 'total'"
        changes = sql.labelled(
            "identifiers_events", "Agency", REGISTRY_CHANGES, f"e.originator_id, {sql.day('e', 'timestamp')} AS day"
        )
        query = f"""
            SELECT x.label, COUNT(*) FROM ({changes}) x
            JOIN {sql.events("identifiers_events", "Agency.Registered")} r ON r.originator_id = x.originator_id
            WHERE {sql.text("r", "code")} IN ({total}) AND {self._in_period("x.day")} GROUP BY x.label
        """
        return {change: int(n) for change, n in self._rows(query)}


def differences(report: Any, counted: LogReport) -> list[str]:
    """Where `GetReport`'s answer (`report`, a `GetReportResponse`) and the counts from the log disagree:
    every figure of every line, the months, the processing-time buckets and the registry changes."""
    found: list[str] = []
    for line in [*report.lines, report.total]:
        key = "total" if line is report.total else line.code
        expected = counted.lines.get(key, {})
        for name, value in _figures(line).items():
            want = expected.get(name, 0.0)
            # Durations are rounded to two decimals on both sides, by Python and by SQL (half-way cases differ).
            tolerance = 0.0101 if name.endswith(("_hours", "_days")) else 1e-9
            if abs(float(value) - want) > tolerance:
                found.append(f"line {key}: {name} is {value} in the report, {want} in the event log")
    months = [(m.month, m.sent, m.received) for m in report.months]
    if months != counted.months:
        found.append(f"months: {months} in the report, {counted.months} in the event log")
    buckets = [(b.label, b.count) for b in report.processing_times]
    if buckets != counted.buckets:
        found.append(f"processing times: {buckets} in the report, {counted.buckets} in the event log")
    if dict(report.registry_changes) != counted.registry_changes:
        found.append(f"registry changes: {dict(report.registry_changes)} in the report, {counted.registry_changes}")
    return found


def _figures(line: Any) -> dict[str, float]:
    """Every number of a `ReportLine`, flattened as `processing.done`, `certificates.active`, ..."""
    figures: dict[str, float] = {}
    for descriptor, value in line.ListFields():
        if descriptor.message_type is not None:
            for child in descriptor.message_type.fields:
                figures[f"{descriptor.name}.{child.name}"] = getattr(value, child.name)
        elif descriptor.name not in ("code", "name"):
            figures[descriptor.name] = value
    for descriptor in line.DESCRIPTOR.fields:  # fields at zero are not listed, and count as much
        if descriptor.message_type is None and descriptor.name not in ("code", "name"):
            figures.setdefault(descriptor.name, getattr(line, descriptor.name))
    return figures
