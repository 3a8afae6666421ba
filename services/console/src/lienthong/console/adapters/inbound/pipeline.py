"""The ICT department's view of the event pipeline: how far behind the store JetStream is (relays), how far
behind their sources the read models are (local followers, JetStream consumers), and the events the read
models put aside (dead letters) with their reasons, a page at a time."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import grpc
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lienthong.console.adapters.inbound.web import BadInput, Person, page, person
from lienthong.console.adapters.outbound.backends import SERVICES
from lienthong.operations.v1 import operations_pb2 as ops
from lienthong.operations.v1 import operations_pb2_grpc

if TYPE_CHECKING:  # the asyncio stubs' types exist in the generated .pyi files only
    from lienthong.operations.v1.operations_pb2_grpc import OperationsServiceAsyncStub


def _stub(who: Person, service: str) -> OperationsServiceAsyncStub:
    return operations_pb2_grpc.OperationsServiceStub(who.backends.channel(service, who.principal))


async def _pipeline(who: Person, service: str) -> dict[str, Any]:
    try:
        answer = await _stub(who, service).GetPipeline(ops.GetPipelineRequest(), **who.call(timeout=10))
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.PERMISSION_DENIED:
            raise
        return {"service": service, "answer": None, "error": f"{error.code().name}: {error.details()}"}
    return {"service": service, "answer": answer, "error": ""}


async def pipeline(request: Request) -> Response:
    """Every service's relay and read models with their lag, as the instance answering reports them."""
    who = person(request)
    rows = await asyncio.gather(*(_pipeline(who, service) for service in SERVICES))
    lagging = any(
        r["error"]
        or any(x.lag for x in r["answer"].relays)
        or any(x.lag or x.dead_letters or x.error for x in r["answer"].readers)
        for r in rows
    )
    return page(request, "pipeline.html", rows=rows, lagging=lagging)


async def dead_letters(request: Request) -> Response:
    """The events one service's read models put aside, newest first, 20 a page."""
    who = person(request)
    form = request.query_params
    service = form.get("service", "documents")
    if service not in SERVICES:
        raise BadInput(f"“Dịch vụ”: “{service}” không có; chọn một trong {', '.join(SERVICES)}")
    read_model = form.get("read_model", "").strip()
    listing = ops.ListDeadLettersRequest(read_model=read_model, page_size=20, page_token=form.get("page_token", ""))
    try:
        answer = await _stub(who, service).ListDeadLetters(listing, **who.call())
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
            raise BadInput(f"Không xem được: {error.details()}") from None
        raise
    return page(
        request,
        "dead_letters.html",
        services=SERVICES,
        service=service,
        read_model=read_model,
        letters=list(answer.dead_letters),
        next_token=answer.next_page_token,
    )


ROUTES = [
    Route("/operations/pipeline", pipeline, name="pipeline"),
    Route("/operations/dead-letters", dead_letters, name="dead_letters"),
]
