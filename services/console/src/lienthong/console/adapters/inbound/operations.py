"""The ICT department's pages (health of every service) and the upload page anyone may use to verify a PDF."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lienthong.console.adapters.inbound.auditor import verification_report
from lienthong.console.adapters.inbound.web import BadInput, Person, page, person
from lienthong.console.adapters.outbound.backends import SERVICES
from lienthong.operations.v1 import operations_pb2 as ops
from lienthong.operations.v1 import operations_pb2_grpc

MAX_UPLOAD = 20 * 1024 * 1024  # what one gRPC message carries, with room to spare


async def _replica(who: Person, service: str, replica: str) -> dict[str, Any]:
    """One replica as the gRPC health protocol reports it, how long it took, and which instance answered."""
    channel = who.backends.channel(service, who.principal, replica)
    started = time.perf_counter()
    row: dict[str, Any] = {"service": service, "replica": replica, "instance": "", "since": None, "detail": ""}
    try:
        answer = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=3, metadata=who.metadata
        )
        row["status"] = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
    except grpc.aio.AioRpcError as error:
        row["status"], row["detail"] = "UNREACHABLE", f"{error.code().name}: {error.details()}"
    row["ms"] = (time.perf_counter() - started) * 1000
    if row["status"] != "UNREACHABLE":
        try:
            pipeline = await operations_pb2_grpc.OperationsServiceStub(channel).GetPipeline(
                ops.GetPipelineRequest(), timeout=3, metadata=who.metadata
            )
            row["instance"], row["since"] = pipeline.instance, pipeline.started_at
        except grpc.aio.AioRpcError as error:  # an auditor sees the health, not the instances
            row["instance"] = "" if error.code() == grpc.StatusCode.PERMISSION_DENIED else error.code().name
    return row


async def _service_health(who: Person, service: str) -> list[dict[str, Any]]:
    replicas = await who.backends.replicas(service)
    if len(replicas) == 1:
        replicas = [""]  # one address: the service's own channel, by its name
    return list(await asyncio.gather(*(_replica(who, service, replica) for replica in replicas)))


async def health(request: Request) -> Response:
    """Each replica of each service as the gRPC health protocol reports it, with how long it took to answer
    and (for operators) which instance answered and since when."""
    who = person(request)
    per_service = await asyncio.gather(*(_service_health(who, service) for service in SERVICES))
    rows = [row for replicas in per_service for row in replicas]
    return page(request, "health.html", rows=rows, healthy=all(r["status"] == "SERVING" for r in rows))


async def upload(request: Request) -> Response:
    """A PDF received elsewhere, checked by the signing service as the document pages check theirs."""
    who = person(request)
    if request.method == "GET":
        return page(request, "upload.html", report=None, name="")
    async with request.form(max_files=1, max_fields=2, max_part_size=MAX_UPLOAD) as form:
        upload = form.get("pdf")
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise BadInput("Chưa chọn tệp: hãy chọn một tệp PDF đã ký để kiểm tra")
        data = await upload.read(MAX_UPLOAD + 1)
        name = upload.filename
    if len(data) > MAX_UPLOAD:
        raise BadInput(f"Tệp “{name}” lớn hơn {MAX_UPLOAD // (1024 * 1024)} MB: hãy chọn tệp nhỏ hơn")
    if not data.startswith(b"%PDF-"):
        raise BadInput(f"Tệp “{name}” không phải là PDF (không bắt đầu bằng %PDF-): hãy chọn tệp PDF")
    report = await verification_report(who, data)
    return page(request, "upload.html", report=report, name=name)


ROUTES = [
    Route("/operations/health", health, name="health"),
    Route("/verify", upload, name="upload", methods=["GET", "POST"]),
]
