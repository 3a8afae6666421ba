"""Client channels to other services: mutual TLS with the calling service's own certificate, traced so that
one trace spans every service a request touches, naming the user the service acts for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from lienthong.eventstore import current_actor
from lienthong.grpcserver.authentication import ACTOR_METADATA_KEY
from lienthong.grpcserver.principals import check_principal
from lienthong.grpcserver.settings import address_of
from lienthong.grpcserver.tls import TlsConfig

__all__ = ["ACTOR_METADATA_KEY", "open_channel"]


def open_channel(service: str, tls: TlsConfig | None = None) -> grpc.aio.Channel:
    """An asyncio channel to `service` at its configured address, over TLS with `tls` (by default the files
    the environment names; TlsNotConfigured if it names none)."""
    credentials = (tls or TlsConfig.from_env()).channel_credentials()
    interceptors = [*aio_client_interceptors(), OnBehalfOf()]  # type: ignore[no-untyped-call]
    return grpc.aio.secure_channel(address_of(service), credentials, interceptors=interceptors)


def on_behalf_of() -> tuple[tuple[str, str], ...]:
    """The header naming the user the current request runs for, if it runs for one: a service calling
    another on behalf of its caller (documents asking signing to sign for a leader) passes them on."""
    try:
        return ((ACTOR_METADATA_KEY, check_principal(current_actor())),)
    except ValueError:
        return ()  # "system" (a background task) or a test's anonymous caller: the service acts for itself


class OnBehalfOf(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[type-arg]
    """Adds `on_behalf_of()` to every unary call that does not name an actor itself."""

    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Awaitable[Any]],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        metadata = list(client_call_details.metadata or ())
        if not any(key == ACTOR_METADATA_KEY for key, _ in metadata):
            metadata += on_behalf_of()
        details = grpc.aio.ClientCallDetails(
            client_call_details.method,
            client_call_details.timeout,
            grpc.aio.Metadata(*metadata),
            client_call_details.credentials,
            client_call_details.wait_for_ready,
        )
        return await continuation(details, request)
