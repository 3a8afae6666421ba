"""The console's ASGI application: the pages, dev sign-in, probes, metrics and a span for every request."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import grpc
from opentelemetry import trace
from opentelemetry.propagate import extract
from opentelemetry.trace import SpanKind
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Match, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from lienthong.console.adapters.inbound import (
    auditor,
    certificates,
    imports,
    operations,
    pipeline,
    registry,
    statistics,
)
from lienthong.console.adapters.inbound.identity import SESSION_KEY, check_sign_in, signed_in
from lienthong.console.adapters.inbound.settings import ConsoleSettings, SignIn
from lienthong.console.adapters.inbound.web import BadInput, NotSignedIn, bad_input, not_signed_in, page, rpc_error
from lienthong.console.adapters.outbound.backends import Backends
from lienthong.errors import PermissionDenied

LOG = logging.getLogger("lienthong.console")
REQUESTS = Counter("console_http_requests", "Pages served by the console", ["page", "status"])
LATENCY = Histogram("console_http_request_seconds", "Time to serve a page", ["page"])
ROLES = ("auditor", "operator", "clerk", "officer", "leader")


async def home(request: Request) -> Response:
    identity = signed_in(request, request.app.state.settings)
    if identity is None:
        raise NotSignedIn()
    return page(request, "home.html", role=identity.role.value, agency=identity.agency_code)


async def sign_in(request: Request) -> Response:
    """Development only: become a principal; the dev CA issues its certificate on the first call it makes."""
    settings: ConsoleSettings = request.app.state.settings
    if settings.sign_in is not SignIn.DEV:
        return page(
            request,
            "error.html",
            404,
            title="Không có trang đăng nhập",
            code="",
            back=False,
            reason="Bảng điều khiển này đứng sau một proxy xác thực; đăng nhập ở đó.",
        )
    next_page = _local(request.query_params.get("next", "/"))
    if request.method == "GET":
        return page(request, "sign_in.html", roles=ROLES, next_page=next_page, error="", role="auditor", agency="")
    form = await request.form()
    role, agency = str(form.get("role", "")), str(form.get("agency", "")).strip()
    try:
        identity = check_sign_in(f"{role}@{agency}")
    except PermissionDenied as refused:
        context = {"roles": ROLES, "next_page": next_page, "error": refused.reason, "role": role, "agency": agency}
        return page(request, "sign_in.html", 400, **context)
    request.session[SESSION_KEY] = str(identity)
    LOG.info("signed in as %s", identity)
    return RedirectResponse(next_page, status_code=303)


async def sign_out(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/", status_code=303)


def _local(target: str) -> str:
    """Only a path of this site: a `next` pointing elsewhere would make the sign-in page an open redirect."""
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else "/"


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class Observed:
    """Each request: a server span (continuing a caller's traceparent) that the gRPC calls it makes join,
    its page counted and timed for Prometheus, and one access log line naming who asked."""

    def __init__(self, app: ASGIApp, routes: list[Any]) -> None:
        self.app = app
        self.routes = routes
        self.tracer = trace.get_tracer("lienthong.console")

    def _page(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return str(getattr(route, "path", "other"))
        return "unknown"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        name = self._page(scope)
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        status = 500

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        with self.tracer.start_as_current_span(
            f"{scope['method']} {name}", context=extract(headers), kind=SpanKind.SERVER
        ) as span:
            span.set_attribute("http.route", name)
            try:
                await self.app(scope, receive, sending)
            finally:
                span.set_attribute("http.status_code", status)
                elapsed = time.perf_counter() - started
                if name not in ("/healthz", "/metrics"):
                    REQUESTS.labels(name, str(status)).inc()
                    LATENCY.labels(name).observe(elapsed)
                    LOG.info(
                        "%s %s %s %.1f ms as %s",
                        scope["method"],
                        scope["path"],
                        status,
                        elapsed * 1000,
                        _principal(scope),
                    )


def _principal(scope: Scope) -> str:
    """Who asked, for the access log: the session's principal (dev) or "-" (the proxy's log names the person)."""
    session = scope.get("session") or {}
    return str(session.get(SESSION_KEY, "-"))


def create_app(settings: ConsoleSettings, backends: Backends) -> Starlette:
    routes = [
        Route("/", home, name="home"),
        Route("/sign-in", sign_in, name="sign_in", methods=["GET", "POST"]),
        Route("/sign-out", sign_out, name="sign_out", methods=["POST"]),
        Route("/healthz", healthz),
        Route("/readyz", healthz),
        Route("/metrics", metrics),
        *auditor.ROUTES,
        *operations.ROUTES,
        *pipeline.ROUTES,
        *certificates.ROUTES,
        *imports.ROUTES,  # before registry's /operations/agencies/{code}
        *registry.ROUTES,
        *statistics.ROUTES,
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await backends.close()

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(Observed, routes=routes),
            Middleware(
                SessionMiddleware,
                secret_key=settings.session_secret(),
                session_cookie="lienthong_console",
                same_site="strict",
                https_only=False,
                max_age=8 * 3600,
            ),
        ],
        exception_handlers={grpc.aio.AioRpcError: rpc_error, BadInput: bad_input, NotSignedIn: not_signed_in},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.backends = backends
    return app
