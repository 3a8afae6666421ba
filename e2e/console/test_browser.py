"""An auditor and the ICT department use the console in Chromium against the real platform: sign in, find the
demo document by a word without diacritics, follow its timeline, see its sealed PDF verified, be refused a
confidential document of another agency, see a tampered event row turn audit verify red. Every page is
screenshot into the folder `screenshots` names and checked with axe-core: no serious or critical violation."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import nats
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import create_engine, text

from lienthong.documents.adapters.outbound.rendering import render_document_pdf
from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.demo import RECIPIENT, SENDER, DemoResult, seed_demo
from lienthong.launcher.platform import Platform
from lienthong.launcher.testing import wait_for
from lienthong.relay import StreamNames

from .conftest import AXE

AUDITOR = f"auditor@{RECIPIENT}"  # the auditor of the recipient, the province's People's Committee
STRANGER = "auditor@000.00.07.H41"  # the auditor of another department, party to neither document
OPERATOR = f"operator@{SENDER}"  # the ICT department (Sở TT&TT) runs the platform
SERVICES = ("identifiers", "documents", "signing", "email", "reporting")


@pytest.fixture(scope="module")
def demo(console_platform: Platform) -> DemoResult:
    return seed_demo(console_platform.callers)


@pytest.fixture(scope="module")
def confidential(console_platform: Platform, demo: DemoResult) -> str:
    """A TUYỆT MẬT plan from the demo sender to the demo recipient; its outgoing id."""
    pdf = render_document_pdf(
        agency_name="Sở Thông tin và Truyền thông",
        code="",
        issued_on=date(2026, 11, 25),
        type_name="Kế hoạch",
        subject="Kế hoạch bảo đảm an toàn thông tin",
    )
    with console_platform.callers.opened("documents", f"clerk@{SENDER}") as channel:
        sent = documents_pb2_grpc.DocumentsServiceStub(channel).SendDocument(
            docs.SendDocumentRequest(
                document=docs.CreateOutgoingRequest(
                    sender_code=SENDER,
                    type=docs.DOCUMENT_TYPE_KE_HOACH,
                    subject="Kế hoạch bảo đảm an toàn thông tin",
                    confidentiality=docs.CONFIDENTIALITY_TUYET_MAT,
                    content_pdf=pdf,
                ),
                recipient_codes=[RECIPIENT],
            )
        )
    return sent.document.id


def url(platform: Platform, path: str) -> str:
    assert platform.config.console_url
    return platform.config.console_url.rstrip("/") + path


def check_page(browser: WebDriver, screenshots: Path, name: str) -> None:
    """Screenshot the page as `<name>.png`, then fail on any serious or critical axe-core violation."""
    browser.save_screenshot(str(screenshots / f"{name}.png"))
    browser.execute_script(AXE.read_text())
    violations: list[dict[str, Any]] = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done([{id: String(e), impact: 'critical', nodes: []}]));"
    )
    serious = [
        {"id": v["id"], "impact": v["impact"], "where": [n.get("target") for n in v["nodes"]][:3]}
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{name}: {json.dumps(serious, ensure_ascii=False)}"


def _self_signed_pem() -> bytes:
    """A CA certificate that issued nothing of the platform's."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not the platform CA")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def find(browser: WebDriver, element_id: str) -> WebElement:
    """The element once the page that has it is there (a click that submits a form returns before the next
    page has loaded)."""
    found: WebElement = WebDriverWait(browser, 60).until(
        expected_conditions.presence_of_element_located((By.ID, element_id))
    )
    return found


def sign_in(browser: WebDriver, platform: Platform, principal: str) -> None:
    role, _, agency = principal.partition("@")
    browser.get(url(platform, "/sign-in"))
    Select(find(browser, "role")).select_by_value(role)
    field = find(browser, "agency")
    field.clear()
    field.send_keys(agency)
    find(browser, "sign-in").click()
    # Until the next page has loaded, "who" may be the old page's node: keep asking until it is the new one.
    try:
        WebDriverWait(browser, 60, ignored_exceptions=(WebDriverException,)).until(
            lambda b: b.find_element(By.ID, "who").text == principal
        )
    except TimeoutException:
        raise AssertionError(f"the console did not show {principal!r} as signed in within 60 s") from None


