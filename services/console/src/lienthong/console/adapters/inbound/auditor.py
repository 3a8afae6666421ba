"""The auditors' pages: search, a document's timeline, its state at an instant and a diff, its signatures
and PDF, its access log, and audit verify of every service's log."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from uuid import UUID

import grpc
from google.protobuf.json_format import MessageToDict
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lienthong.access.accesslog import id_of_access_log
from lienthong.audit.v1 import audit_pb2 as aud
from lienthong.console.adapters.inbound.web import (
    PAGE_SIZE,
    BadInput,
    agency_code,
    choice,
    instant,
    page,
    paged,
    person,
    timestamp,
)
from lienthong.console.adapters.outbound.backends import AUDITED
from lienthong.console.application.levels import has_validation_data, level
from lienthong.console.application.reasons import explained, overall
from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.signing.v1 import signing_pb2 as sig

STATUSES = {
    "": "Mọi trạng thái",
    "STATUS_CODE_ARRIVED": "01 Đã đến",
    "STATUS_CODE_REFUSED": "02 Bị từ chối",
    "STATUS_CODE_ACCEPTED": "03 Đã tiếp nhận",
    "STATUS_CODE_ASSIGNED": "04 Đã phân công",
    "STATUS_CODE_IN_PROGRESS": "05 Đang xử lý",
    "STATUS_CODE_DONE": "06 Hoàn thành",
    "STATUS_CODE_RECALL_REQUESTED": "13 Đề nghị thu hồi",
    "STATUS_CODE_RECALLED": "15 Đã thu hồi",
    "STATUS_CODE_RECALL_REFUSED": "16 Từ chối thu hồi",
}
EVENTS_PER_PAGE = 50
ACCESS_PER_PAGE = 50
INDICATIONS = {
    sig.INDICATION_TOTAL_PASSED: ("Hợp lệ", "ok"),
    sig.INDICATION_TOTAL_FAILED: ("Không hợp lệ", "bad"),
    sig.INDICATION_INDETERMINATE: ("Chưa xác định", "warn"),
}


def _day(text: str, field: str) -> str:
    if not text:
        return ""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise BadInput(f"“{field}”: “{text}” không phải là ngày hợp lệ; nhập theo dạng 2026-11-25") from None


def _document_id(request: Request) -> str:
    text = str(request.path_params["document_id"])
    try:
        return str(UUID(text))
    except ValueError:
        raise BadInput(f"“{text}” không phải là mã văn bản (UUID) hợp lệ") from None


async def search(request: Request) -> Response:
    """Documents of an agency by words (with or without diacritics), code, dates and status."""
    who = person(request)
    form = request.query_params
    agency = agency_code(form.get("agency", ""), who.identity.agency_code)
    status = choice(form.get("status", ""), STATUSES, "Trạng thái")
    from_day, to_day = _day(form.get("from", ""), "Từ ngày"), _day(form.get("to", ""), "Đến ngày")
    if from_day and to_day and to_day < from_day:
        raise BadInput("“Đến ngày” phải sau “Từ ngày”")
    code = form.get("code", "").strip()
    number, _, notation = code.partition("/")
    searched = bool(form)
    hits: list[Any] = []
    next_token = ""
    if searched:
        request_ = docs.SearchDocumentsRequest(
            agency_code=agency,
            query=form.get("q", "").strip(),
            number=number if notation else "",
            notation=notation,
            code="" if notation else number,
            from_day=from_day,
            to_day=to_day,
            status=docs.StatusCode.Value(status or "STATUS_CODE_UNSPECIFIED"),
            page_size=PAGE_SIZE,
            page_token=form.get("page_token", ""),
        )
        answer = await who.documents().SearchDocuments(request_, **who.call())
        hits, next_token = list(answer.documents), answer.next_page_token
    params = {key: value for key, value in form.items() if key != "page_token"}
    return page(
        request,
        "search.html",
        form=form,
        agency=agency,
        statuses=STATUSES,
        hits=hits,
        searched=searched,
        next_query="&".join(f"{k}={v}" for k, v in {**params, "page_token": next_token}.items()) if next_token else "",
        status_names={docs.StatusCode.Value(k): v for k, v in STATUSES.items() if k},
    )


async def timeline(request: Request) -> Response:
    """Every event of a document across its sender and recipients, in time order, each linked to the next hop."""
    who = person(request)
    document_id = _document_id(request)
    answer = await who.documents().GetHistory(docs.GetHistoryRequest(document_id=document_id), **who.call())
    events = list(answer.events)
    shown = paged(list(range(len(events))), request, EVENTS_PER_PAGE)
    rows = []
    for index in shown.rows:
        event = events[index]
        hop = next((i for i in range(index + 1, len(events)) if events[i].aggregate_id != event.aggregate_id), None)
        hop_page = None if hop is None else hop // EVENTS_PER_PAGE + 1
        rows.append(
            {"event": event, "index": index, "hop": hop, "hop_page": hop_page, "hop_event": hop_event(events, hop)}
        )
    parties = sorted({(e.aggregate, e.aggregate_id) for e in events})
    return page(
        request, "timeline.html", document_id=document_id, rows=rows, parties=parties, shown=shown, total=len(events)
    )


def hop_event(events: list[Any], hop: int | None) -> str:
    return "" if hop is None else str(events[hop].event)


async def state(request: Request) -> Response:
    """The document as it was at an instant, and what changed between two instants."""
    who = person(request)
    document_id = _document_id(request)
    form = request.query_params
    at_state = diff = None
    audit = who.audit("documents")
    if form.get("at"):
        at = timestamp(instant(form["at"], "Thời điểm"))
        answer = await audit.GetStateAt(aud.GetStateAtRequest(aggregate_id=document_id, at=at), **who.call())
        at_state = {"answer": answer, "fields": MessageToDict(answer.state)}
    if form.get("from") or form.get("to"):
        start, end = instant(form.get("from", ""), "Từ thời điểm"), instant(form.get("to", ""), "Đến thời điểm")
        if end < start:
            raise BadInput("“Đến thời điểm” phải sau “Từ thời điểm”")
        request_ = aud.DiffStatesRequest(aggregate_id=document_id, to=timestamp(end))
        getattr(request_, "from").CopyFrom(timestamp(start))
        compared = await audit.DiffStates(request_, **who.call())
        diff = {
            "answer": compared,
            "changes": [
                {"field": c.field, "before": MessageToDict(c.before), "after": MessageToDict(c.after)}
                for c in compared.changes
            ],
        }
    return page(request, "state.html", document_id=document_id, form=form, at_state=at_state, diff=diff)


async def verification_report(who: Any, pdf: bytes) -> dict[str, Any]:
    """VerifyPdf's verdict on `pdf` with each signature's level (what the upload page shows too)."""
    answer = await who.signing().VerifyPdf(sig.VerifyPdfRequest(pdf=pdf), **who.call())
    validation_data = has_validation_data(pdf)
    passed = sig.INDICATION_TOTAL_PASSED
    signatures = [
        {
            "report": report,
            "verdict": INDICATIONS.get(report.indication, ("Không rõ", "warn")),
            "level": level(report.HasField("timestamped_at"), validation_data),
            "explained": explained(report.indication == passed, report.sub_indication, report.detail),
        }
        for report in answer.signatures
    ]
    failed = [r.sub_indication for r in answer.signatures if r.indication != passed and r.sub_indication]
    return {
        "answer": answer,
        "verdict": INDICATIONS.get(answer.indication, ("Không rõ", "warn")),
        "reason": overall(answer.indication == passed, answer.reason, failed),
        "signatures": signatures,
    }


async def signatures(request: Request) -> Response:
    """The signatures of the document's PDF with the verification report, and the PDF itself."""
    who = person(request)
    document_id = _document_id(request)
    content = await who.documents().GetContent(docs.GetContentRequest(document_id=document_id), **who.call())
    report = await verification_report(who, content.content_pdf)
    return page(request, "signatures.html", document_id=document_id, sha256=content.sha256, **report)


