"""The ICT department's registry pages: the agencies as a tree, level by level, and each agency's history."""

from __future__ import annotations

from google.protobuf.json_format import MessageToDict
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lienthong.console.adapters.inbound.web import BadInput, page, page_number, paged, person
from lienthong.identifiers.v1 import identifiers_pb2 as ids

CHILDREN_PER_PAGE = 50
HISTORY_PER_PAGE = 50


async def tree(request: Request) -> Response:
    """The agencies under `parent` (the roots when none), with how many each has under it, 50 a page."""
    who = person(request)
    parent = request.query_params.get("parent", "").strip()
    number = page_number(request.query_params.get("page", "1"))
    agencies = list((await who.identifiers().ListAgencies(ids.ListAgenciesRequest(), **who.call())).agencies)
    by_code = {agency.code: agency for agency in agencies}
    if parent and parent not in by_code:
        raise BadInput(f"“{parent}” không có trong danh mục mã định danh")
    children: dict[str, int] = {}
    for agency in agencies:
        children[agency.parent_code] = children.get(agency.parent_code, 0) + 1
    level = sorted((a for a in agencies if a.parent_code == parent), key=lambda a: a.code)
    start = (number - 1) * CHILDREN_PER_PAGE
    path: list[ids.Agency] = []
    walk = by_code.get(parent)
    while walk is not None:
        path.insert(0, walk)
        walk = by_code.get(walk.parent_code)
    return page(
        request,
        "registry.html",
        parent=parent,
        path=path,
        rows=level[start : start + CHILDREN_PER_PAGE],
        children=children,
        number=number,
        more=start + CHILDREN_PER_PAGE < len(level),
        total=len(level),
        states={value: name.removeprefix("AGENCY_STATE_") for name, value in ids.AgencyState.items()},
    )


async def agency(request: Request) -> Response:
    """One agency: its fields and every event of it (registered, updated, merged, moved, dissolved)."""
    who = person(request)
    code = str(request.path_params["code"])
    found = await who.identifiers().GetAgency(ids.GetAgencyRequest(code=code), **who.call())
    history = await who.identifiers().GetAgencyHistory(ids.GetAgencyHistoryRequest(code=code), **who.call())
    shown = paged(list(history.events), request, HISTORY_PER_PAGE)
    events = [{"event": e, "data": MessageToDict(e.data)} for e in shown.rows]
    return page(request, "agency.html", agency=found.agency, events=events, shown=shown)


ROUTES = [
    Route("/operations/agencies", tree, name="registry"),
    Route("/operations/agencies/{code}", agency, name="agency"),
]