def test_an_auditor_signs_in_and_finds_the_demo_document_by_a_word_without_diacritics(
    browser: WebDriver, console_platform: Platform, demo: DemoResult, screenshots: Path
) -> None:
    browser.get(url(console_platform, "/search"))
    assert "/sign-in" in browser.current_url  # nobody signed in: the sign-in page first
    check_page(browser, screenshots, "01-sign-in")
    sign_in(browser, console_platform, AUDITOR)
    check_page(browser, screenshots, "02-home")

    browser.get(url(console_platform, "/search"))
    find(browser, "q").send_keys("ung dung cong nghe thong tin")  # "ứng dụng công nghệ thông tin"
    find(browser, "search").click()
    hits = find(browser, "hits")
    assert demo.code in hits.text
    check_page(browser, screenshots, "03-search")
    hits.find_element(By.LINK_TEXT, demo.code).click()
    assert "/documents/" in browser.current_url


def test_the_timeline_spans_sender_and_recipient_with_who_when_what_and_trace_ids(
    browser: WebDriver, console_platform: Platform, demo: DemoResult, screenshots: Path
) -> None:
    browser.get(url(console_platform, f"/documents/{demo.outgoing_id}"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#timeline tbody tr")
    cells = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows]
    events = {(row[3], row[4]) for row in cells}
    assert ("Approved", f"leader@{SENDER}") in events
    assert ("Accepted", f"clerk@{RECIPIENT}") in events
    parties = {row[2].split()[0] for row in cells}
    assert {"OutgoingDocument", "IncomingDocument"} <= parties, parties
    assert all(len(row[5]) == 32 for row in cells if row[3] in ("Approved", "Accepted")), cells  # trace ids
    hop = browser.find_element(By.CSS_SELECTOR, "#timeline a[href^='#e-']")  # the next hop, to the other party
    target = hop.get_attribute("href")
    assert target
    assert "#e-" in target
    check_page(browser, screenshots, "04-timeline")


def test_the_sealed_pdf_is_shown_and_verified(
    browser: WebDriver, console_platform: Platform, demo: DemoResult, screenshots: Path
) -> None:
    browser.get(url(console_platform, f"/documents/{demo.outgoing_id}/signatures"))
    verdict = find(browser, "verdict").text
    assert "Hợp lệ" in verdict
    assert "mọi chữ ký đều nguyên vẹn" in verdict, verdict  # the service's English reason, said in Vietnamese
    report = find(browser, "signatures").text
    assert "nguyên vẹn, ký bằng chứng thư số tin cậy" in report, report
    assert SENDER in report
    assert "B-LT" in report  # timestamped, validation data in the DSS
    pdf_type = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(document.getElementById('pdf').src).then(r => r.arrayBuffer().then(b => done([r.headers.get('content-type'), new TextDecoder().decode(b.slice(0, 5))])));"
    )
    assert pdf_type == ["application/pdf", "%PDF-"]
    check_page(browser, screenshots, "05-signatures")


def test_state_at_an_instant_diff_and_the_access_log_naming_the_auditor(
    browser: WebDriver, console_platform: Platform, demo: DemoResult, screenshots: Path
) -> None:
    browser.get(
        url(
            console_platform,
            f"/documents/{demo.outgoing_id}/state?at=2099-01-01T00:00&from=2000-01-01T00:00&to=2099-01-01T00:00",
        )
    )
    state = find(browser, "state").text
    assert "subject" in state, state
    assert "ứng dụng công nghệ thông tin" in state, state
    changes = find(browser, "changes").text
    assert "subject" in changes, changes
    check_page(browser, screenshots, "06-state-and-diff")

    # The signatures page read the PDF as the auditor: the documents service logged it under their name.
    browser.get(url(console_platform, f"/documents/{demo.outgoing_id}/access"))
    assert AUDITOR in find(browser, "access").text
    check_page(browser, screenshots, "07-access-log")


def test_forms_refuse_bad_input_in_vietnamese(
    browser: WebDriver, console_platform: Platform, screenshots: Path
) -> None:
    browser.get(url(console_platform, "/search?q=x&from=2026-02-31"))
    refusal = find(browser, "refusal").text
    assert "không phải là ngày hợp lệ" in refusal
    assert "2026-02-31" in refusal
    check_page(browser, screenshots, "08-bad-input")
    browser.get(url(console_platform, "/search?agency=UBND"))
    assert "không phải là mã định danh" in find(browser, "refusal").text