async def pdf(request: Request) -> Response:
    who = person(request)
    document_id = _document_id(request)
    content = await who.documents().GetContent(docs.GetContentRequest(document_id=document_id), **who.call())
    headers = {"Content-Disposition": f'inline; filename="{document_id}.pdf"', "X-Content-Type-Options": "nosniff"}
    return Response(content.content_pdf, media_type="application/pdf", headers=headers)


async def access(request: Request) -> Response:
    """Who read the document's content or files, and who was refused."""
    who = person(request)
    document_id = _document_id(request)
    rows = []
    log = aud.StreamHistoryRequest(aggregate_id=str(id_of_access_log(document_id)))
    try:
        async for answer in who.audit("documents").StreamHistory(log, **who.call()):
            event = answer.event
            if event.event == "Opened":
                continue
            data = MessageToDict(event.data)
            what = data.get("what") or f"{data.get('method', '').rsplit('/', 1)[-1]}: {data.get('reason', '')}"
            rows.append({"event": event, "peer": data.get("peer", ""), "what": what})
    except grpc.aio.AioRpcError as error:  # NOT_FOUND: nothing recorded yet, an empty log
        if error.code() != grpc.StatusCode.NOT_FOUND:
            raise
    shown = paged(rows, request, ACCESS_PER_PAGE)
    return page(request, "access.html", document_id=document_id, rows=shown.rows, shown=shown, total=len(rows))


async def verify_chains(request: Request) -> Response:
    """`audit verify`: every service's hash chain and signed checkpoints, the first broken link named."""
    who = person(request)
    answers = await asyncio.gather(
        *(who.audit(service).VerifyChain(aud.VerifyChainRequest(), **who.call(timeout=600)) for service in AUDITED)
    )
    intact = all(a.chain_intact and a.checkpoints_intact for a in answers)
    return page(request, "verify_chains.html", answers=answers, intact=intact)


ROUTES = [
    Route("/search", search, name="search"),
    Route("/documents/{document_id}", timeline, name="timeline"),
    Route("/documents/{document_id}/state", state, name="state"),
    Route("/documents/{document_id}/signatures", signatures, name="signatures"),
    Route("/documents/{document_id}/pdf", pdf, name="pdf"),
    Route("/documents/{document_id}/access", access, name="access"),
    Route("/audit/verify", verify_chains, name="verify_chains"),
]
