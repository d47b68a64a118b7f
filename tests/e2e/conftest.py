"""Browser end-to-end tests: the real app under gunicorn, driven by the system Chromium through
Playwright (never a browser download). Skipped only where /usr/bin/chromium is missing; CI
installs it (`chromium`, `chromium-driver` from Debian in .ci/run)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.support import Translations

from tests.e2e.helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, LiveServer

HAVE_CHROMIUM = Path(CHROMIUM).exists()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if HAVE_CHROMIUM:
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: install Debian's chromium (CI does, in .ci/run)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # a shared CI machine can be slow; nothing here waits on purpose
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app under gunicorn with its own SQLite file and upload folder, after init-db and demo-data."""
    live = LiveServer(tmp_path_factory.mktemp("e2e-server")).start()
    yield live
    live.stop()
    errors = live.errors_in_log()
    if errors and live.log is not None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(live.log, ARTIFACTS / f"gunicorn-{live.port}.log")
    assert not errors, f"the server logged unhandled errors (log copied to tests/e2e/artifacts/): {errors}"


@pytest.fixture(scope="session")
def translate():  # noqa: ANN201
    """Return t(language, English text) → the text the UI shows in that language."""
    catalogs = {"zh": Translations.load(str(ROOT / "webapp" / "translations"), ["zh_Hans_CN"], "messages")}

    def t(language: str, text: str) -> str:
        return catalogs["zh"].gettext(text) if language == "zh" else text

    return t
