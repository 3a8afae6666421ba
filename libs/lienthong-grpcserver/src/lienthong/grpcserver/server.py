"""Run a service: a traced grpc.aio server with health and reflection, background tasks, graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection
from opentelemetry.instrumentation.grpc import aio_server_interceptor

from lienthong.grpcserver.authorisation import AccessInterceptor, RecordDenial
from lienthong.grpcserver.interceptors import DomainInterceptor
from lienthong.grpcserver.metering import RpcMetricsInterceptor
from lienthong.grpcserver.settings import Settings
from lienthong.telemetry import configure_logging, configure_metrics, configure_tracing, shutdown_tracing

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a signed PDF with attachments fits; larger input is refused
# Threads for the blocking work of calls (database, files): asyncio's default (cores + 4, six here) left
# most of 64 concurrent commands queueing for a thread while the database sat idle. Below the SQLAlchemy
# pool's 15 connections plus the relay's and followers' own.
WORKER_THREADS = 12


@dataclass(frozen=True)
class Service:
    """A gRPC service to serve: its full name (for health and reflection) and how to add it to a server."""

    name: str
    register: Callable[[grpc.aio.Server], None]


def setup_process(settings: Settings) -> None:
    """JSON logs, tracing and metrics for the process, before anything else runs."""
    configure_logging(settings.service)
    configure_tracing(settings.service)
    configure_metrics(settings.service)


def run_service(service: str, run: Callable[[Settings], Coroutine[Any, Any, None]]) -> None:
    """A service process's entry point: settings from the environment, logs and tracing, then `run`."""
    settings = Settings.from_env(service)
    setup_process(settings)
    asyncio.run(_with_workers(run(settings)))


async def _with_workers(running: Coroutine[Any, Any, None]) -> None:
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="call"))
    await running


def create_server(record_denial: RecordDenial | None = None) -> grpc.aio.Server:
    """A server that traces and meters calls, maps domain errors to status codes, refuses messages over
    MAX_MESSAGE_BYTES and calls the authorisation rules do not allow, and hands every PERMISSION_DENIED to
    `record_denial` (the service's access log)."""
    return grpc.aio.server(
        # metrics outside the domain interceptor, so that they see the status a DomainError became
        interceptors=[
            aio_server_interceptor(),  # type: ignore[no-untyped-call]
            RpcMetricsInterceptor(),
            DomainInterceptor(),
            AccessInterceptor(record_denial),  # inside DomainInterceptor: the caller is known, refusals map
        ],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
    )


async def serve(
    settings: Settings,
    services: Sequence[Service],
    background: Sequence[Callable[[], Awaitable[None]]] = (),
    cleanup: Sequence[Callable[[], Awaitable[None]]] = (),
    record_denial: RecordDenial | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT, then stop accepting, drain in-flight calls, stop tasks, flush spans.

    Only over mutual TLS: TlsNotConfigured, naming the settings, when the TLS files are not given. The
    health service alone is also served without TLS on `settings.health_addr`, if set, for probes.

    Health turns SERVING only once the server and its background tasks (relay, consumers) have started,
    and NOT_SERVING as soon as shutdown begins, so that load balancers stop sending new calls first.
    """
    tls = settings.tls()
    server = create_server(record_denial)
    for service in services:
        service.register(server)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    names = [service.name for service in services]
    reflection.enable_server_reflection(
        [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME], server
    )
    server.add_secure_port(settings.listen_addr, tls.server_credentials())
    await server.start()
    probes = await _serve_health(health, settings.health_addr) if settings.health_addr else None
    tasks = [asyncio.create_task(_guarded(task)) for task in background]
    for name in ["", *names]:
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("%s serving on %s", settings.service, settings.listen_addr)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()

    log.info("%s shutting down", settings.service)
    await health.enter_graceful_shutdown()
    await server.stop(settings.shutdown_grace)
    if probes is not None:
        await probes.stop(None)
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for step in cleanup:
        await step()
    shutdown_tracing()
    log.info("%s stopped", settings.service)


async def _serve_health(health: HealthServicer, address: str) -> grpc.aio.Server:
    """A second server with the health service only, without TLS: what it tells (SERVING or not) is no
    secret, and Kubernetes' gRPC probes cannot present a client certificate."""
    probes = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health, probes)
    probes.add_insecure_port(address)
    await probes.start()
    log.info("health for probes on %s (no TLS)", address)
    return probes


async def _guarded(task: Callable[[], Awaitable[None]]) -> None:
    try:
        await task()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("background task %s stopped", getattr(task, "__qualname__", task))
        raise
