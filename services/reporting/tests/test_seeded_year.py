"""A seeded year of the province, shaped like the seed figures, taken the real way (event stores → relays →
JetStream → reporting's consumers → GetReport) gives the numbers SQL counts straight from the event tables;
rebuilding the read models from zero gives the same tables. `make bench` runs the same at 100,000 documents
(bench/reporting.py); here a smaller year keeps the test to a minute or two (the
projection, at a few hundred events/s on a busy 2-core machine, sets the pace)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from lienthong.eventstore.chain import verify_chain
from lienthong.grpcserver import Settings
from lienthong.launcher.province import PROVINCE_CODE
from lienthong.relay import StreamNames
from lienthong.reporting.adapters.inbound.api import ReportingServicer
from lienthong.reporting.main import read_models, replay
from lienthong.reporting.v1 import reporting_pb2 as pb
from lienthong.vietnamese.calendar import vietnam_today
from seeding.event_log_counts import EventLogCounts, differences
from seeding.pipeline import project_all, relay_all, table_contents
from seeding.province_year import Shape, applications, write_year

SHAPE = Shape(documents=2_000, certificates=700)


@pytest.mark.timeout(600)
def test_a_seeded_year_reports_what_sql_counts_in_the_event_log_and_rebuilds_the_same(
    database_url: str, nats_url: str, instance: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps = applications(database_url)
    written = write_year(apps, SHAPE)
    for service, app in apps.items():
        verdict = verify_chain(app)
        assert verdict.intact, f"{service}: {verdict.reason}"
        assert verdict.checked == written.events[service]
    monkeypatch.setenv("LIENTHONG_DATABASE_URL", database_url)
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LIENTHONG_NATS_URL", nats_url)
    monkeypatch.setenv("LIENTHONG_INSTANCE", instance)
    settings = Settings.from_env("reporting")
    models = read_models(settings)
    names = StreamNames(instance)

    relayed = asyncio.run(relay_all(apps, nats_url, names))
    projected = asyncio.run(project_all(models, nats_url, names))

    assert relayed.events == projected.events == written.total
    request = pb.GetReportRequest(
        scope_code=PROVINCE_CODE, from_day=SHAPE.first_day.isoformat(), to_day=SHAPE.last_day.isoformat()
    )
    report = asyncio.run(ReportingServicer(models.activity, models.reports()).GetReport(request, None))
    counted = EventLogCounts(
        create_engine(database_url), PROVINCE_CODE, SHAPE.first_day, SHAPE.last_day, vietnam_today(), SHAPE.end
    ).report()
    assert differences(report, counted) == []
    counted.lines["total"]["sent"] += 1  # and a figure off by one is caught
    assert differences(report, counted) == [
        f"line total: sent is {report.total.sent} in the report, {report.total.sent + 1.0} in the event log"
    ]
    # Shaped like the seed: documents exchanged, 96% signed, certificates in the seed's states.
    total = report.total
    assert abs(total.sent + total.received - SHAPE.documents) < SHAPE.documents * 0.02
    assert 0.95 < total.signed_share < 0.97
    states = total.certificates
    held = states.active + states.revoked + states.not_yet_active + states.expired + states.suspended
    assert held == SHAPE.certificates
    assert round(states.revoked / held, 2) == round(494 / 6_748, 2)
    assert round(states.not_yet_active / held, 2) == round(493 / 6_748, 2)
    # Every kind of figure was fed, so that equal figures mean something.
    assert len(report.lines) == 30  # the province's own line, 20 departments, 9 districts
    assert min(total.refused, total.recalled, total.processing.done, total.processing.open_overdue) > 0
    assert min(total.certificates.signatures_automatic, total.certificates.signatures_personal) > 0
    assert min(total.mail.sent, total.mail.deferred, total.mail.bounced, total.mail.provisioned) > 0
    assert min(total.certificates.lead_time_p90_days, total.certificates.requested) > 0
    assert min(report.registry_changes["changed"], report.registry_changes["locked"]) > 0

    before = table_contents(models)
    for model in models.by_stream().values():
        model.empty()
    asyncio.run(replay(settings, models))

    assert table_contents(models) == before
    assert all(rows for name, rows in before.items() if not name.endswith("dead_letters"))
    assert not any(rows for name, rows in before.items() if name.endswith("dead_letters"))
