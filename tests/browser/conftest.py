"""Headless-Chromium fixtures, shared by the widget and console browser tests.

- ``live_server``: the whole app (trained NLU model, dialogue, inbound worker, outbox sender, every
  channel) on a free loopback port, in the test's event loop, over a migrated SQLite file holding the
  known shop of ``tests/shop.py`` (Sara is shop user ``u-1``, phone 09121234567, orders 1000001…).
  One per test run; each test's browser context is a fresh visitor.
- ``browser`` / ``context`` / ``page``: Debian's Chromium through Playwright (``/usr/bin/chromium``).
  Without Chromium the browser tests skip, except under ``CI=true``, where they fail. A page fails its
  test on any script error or console error, in the page or its frames.
- ``shots``: saves numbered screenshots under ``test-output/browser/<test>/`` (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from bot.config import PROJECT_ROOT
from tests.browser.server import LiveServer, start_live_server
from tests.db import IN_CI

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
OUTPUT = PROJECT_ROOT / "test-output" / "browser"


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)"
        if IN_CI:
            pytest.fail(f"browser tests are required in CI: {message}")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
async def live_server(
    tmp_path_factory: pytest.TempPathFactory, nlu_model_dir: Path
) -> AsyncIterator[LiveServer]:
    async with start_live_server(tmp_path_factory.mktemp("live-server"), nlu_model_dir) as server:
        yield server


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile: no cookies, no storage — a new visitor."""
    made = await browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="fa-IR", timezone_id="Asia/Tehran"
    )
    yield made
    await made.close()


@pytest.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    opened = await context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    opened.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text} ({message.location})")
            if message.type == "error"
            else None
        ),
    )
    yield opened
    assert not problems, "\n".join(problems)


class Shots:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.taken: list[Path] = []

    async def take(self, page: Page, name: str) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{len(self.taken) + 1:02d}-{name}.png"
        await page.screenshot(path=str(path))
        self.taken.append(path)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    return Shots(OUTPUT / name)
