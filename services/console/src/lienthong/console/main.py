"""python -m lienthong.console.main: serve the console (settings: lienthong.console.adapters.inbound.settings)."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator

import uvicorn

from lienthong.console.adapters.inbound.app import create_app
from lienthong.console.adapters.inbound.settings import ConsoleMisconfigured, ConsoleSettings, SignIn
from lienthong.console.adapters.outbound.backends import Backends
from lienthong.grpcserver.tls import TlsConfig, TlsNotConfigured
from lienthong.telemetry import configure_logging, configure_tracing, shutdown_tracing

SERVICE = "console"


class _Server(uvicorn.Server):
    """uvicorn's server, except that a SIGTERM or SIGINT it has shut down for cleanly ends the process with
    status 0 like the other services, instead of being raised again once the server is done (exit -15)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def main() -> None:
    configure_logging(SERVICE)
    configure_tracing(SERVICE)
    try:
        settings = ConsoleSettings.from_env()
        backends = (
            Backends.development(settings.data_dir)
            if settings.sign_in is SignIn.DEV
            else Backends.on_behalf(TlsConfig.from_env())
        )
    except (ConsoleMisconfigured, TlsNotConfigured) as error:
        sys.exit(f"console: {error}")
    app = create_app(settings, backends)
    try:
        config = uvicorn.Config(
            app, host=settings.host, port=settings.port, log_config=None, access_log=False, timeout_graceful_shutdown=10
        )
        _Server(config).run()
    finally:
        shutdown_tracing()


if __name__ == "__main__":
    main()
