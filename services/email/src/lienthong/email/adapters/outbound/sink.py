"""An SMTP sink for development and tests (aiosmtpd): every message is stored as an .eml file.

Run it with `python -m lienthong.email.adapters.outbound.sink --port 2525 --dir var/mail` (`--port 0`: any free port, printed).
A message is on disk before the sink answers 250, so a sender that got 250 finds it there, and its Message-ID
is in `delivered.log` (the delivery log the email service reads after a crash, see `deliverylog`).
`fail_next(code)` makes it refuse the next messages with that code, to exercise retries (4xx) and bounces
(5xx); `hold_next()` keeps the next message waiting for its answer, so a test can crash the sender there.
"""

from __future__ import annotations

import argparse
import asyncio
import email.policy
import os
import signal
import ssl
import threading
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from lienthong.email.adapters.outbound.deliverylog import FILE_NAME as DELIVERY_LOG
from lienthong.email.adapters.outbound.deliverylog import record_delivered


class Hold:
    """The next message stops before its answer (optionally before it is stored) until released."""

    def __init__(self, *, stored: bool) -> None:
        self.stored = stored
        self.reached = threading.Event()  # the message is waiting
        self.released = threading.Event()
        self.message_id = ""


class _Handler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._failures: list[int] = []
        self._holds: list[Hold] = []
        self.holds: list[Hold] = []  # every hold asked for, released when the sink stops
        self._last_stamp = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def fail_next(self, code: int, count: int) -> None:
        with self._lock:
            self._failures.extend([code] * count)

    def _next_stamp(self) -> str:
        # File names are the arrival order (read_mailbox sorts them): two messages in the same microsecond,
        # or a clock stepped back, must still sort after the previous one.
        with self._lock:
            self._last_stamp = max(datetime.now(UTC), self._last_stamp + timedelta(microseconds=1))
            return self._last_stamp.strftime("%Y%m%dT%H%M%S%f")

    def hold_next(self, hold: Hold) -> None:
        with self._lock:
            self._holds.append(hold)
            self.holds.append(hold)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
            hold = self._holds.pop(0) if self._holds and failure is None else None
        if failure is not None:
            return f"{failure} {'try again later' if failure < 500 else 'mailbox unavailable'} (sink told to fail)"
        content = envelope.original_content or envelope.content
        if hold is not None:
            hold.message_id = _message_id(content)
            if hold.stored:
                self._store(content)
            hold.reached.set()
            await asyncio.to_thread(hold.released.wait)
            if not hold.stored:
                return "451 held and not stored (sink told to hold)"
            return "250 Message accepted for delivery"
        self._store(content)
        return "250 Message accepted for delivery"

    def _store(self, content: bytes) -> None:
        path = self.directory / f"{self._next_stamp()}-{uuid.uuid4().hex}.eml"
        # Written under another name and renamed, so a reader never parses half a message.
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(content)
        os.replace(temporary, path)
        message_id = _message_id(content)
        if message_id:
            record_delivered(self.directory / DELIVERY_LOG, message_id)


def _message_id(content: bytes) -> str:
    headers = BytesParser(policy=email.policy.default).parsebytes(content, headersonly=True)
    return str(headers.get("Message-ID", "")).strip()


class _Authenticator:
    """Accepts one user name and password (LOGIN or PLAIN)."""

    def __init__(self, user: str, password: str) -> None:
        self._user, self._password = user.encode(), password.encode()

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self._user,
            self._password,
        )
        return AuthResult(success=ok, handled=False)


class PortLearningController(Controller):
    """aiosmtpd's threaded controller, able to listen on port 0 (any free port the system gives)."""

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self._learning_port(super()._create_server())

    async def _learning_port(self, creating: Awaitable[asyncio.AbstractServer]) -> asyncio.AbstractServer:
        # Binding port 0 has no race, unlike picking a "free" port beforehand; but aiosmtpd connects to
        # its own port once started, so it must know the one it got before start() goes on.
        server = await creating
        if isinstance(server, asyncio.Server):
            self.port = server.sockets[0].getsockname()[1]
        return server


class MailSink:
    """An SMTP server on 127.0.0.1 storing mail under `directory`."""

    def __init__(
        self,
        directory: Path,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        tls: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        """Port 0: any free port, known as `.port` once started.

        With `tls`, clients must STARTTLS; with `credentials` (user, password), they must log in (over TLS).
        """
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.host = host
        self._handler = _Handler(directory)
        options: dict[str, Any] = {}
        if tls is not None:
            options |= {"tls_context": tls, "require_starttls": True}
        if credentials is not None:
            options |= {
                "auth_required": True,
                "auth_require_tls": tls is not None,
                "authenticator": _Authenticator(*credentials),
            }
        self._controller = PortLearningController(self._handler, hostname=host, port=port, **options)

    @property
    def port(self) -> int:
        """The port listened on (0 until a sink asked for any port has started)."""
        port: int = self._controller.port
        return port

    def start(self) -> None:
        """Listen; returns once the server answers."""
        self._controller.start()

    def stop(self) -> None:
        for hold in self._handler.holds:
            hold.released.set()
        self._controller.stop()

    @property
    def delivery_log(self) -> Path:
        """The Message-IDs of the messages stored, one a line."""
        return self.directory / DELIVERY_LOG

    def hold_next(self, *, stored: bool) -> Hold:
        """Keep the next message waiting for its answer until `released` is set: stored first (the sender's
        crash window after the server took the mail) or not (it then answers 451 without storing)."""
        hold = Hold(stored=stored)
        self._handler.hold_next(hold)
        return hold

    def fail_next(self, code: int, count: int = 1) -> None:
        """Answer `code` (4xx or 5xx) to the next `count` messages instead of storing them."""
        if not 400 <= code <= 599:
            raise ValueError(f"a refusal is a 4xx or 5xx SMTP code, not {code}")
        self._handler.fail_next(code, count)


def read_mailbox(directory: Path) -> list[EmailMessage]:
    """The messages a sink stored in `directory`, oldest first (none if it does not exist)."""
    parser = BytesParser(policy=email.policy.default)
    messages = []
    for path in sorted(directory.glob("*.eml")):
        message = parser.parsebytes(path.read_bytes())
        assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage; this tells mypy
        messages.append(message)
    return messages


def main() -> None:
    parser = argparse.ArgumentParser(description="lienthong development SMTP sink")
    parser.add_argument("--port", type=int, default=2525, help="0: any free port (printed)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)")
    parser.add_argument("--dir", type=Path, default=Path("var/mail"), help="where .eml files are stored")
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate: clients must STARTTLS")
    parser.add_argument("--tls-key", type=Path, help="PEM key of --tls-cert")
    parser.add_argument("--user", help="clients must log in with this user name ...")
    parser.add_argument("--password", help="... and this password")
    args = parser.parse_args()
    tls = None
    if args.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    credentials = (args.user, args.password or "") if args.user else None
    sink = MailSink(args.dir, port=args.port, host=args.host, tls=tls, credentials=credentials)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sink.start()
    print(f"SMTP sink on {sink.host}:{sink.port}, storing mail in {args.dir}", flush=True)
    stop.wait()
    sink.stop()


if __name__ == "__main__":
    main()
