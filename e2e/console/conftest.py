"""The console in a real browser: the platform as processes with its console, Debian's chromium driven by
Selenium through chromium-driver, axe-core (npm) injected into every page checked."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from lienthong.launcher.platform import Platform
from lienthong.launcher.ports import free_port
from lienthong.launcher.testing import TEST_NATS_URL, delete_streams, fresh_database, isolated_platform_config

REPOSITORY = Path(__file__).resolve().parents[2]
AXE = REPOSITORY / "node_modules" / "axe-core" / "axe.min.js"
# The flags that work on this kind of machine (no sandbox as root, no GPU, nothing fetched in the background).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


@pytest.fixture(scope="module")
def console_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The five services and the console, on free ports, with a fresh database (PostgreSQL when
    LIENTHONG_TEST_DATABASE_URL is set) and NATS instance."""
    data_dir = tmp_path_factory.mktemp("console-platform")
    nats_url = os.environ.get(TEST_NATS_URL) or None
    with fresh_database(data_dir / "unused.db") as database_url:
        config = replace(isolated_platform_config(data_dir, nats_url, database_url), console_port=free_port())
        running = Platform(config)
        try:
            running.start()
            yield running
        finally:
            running.stop()
            if nats_url:
                asyncio.run(delete_streams(nats_url, running.config.instance))


@pytest.fixture(scope="module")
def screenshots() -> Path:
    """Where each page's screenshot goes: var/screenshots/console-<sqlite|postgresql> in the repository."""
    mode = "postgresql" if os.environ.get("LIENTHONG_TEST_DATABASE_URL") else "sqlite"
    folder = REPOSITORY / "var" / "screenshots" / f"console-{mode}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.fail(
            "chromium and chromedriver are needed: `make setup` installs them (apt-get install chromium chromium-driver)"
        )
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: `make setup` installs axe-core from npm (npm install)")
    profile = tempfile.mkdtemp(prefix="lienthong-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield session
    finally:
        session.quit()
        shutil.rmtree(profile, ignore_errors=True)
