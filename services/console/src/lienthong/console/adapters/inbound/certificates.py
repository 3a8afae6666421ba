"""The ICT department's certificate page: an agency's certificates (and those of every agency under it) by
state, those whose validity ends first first, 20 a page, from the reporting service's registry read model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lienthong.console.adapters.inbound.web import agency_code, choice, page, page_token, person
from lienthong.reporting.v1 import reporting_pb2 as rep

STATES = {
    "": "Mọi trạng thái",
    "active": "Đang hoạt động",
    "not_yet_active": "Chưa đến hạn hiệu lực",
    "suspended": "Tạm dừng",
    "revoked": "Đã thu hồi",
    "expired": "Hết hạn",
}
KINDS = {"individual": "Cá nhân", "organisation": "Tổ chức (con dấu)", "sim_pki": "SIM PKI"}
SOON = timedelta(days=30)  # an active certificate ending within this is flagged: renew it


async def certificates(request: Request) -> Response:
    who = person(request)
    form = request.query_params
    agency = agency_code(form.get("agency", ""), who.identity.agency_code)
    state = choice(form.get("state", ""), STATES, "Trạng thái")
    token = page_token(form.get("page_token", ""))
    listing = rep.ListCertificatesRequest(agency_code=agency, state=state, page_size=20, page_token=token)
    answer = await who.reporting().ListCertificates(listing, **who.call())
    soon = datetime.now(UTC) + SOON
    rows = [
        {"line": line, "soon": line.state == "active" and line.not_after.ToDatetime(tzinfo=UTC) < soon}
        for line in answer.certificates
    ]
    return page(
        request,
        "certificates.html",
        agency=agency,
        state=state,
        states=STATES,
        kinds=KINDS,
        rows=rows,
        counts=dict(answer.counts),
        next_token=answer.next_page_token,
    )


ROUTES = [Route("/operations/certificates", certificates, name="certificates")]
