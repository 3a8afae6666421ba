"""What wakes a relay when events are committed: the application's own saves (an in-process signal, on
SQLite and PostgreSQL alike) and, on PostgreSQL, the NOTIFY that every append sends on the events table's
channel, so that events committed by another process (a second replica) wake it just as soon."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy import Engine

log = logging.getLogger(__name__)


class CommitListener:
    """LISTENs on `channel` of the PostgreSQL database of `engine` in a thread of its own and calls
    `wake()` for every notification, reconnecting after a lost connection; nothing on other databases."""

    def __init__(self, engine: Engine, channel: str, wake: Callable[[], None]) -> None:
        self._url = engine.url
        self._channel = channel
        self._wake = wake
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()  # set while LISTEN is in place, for tests
        if engine.dialect.name == "postgresql":
            self._thread = threading.Thread(target=self._listen_forever, name=f"listen {channel}", daemon=True)

    def start(self) -> None:
        if self._thread is not None and not self._thread.is_alive():
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(5)

    def _listen_forever(self) -> None:
        backoff = 0.2
        while not self._stopped.is_set():
            try:
                self._listen()
                backoff = 0.2
            except Exception as error:  # the database restarting or cut off: LISTEN again soon
                self.listening.clear()
                log.warning("listening for commits on %s failed, again in %.1fs: %s", self._channel, backoff, error)
                self._wake()  # whatever was committed meanwhile is read by the relay's own round
                self._stopped.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def _listen(self) -> None:
        # the engine's own URL as a libpq connection string, so its query options (sslmode, ...) hold here too
        conninfo = self._url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'LISTEN "{self._channel}"')
            self.listening.set()
            self._wake()  # commits before LISTEN took effect are not missed
            while not self._stopped.is_set():
                woken = False
                for _ in connection.notifies(timeout=0.5):
                    woken = True
                    self._wake()
                if not woken:
                    connection.execute("SELECT 1")  # notice a dead connection within a second
