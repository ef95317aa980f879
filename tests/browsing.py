"""What the browser tests share: Chromium started once per module, a page opened from disk with
every console error, page error and network request caught, and whole-page screenshots kept as
artifacts ($SUPPLYOPT_ARTIFACTS, default results/browser-artifacts/). Each test file skips itself
where chromium or playwright is missing, before it uses these."""

from __future__ import annotations

import os
import re
from pathlib import Path

from conftest import REPO

ARTIFACTS = Path(os.environ.get("SUPPLYOPT_ARTIFACTS") or REPO / "results/browser-artifacts")


def chromium(sync_api, executable: str):
    """Headless Debian chromium through Playwright (``yield from`` it in a fixture)."""
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield b
        b.close()


def open_page(browser, file: Path, width: int, height: int = 900):
    """A page ``width`` × ``height`` px with ``file`` loaded; returns (page, problems): console
    errors, page errors and every network request (all refused) land in ``problems``."""
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("request", lambda r: not r.url.startswith(("file:", "data:", "blob:")) and problems.append(f"request: {r.url}"))
    page.route(re.compile(r"^(https?|wss?)://"), lambda route: route.abort())
    page.goto(file.as_uri())
    return page, problems


def shot(page, name: str) -> None:
    """The whole page: the viewport stretched to the page's height (a full-page screenshot of a
    Bokeh page catches it mid re-layout), then put back."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], page.evaluate("document.documentElement.scrollHeight"))})
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / name))
    page.set_viewport_size(size)
