"""Bulk import of agencies for the ICT department: a file read and previewed as a dry run (what would be
created, updated, left unchanged), then imported in batches by a background task whose progress the page
shows. Imports run as the person who confirmed them, in this console process (one replica's memory)."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any

import grpc
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from lienthong.cli.agency_files import AgencyFileError, rows_of
from lienthong.console.adapters.inbound.web import BadInput, Person, page, person
from lienthong.identifiers.v1 import identifiers_pb2 as ids

BATCH = 200
MAX_FILE = 5 * 1024 * 1024
KEPT = 20  # staged or finished imports kept for their pages; the oldest is forgotten beyond that


@dataclass
class Import:
    """One file: its rows, who staged it, and how far its import has gone."""

    principal: str
    name: str
    rows: list[ids.ImportRow]
    preview: ids.ImportAgenciesResponse
    done: int = 0
    started: bool = False
    error: str = ""
    totals: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})

    @property
    def finished(self) -> bool:
        return self.started and (self.done == len(self.rows) or bool(self.error))

    def progress(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "total": len(self.rows),
            "finished": self.finished,
            "error": self.error,
            **self.totals,
        }


def _imports(request: Request) -> dict[str, Import]:
    state: dict[str, Import] = getattr(request.app.state, "imports", None) or {}
    request.app.state.imports = state
    return state


def _staged(request: Request, who: Person) -> Import:
    found = _imports(request).get(str(request.path_params["token"]))
    if found is None or found.principal != who.principal:
        raise BadInput("Không có lần nhập này (đã quá cũ, hoặc do người khác tạo): hãy tải tệp lên lại")
    return found


async def upload(request: Request) -> Response:
    """GET: the form. POST: read the file, dry-run it in one request (children may need parents only in the
    file), and show the preview with a button to import."""
    who = person(request)
    if request.method == "GET":
        return page(request, "import.html", staged=None, token="")
    async with request.form(max_files=1, max_fields=2, max_part_size=MAX_FILE) as form:
        sent = form.get("file")
        if sent is None or isinstance(sent, str) or not sent.filename:
            raise BadInput("Chưa chọn tệp: hãy chọn tệp CSV hoặc JSON danh mục cơ quan")
        data, name = await sent.read(MAX_FILE + 1), sent.filename
    if len(data) > MAX_FILE:
        raise BadInput(f"Tệp “{name}” lớn hơn {MAX_FILE // (1024 * 1024)} MB: hãy chia nhỏ tệp")
    try:
        rows = rows_of(data, name, as_json=name.lower().endswith(".json"))
    except AgencyFileError as error:
        raise BadInput(
            f"Không đọc được tệp: {error}. Cột cần có: code, name, short_name, address, email, contact"
        ) from None
    if not rows:
        raise BadInput(f"Tệp “{name}” không có dòng nào")
    preview = await who.identifiers().ImportAgencies(ids.ImportAgenciesRequest(rows=rows, dry_run=True), **who.call())
    token = secrets.token_urlsafe(12)
    staged = _imports(request)
    staged[token] = Import(who.principal, name, rows, preview)
    while len(staged) > KEPT:
        staged.pop(next(iter(staged)))
    return page(request, "import.html", staged=staged[token], token=token, outcomes=_outcomes())


def _outcomes() -> dict[int, str]:
    return {
        ids.IMPORT_OUTCOME_CREATED: "tạo mới",
        ids.IMPORT_OUTCOME_UPDATED: "cập nhật",
        ids.IMPORT_OUTCOME_UNCHANGED: "không đổi",
    }


async def _run(job: Import, who: Person) -> None:
    try:
        for start in range(0, len(job.rows), BATCH):
            part = job.rows[start : start + BATCH]
            answer = await who.identifiers().ImportAgencies(ids.ImportAgenciesRequest(rows=part), **who.call())
            job.totals["created"] += answer.created
            job.totals["updated"] += answer.updated
            job.totals["unchanged"] += answer.unchanged
            job.done += len(part)
    except grpc.aio.AioRpcError as error:
        job.error = f"{error.code().name}: {error.details()} (sau {job.done} dòng; nhập lại tệp sẽ tiếp tục, dòng đã nhập không đổi)"


async def confirm(request: Request) -> Response:
    who = person(request)
    job = _staged(request, who)
    if not job.started:
        job.started = True
        task = asyncio.get_running_loop().create_task(_run(job, who))
        request.app.state.import_tasks = {*getattr(request.app.state, "import_tasks", set()), task}
    return RedirectResponse(f"/operations/agencies/import/{request.path_params['token']}", status_code=303)


async def progress(request: Request) -> Response:
    """The page of a running or finished import (it polls progress.json; without script it refreshes)."""
    who = person(request)
    job = _staged(request, who)
    return page(request, "import_progress.html", job=job, token=request.path_params["token"], **job.progress())


async def progress_json(request: Request) -> Response:
    who = person(request)
    return JSONResponse(_staged(request, who).progress())


ROUTES = [
    Route("/operations/agencies/import", upload, name="import", methods=["GET", "POST"]),
    Route("/operations/agencies/import/{token}", progress, name="import_progress"),
    Route("/operations/agencies/import/{token}/start", confirm, name="import_start", methods=["POST"]),
    Route("/operations/agencies/import/{token}/progress.json", progress_json, name="import_progress_json"),
]
