"""Fixtures of the email service's tests: the real SMTP sink."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lienthong.email.adapters.outbound.sink import MailSink


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    """The development SMTP sink on a free port, storing under the test's folder."""
    running = MailSink(tmp_path / "mail")
    running.start()
    yield running
    running.stop()
