"""The seal made long-term after sending: every document sealed at B-T gets its validation data (B-LT).

The clerk waits only for a B-T seal (SignOutgoing, or the automatic seal at registration); this loop then has
the signing service add the certificates and CRLs of the seal and its timestamp to the PDF (an incremental
update: nothing signed changes) and records the new PDF in a `LongTermValidated` event. What waits is read
from the registers (`seal_level` B-T), so a crash between the seal and this step, or the signing service being
down, only delays it: the loop finds the document again and retries with back-off until it is done.

One loop per deployment is enough (it is idempotent, and a second one only loses the race on the event's
version); `run()` is the unit to wrap in a lease, like the relay's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from lienthong.consumer import LocalFollower
from lienthong.documents.adapters.outbound.blobs import BlobStore
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.projections.registers import Registers
from lienthong.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound, Unavailable

log = logging.getLogger(__name__)


class LongTermSigner(Protocol):
    """What the loop asks of the signing service (gateways.SealSigner)."""

    async def extend_to_long_term(self, pdf: bytes) -> bytes: ...


def _now() -> datetime:
    return datetime.now(UTC)


class LongTermExtender:
    """Makes the B-T seals of `app`'s documents B-LT, as soon as they are recorded."""

    def __init__(
        self,
        app: DocumentsApp,
        registers: Registers,
        follower: LocalFollower,
        blobs: BlobStore,
        signer: LongTermSigner,
        *,
        poll_interval: float = 1.0,
        batch_size: int = 50,
        concurrency: int = 4,
        first_backoff: float = 0.2,
        max_backoff: float = 10.0,
        refused_backoff: float = 300.0,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._app = app
        self._registers = registers
        self._follower = follower
        self._blobs = blobs
        self._signer = signer
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._concurrency = concurrency  # extensions in flight at once: the signing service has a worker per core
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._refused_backoff = refused_backoff
        self._clock = clock
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._refused: dict[str, float] = {}  # document id → monotonic time before which it is not retried
        self.extended = 0  # seals made long-term since start, for tests and metrics

    async def run(self) -> None:
        """Extend until cancelled; the signing service down (or any other failure) is retried with back-off."""
        self._loop = asyncio.get_running_loop()
        self._app.add_save_listener(self._wake_from_thread)
        backoff = self._first_backoff
        while True:
            try:
                moved = await self.extend_waiting()
                backoff = self._first_backoff
                if not moved:
                    await self._sleep(self._poll_interval)
            except asyncio.CancelledError:
                raise
            except (Unavailable, Conflict, TimeoutError, OSError) as error:
                log.warning("cannot make seals long-term now, retrying in %.1fs: %s", backoff, error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
            except Exception:
                log.exception("making seals long-term failed, retrying in %.1fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    async def extend_waiting(self) -> int:
        """One round: extend every document waiting (a batch of them); how many were extended. A transient
        failure (signing unavailable) raises, for `run` to back off."""
        self._wake.clear()  # before reading, so a save during the round wakes the next one
        await self._follower.caught_up()
        now = time.monotonic()
        self._refused = {key: until for key, until in self._refused.items() if until > now}
        # Documents put aside for a while are read too, so they never hide those behind them.
        waiting = await asyncio.to_thread(self._registers.waiting_for_long_term, self._batch_size + len(self._refused))
        due = [(UUID(key), sha) for key, sha in waiting if key not in self._refused][: self._batch_size]
        turns = asyncio.Semaphore(self._concurrency)

        async def extend(document_id: UUID, content_sha256: str) -> bool:
            async with turns:
                try:
                    await self._extend(document_id, content_sha256)
                    return True
                except (FailedPrecondition, InvalidArgument, NotFound) as refused:
                    # The signing service will not extend this PDF as it is (its certificate revoked since, the
                    # CA's CRL not current yet): try it again later; the others go on meanwhile.
                    log.error("the seal of document %s cannot be made long-term now: %s", document_id, refused)
                    self._refused[str(document_id)] = time.monotonic() + self._refused_backoff
                    return False

        outcomes = await asyncio.gather(*(extend(key, sha) for key, sha in due), return_exceptions=True)
        done = sum(1 for outcome in outcomes if outcome is True)
        self.extended += done
        failure = next((outcome for outcome in outcomes if isinstance(outcome, BaseException)), None)
        if failure is not None:
            raise failure  # transient (signing unavailable): `run` backs off; what was done is recorded
        return done

    async def _extend(self, document_id: UUID, based_on: str) -> None:
        pdf = await asyncio.to_thread(self._blobs.get, based_on)
        extended = await self._signer.extend_to_long_term(pdf)
        sha = await asyncio.to_thread(self._blobs.put, extended)
        try:
            await asyncio.to_thread(
                self._app.extend_outgoing_to_long_term,
                document_id,
                content_sha256=sha,
                based_on=based_on,
                at=self._clock(),
            )
        except FailedPrecondition:
            document = await asyncio.to_thread(self._app.outgoing, document_id)
            if document.waits_for_long_term:
                raise
            # Another extender recorded it first (the registers had not seen it yet): nothing is left to do.
        self._refused.pop(str(document_id), None)
        log.info("document %s: seal made long-term (B-LT), content %s", document_id, sha)

    def _wake_from_thread(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