def test_an_uploaded_pdf_gets_the_same_report(
    browser: WebDriver, console_platform: Platform, demo: DemoResult, screenshots: Path, tmp_path: Path
) -> None:
    with console_platform.callers.opened("documents", f"clerk@{SENDER}") as channel:
        content = documents_pb2_grpc.DocumentsServiceStub(channel).GetContent(
            docs.GetContentRequest(document_id=demo.outgoing_id)
        )
    received = tmp_path / "nhan-duoc.pdf"
    received.write_bytes(content.content_pdf)
    browser.get(url(console_platform, "/verify"))
    find(browser, "pdf").send_keys(str(received))
    find(browser, "check").click()
    verdict = find(browser, "verdict").text
    assert "Hợp lệ" in verdict
    assert "mọi chữ ký đều nguyên vẹn" in verdict, verdict
    check_page(browser, screenshots, "09-upload-verify")

    # The same report offline: `lienthong verify --trust` with the platform's CA, no service reachable.
    offline_env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    offline_env |= {"LIENTHONG_SIGNING_ADDR": "127.0.0.1:9", "LIENTHONG_DATA_DIR": str(tmp_path / "nowhere")}
    ca = console_platform.tls.ca_file
    offline = subprocess.run(
        [sys.executable, "-m", "lienthong.cli.main", "verify", str(received), "--trust", str(ca), "--agency", SENDER],
        env=offline_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert "TOTAL_PASSED" in offline.stdout
    stranger_ca = tmp_path / "other-ca.pem"
    stranger_ca.write_bytes(_self_signed_pem())
    distrusted = subprocess.run(
        [sys.executable, "-m", "lienthong.cli.main", "verify", str(received), "--trust", str(stranger_ca)],
        env=offline_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert distrusted.returncode == 1, distrusted.stdout + distrusted.stderr
    assert "TOTAL_PASSED" not in distrusted.stdout

    not_pdf = tmp_path / "khong-phai.pdf"
    not_pdf.write_text("xin chào")
    browser.get(url(console_platform, "/verify"))
    find(browser, "pdf").send_keys(str(not_pdf))
    find(browser, "check").click()
    assert "không phải là PDF" in find(browser, "refusal").text


def health_rows(browser: WebDriver, platform: Platform) -> dict[str, list[str]]:
    """The health page's rows by service: [service, instance, status, time, since, detail]."""
    browser.get(url(platform, "/operations/health"))
    find(browser, "health")
    rows = browser.find_elements(By.CSS_SELECTOR, "#health tbody tr")
    cells = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows]
    return {row[0]: row for row in cells}


def test_the_health_of_every_service(browser: WebDriver, console_platform: Platform, screenshots: Path) -> None:
    rows = health_rows(browser, console_platform)
    assert sorted(rows) == sorted(SERVICES), rows  # make run: one replica of each
    for row in rows.values():
        assert row[2] == "SERVING", row
        assert row[1] == "—", row  # an auditor sees the health, not which instance answered
    check_page(browser, screenshots, "10-health")


def test_the_ict_department_sees_the_registry_tree_an_agency_history_statistics_and_downloads(
    browser: WebDriver, console_platform: Platform, screenshots: Path, tmp_path: Path
) -> None:
    browser.find_element(By.CSS_SELECTOR, "form[action='/sign-out'] button").click()
    sign_in(browser, console_platform, OPERATOR)
    browser.get(url(console_platform, "/operations/agencies"))
    roots = find(browser, "agencies").text
    assert RECIPIENT in roots, roots
    check_page(browser, screenshots, "14-registry-roots")
    browser.find_element(By.CSS_SELECTOR, f"a[href='/operations/agencies?parent={RECIPIENT}']").click()
    assert SENDER in find(browser, "agencies").text  # the department sits under the committee
    check_page(browser, screenshots, "15-registry-children")
    browser.get(url(console_platform, f"/operations/agencies/{SENDER}"))
    assert "Registered" in find(browser, "agency-history").text
    check_page(browser, screenshots, "16-agency-history")

    browser.get(url(console_platform, f"/statistics?scope={RECIPIENT}&from=2026-01-01&to=2026-12-31"))
    total = browser.find_element(By.CSS_SELECTOR, "#report tbody tr:last-child").text
    assert total.startswith("Tổng"), total
    assert browser.find_elements(By.CSS_SELECTOR, "#chart rect"), "no bar in the chart"
    check_page(browser, screenshots, "17-statistics")
    for kind, magic in (("xlsx", "PK"), ("pdf", "%PDF-")):
        link = find(browser, f"download-{kind}").get_attribute("href")
        got = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(r => r.arrayBuffer().then(b => done([r.status, new TextDecoder().decode(b.slice(0, arguments[1]))])));",
            link,
            len(magic),
        )
        assert got == [200, magic], (kind, got)

    # Bulk import: a dry-run preview changes nothing, then the import runs with its progress shown.
    agencies_file = tmp_path / "don-vi-moi.csv"
    agencies_file.write_text(
        "code,name,short_name,address,email,contact\n"
        '000.09.12.H41,Trung tâm Chuyển đổi số,TTCĐS,"Nha Trang, Khánh Hòa",ttcds@khanhhoa.gov.vn,\n'
        '000.01.12.H41,Văn phòng Sở (đổi tên),VP,"Nha Trang, Khánh Hòa",vp.stttt@khanhhoa.gov.vn,\n',
        encoding="utf-8",
    )
    browser.get(url(console_platform, "/operations/agencies/import"))
    find(browser, "file").send_keys(str(agencies_file))
    find(browser, "preview").click()
    assert "Sẽ tạo mới 1, cập nhật 1" in find(browser, "preview-summary").text
    check_page(browser, screenshots, "19-import-preview")
    with console_platform.callers.opened("identifiers") as channel:
        registry = identifiers_pb2_grpc.IdentifiersServiceStub(channel)
        with pytest.raises(grpc.RpcError) as missing:
            registry.GetAgency(ids.GetAgencyRequest(code="000.09.12.H41"))
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND  # the preview changed nothing
        find(browser, "start-import").click()
        wait_for(lambda: "Xong" in find(browser, "import-status").text or None, what="the import to finish")
        assert "tạo mới 1, cập nhật 1" in find(browser, "import-status").text
        check_page(browser, screenshots, "20-import-done")
        assert registry.GetAgency(ids.GetAgencyRequest(code="000.09.12.H41")).agency.name == "Trung tâm Chuyển đổi số"
    browser.get(url(console_platform, "/operations/agencies/import"))
    bad = tmp_path / "hong.csv"
    bad.write_text("ma,ten\n1,2\n", encoding="utf-8")
    find(browser, "file").send_keys(str(bad))
    find(browser, "preview").click()
    assert "Không đọc được tệp" in find(browser, "refusal").text

    browser.get(url(console_platform, f"/operations/mail?agency={SENDER}"))
    assert find(browser, "mailboxes")
    check_page(browser, screenshots, "18-mail")


