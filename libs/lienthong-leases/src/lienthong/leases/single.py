"""Run a service's single-active work only while its replica holds the lease, renewing it as it works."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from lienthong.leases.fence import Fence

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]

# The holder stops its work when this share of the lease has passed since the start of its last successful
# renewal: the database counts the lease from when it ran the renewal, later, so the holder has stopped
# before the lease expires and another replica can take it.
STOP_AT = 0.9


class SingleActive:
    """Runs `work` (each a loop that runs until cancelled) while `fence`'s lease is held.

    Every replica runs this; one holds the lease. The holder renews it every third of its length; the moment
    a renewal says the lease was taken over, or no renewal succeeded for STOP_AT of its length (the database
    unreachable), the work is cancelled and awaited, and the replica goes back to trying to take the lease.
    A loop of the work that fails ends the turn too (the lease is let go and taken again), so that it is
    restarted here or elsewhere. Cancelled (the service stops), it stops the work and lets the lease go, so
    that another replica takes over at once.
    """

    def __init__(self, fence: Fence, work: Sequence[Work], *, name: str = "") -> None:
        self._fence = fence
        self._lease = fence.lease
        self._work = list(work)
        self._name = name or self._lease.work
        self._interval = self._lease.seconds / 3
        self.turns = 0  # how many times this replica took the lease (for tests)

    @property
    def held(self) -> bool:
        return self._fence.held

    async def run(self) -> None:
        while True:
            started = time.monotonic()
            try:
                token = await asyncio.to_thread(self._lease.acquire)
            except Exception as error:
                log.warning("lease %s cannot be taken (%s); retrying", self._name, error)
                token = None
            if token is None:
                await asyncio.sleep(self._interval)
                continue
            await self._hold(token, started)
            await asyncio.sleep(self._interval)  # a failed loop is not restarted in a tight loop

    async def _hold(self, token: int, renewed: float) -> None:
        self._fence.token = token
        self.turns += 1
        log.info("lease %s taken (token %d): its work runs in this replica", self._name, token)
        tasks = [
            asyncio.create_task(_awaited(work), name=f"{self._name}: {getattr(work, '__qualname__', work)}")
            for work in self._work
        ]
        released = False
        try:
            released = await self._renew_while_working(token, renewed, tasks)
        finally:
            self._fence.token = None
            await self._stop(tasks)
            if not released:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.to_thread(self._lease.release, token), self._interval)

    async def _renew_while_working(self, token: int, renewed: float, tasks: list[asyncio.Task[None]]) -> bool:
        """Renew until the lease is lost (True: nothing to release) or a loop of the work ended (False)."""
        stop_at = renewed + self._lease.seconds * STOP_AT
        while True:
            wait = min(self._interval, max(stop_at - time.monotonic(), 0))
            done, _ = await asyncio.wait(tasks, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            if done:
                for task in done:
                    if not task.cancelled() and task.exception() is not None:
                        log.error(
                            "work %s under lease %s failed", task.get_name(), self._name, exc_info=task.exception()
                        )
                    else:
                        log.error("work %s under lease %s ended", task.get_name(), self._name)
                return False
            if time.monotonic() >= stop_at:
                log.warning("lease %s not renewed in time: its work stops in this replica", self._name)
                return True
            sent = time.monotonic()
            try:
                renewed_now = await asyncio.wait_for(
                    asyncio.to_thread(self._lease.renew, token), max(stop_at - time.monotonic(), 0.01)
                )
            except Exception as error:
                log.warning("lease %s renewal failed (%s); retrying until it runs out", self._name, error)
                continue
            if not renewed_now:
                log.warning("lease %s was taken over: its work stops in this replica", self._name)
                return True
            stop_at = sent + self._lease.seconds * STOP_AT

    @staticmethod
    async def _stop(tasks: list[asyncio.Task[None]]) -> None:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _awaited(work: Work) -> None:
    await work()