def switch_to(browser: WebDriver, platform: Platform, principal: str) -> None:
    signed_out = browser.find_elements(By.CSS_SELECTOR, "form[action='/sign-out'] button")
    if signed_out:
        signed_out[0].click()
    sign_in(browser, platform, principal)


def test_the_ict_department_sees_each_instance_relay_and_consumer_lag_and_dead_letters_with_their_reason(
    browser: WebDriver, console_platform: Platform, demo: DemoResult, screenshots: Path
) -> None:
    switch_to(browser, console_platform, OPERATOR)
    rows = health_rows(browser, console_platform)
    for row in rows.values():
        assert row[2] == "SERVING", row
        assert re.fullmatch(r".+:\d+", row[1]), row  # host:pid of the instance answering
    check_page(browser, screenshots, "21-health-operator")

    def caught_up() -> bool | None:
        browser.get(url(console_platform, "/operations/pipeline"))
        return True if "theo kịp" in find(browser, "pipeline-verdict").text else None

    wait_for(caught_up, timeout=60, what="every relay and read model caught up")
    names = StreamNames(console_platform.config.instance)
    assert names.stream("documents") in find(browser, "relays-documents").text
    readers = find(browser, "readers-reporting").text
    for read_model in ("reporting_registry", "reporting_signing", "reporting_mail"):
        assert read_model in readers, readers
    assert names.stream("identifiers") in readers, readers
    assert "documents_registers" in find(browser, "readers-documents").text
    check_page(browser, screenshots, "22-pipeline")

    # Something that is not an event, on the registry's stream: reporting's agency tree puts it aside.
    async def forge() -> None:
        credentials = console_platform.nats_credentials("identifiers")
        options = credentials.connect_options() if credentials else {}
        connection = await nats.connect(console_platform.nats_url, allow_reconnect=False, **options)
        try:
            subject = f"{console_platform.config.instance}.identifiers.agency.forged"
            await connection.jetstream(timeout=5).publish(subject, b"\xff not an event", headers={"Nats-Msg-Id": "x1"})
        finally:
            await connection.close()

    asyncio.run(forge())

    def put_aside() -> str | None:
        browser.get(url(console_platform, "/operations/dead-letters?service=reporting"))
        table = find(browser, "dead-letters")
        return table.text if table.tag_name == "table" else None

    letters = wait_for(put_aside, timeout=60, what="reporting to put the forged message aside")
    assert "not an event envelope" in letters, letters
    check_page(browser, screenshots, "23-dead-letters")
    browser.get(url(console_platform, "/operations/pipeline"))
    assert "bị gác lại" in find(browser, "pipeline-verdict").text
    browser.get(url(console_platform, "/operations/dead-letters?service=reporting&read_model=nope"))
    assert "read_model 'nope'" in find(browser, "refusal").text
    browser.get(url(console_platform, "/operations/dead-letters?service=mars"))
    assert "“Dịch vụ”: “mars” không có" in find(browser, "refusal").text


def test_certificates_by_state_expiring_first_and_every_list_pages(
    browser: WebDriver, console_platform: Platform, demo: DemoResult, screenshots: Path
) -> None:
    switch_to(browser, console_platform, OPERATOR)

    def listed() -> str | None:
        browser.get(url(console_platform, f"/operations/certificates?agency={RECIPIENT}"))
        table = find(browser, "certificates")
        return table.text if table.tag_name == "table" and SENDER in table.text else None

    certificates = wait_for(listed, timeout=60, what="the sender's seal in reporting's certificate registry")
    assert "Đang hoạt động" in certificates, certificates
    assert "Đang hoạt động: " in find(browser, "counts").text
    check_page(browser, screenshots, "24-certificates")
    browser.get(url(console_platform, f"/operations/certificates?agency={RECIPIENT}&state=lost"))
    assert "“Trạng thái”: “lost” không có trong danh sách" in find(browser, "refusal").text
    browser.get(url(console_platform, f"/operations/certificates?agency={RECIPIENT}&page_token=abc"))
    assert "“Trang”: “abc”" in find(browser, "refusal").text

    # Timelines, access logs and agency histories page too; a page past the end says how many there are.
    switch_to(browser, console_platform, AUDITOR)
    browser.get(url(console_platform, f"/documents/{demo.outgoing_id}?page=1"))
    assert "Trang 1" in browser.find_element(By.CSS_SELECTOR, ".pages").text
    browser.get(url(console_platform, f"/documents/{demo.outgoing_id}?page=99"))
    assert "chỉ có 1 trang; trang 99 không có" in find(browser, "refusal").text
    browser.get(url(console_platform, f"/documents/{demo.outgoing_id}/access?page=x"))
    assert "“Trang”: “x” không phải là số trang" in find(browser, "refusal").text
    check_page(browser, screenshots, "25-bad-page")


def test_an_auditor_of_another_agency_is_refused_a_confidential_document_and_the_refusal_is_logged(
    browser: WebDriver, console_platform: Platform, confidential: str, screenshots: Path
) -> None:
    browser.find_element(By.CSS_SELECTOR, "form[action='/sign-out'] button").click()
    sign_in(browser, console_platform, STRANGER)
    browser.get(url(console_platform, f"/documents/{confidential}"))
    refusal = find(browser, "refusal").text
    assert "confidential" in refusal, refusal
    assert "PERMISSION_DENIED" in refusal, refusal
    check_page(browser, screenshots, "11-refused-confidential")

    browser.find_element(By.CSS_SELECTOR, "form[action='/sign-out'] button").click()
    sign_in(browser, console_platform, AUDITOR)  # the recipient's auditor sees who was refused
    browser.get(url(console_platform, f"/documents/{confidential}/access"))
    assert STRANGER in find(browser, "access").text


def test_a_tampered_event_row_turns_audit_verify_red(
    browser: WebDriver, console_platform: Platform, demo: DemoResult, screenshots: Path
) -> None:
    def intact() -> bool | None:
        browser.get(url(console_platform, "/audit/verify"))
        table = find(browser, "chains").text
        return True if "documents 0 " not in table and "Mọi chuỗi" in find(browser, "chains-verdict").text else None

    wait_for(intact, what="the documents log sealed and verified intact")
    check_page(browser, screenshots, "12-audit-verify-intact")

    database = console_platform.config.database_url or f"sqlite:///{console_platform.config.data_dir / 'documents.db'}"
    engine = create_engine(database)
    forged = '{"subject": "forged"}'
    with engine.begin() as connection:
        position = connection.execute(text("SELECT min(id) FROM documents_events")).scalar_one()
        connection.execute(
            text(
                f"UPDATE documents_events SET state = CAST('{forged}' AS BLOB) WHERE id = {position}"
                if engine.dialect.name == "sqlite"
                else f"UPDATE documents_events SET state = convert_to('{forged}', 'UTF8') WHERE id = {position}"
            )
        )
    engine.dispose()

    browser.get(url(console_platform, "/audit/verify"))
    assert "CÓ CHUỖI BỊ PHÁ VỠ" in find(browser, "chains-verdict").text
    broken = browser.find_element(By.CSS_SELECTOR, "#chains tr.bad").text
    assert broken.startswith("documents"), broken
    assert f"Bị phá vỡ tại sự kiện {position}" in broken, broken
    check_page(browser, screenshots, "13-audit-verify-broken")
