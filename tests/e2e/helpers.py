"""The real app in a subprocess (gunicorn on 127.0.0.1, a temporary SQLite file) and the browser
helpers the scenarios share: sign in, switch language, follow a task from the inbox, screenshots."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "demo12345"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """gunicorn serving `webapp:create_app()` on 127.0.0.1 with a database of its own."""

    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "FLASK_"))}
        env.update({
            # A real secret and no debug, as deployed; not "production", which refuses to start while the demo
            # accounts these scenarios sign in with are active (issue #17).
            "TANZHONG_ENV": "development",
            "SECRET_KEY": self._secret,
            "SESSION_COOKIE_SECURE": "0",  # plain http on loopback
            "DATABASE_URL": f"sqlite:///{self.workdir / 'e2e.sqlite'}",
            "UPLOAD_DIR": str(self.workdir / "uploads"),
            "RATELIMIT_LOGIN": "300 per minute",  # the scenarios sign in often; the limit has its own test
            "MAIL_SERVER": "",
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def __post_init__(self) -> None:
        self._secret = secrets.token_hex(32)

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run `flask --app webapp ARGS` against the server's database (e.g. init-db, deadlines tick)."""
        result = subprocess.run([str(VENV_BIN / "flask"), "--app", "webapp", *args], cwd=ROOT, env=self.env,  # noqa: S603
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def start(self) -> LiveServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        result = self.flask("init-db", check=False)
        if result.returncode != 0:
            # The real path failed: most likely a new table or column has no migration yet, which
            # tests/unit/test_migrations.py reports. Say so, and test the pages on the models' schema.
            warnings.warn("flask init-db failed, so the browser tests run on db.create_all()'s schema "
                          f"(see tests/unit/test_migrations.py):\n{result.stderr.strip().splitlines()[-1:]}",
                          stacklevel=1)
            (self.workdir / "e2e.sqlite").unlink(missing_ok=True)
            subprocess.run([sys.executable, "-c", "from webapp import create_app; from models import db; "  # noqa: S603
                            "app = create_app(); app.app_context().push(); db.create_all()"],
                           cwd=ROOT, env=self.env, check=True, capture_output=True)
            self.flask("db", "stamp", "head")
            self.flask("init-db")
        self.flask("demo-data")
        self.log = self.workdir / "gunicorn.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [str(VENV_BIN / "gunicorn"), "--workers", "2", "--threads", "2", "--bind", f"127.0.0.1:{self.port}",
                 "--timeout", "60", "--access-logfile", "-", "webapp:create_app()"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text(errors='replace')[-4000:]}")
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=2) as response:  # noqa: S310 - loopback
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.process = None

    def errors_in_log(self) -> list[str]:
        """Tracebacks gunicorn logged (an unhandled error is a failed test even if the page looked fine)."""
        text = self.log.read_text(errors="replace") if self.log and self.log.exists() else ""
        return [line for line in text.splitlines() if "Traceback" in line or "Unhandled error" in line]


class Shots:
    """Numbered full-page screenshots of one scenario in tests/e2e/artifacts/<scenario>/."""

    def __init__(self, scenario: str) -> None:
        self.folder = ARTIFACTS / scenario
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def __call__(self, page: Page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', step.lower()).strip('-')}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


class User:
    """One person in a browser session (context) of their own."""

    def __init__(self, browser: Browser, server: LiveServer, username: str, language: str = "zh") -> None:
        self.server = server
        self.username = username
        self.language = language
        self.context: BrowserContext = browser.new_context(base_url=server.url, locale="zh-CN",
                                                           viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(15_000)
        self.page: Page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.console_errors: list[str] = []
        self.page.on("console", self._console)
        self.failed_requests: list[str] = []  # resources (scripts, styles, fonts, XHR) the pages could not load
        self.page.on("response", lambda r: self.failed_requests.append(f"{r.status} {r.url}")
                     if r.status >= 400 and r.request.resource_type != "document" else None)

    def _console(self, message) -> None:  # noqa: ANN001
        # The browser's own favicon probe is no page's doing (there is no favicon: 404).
        if message.type == "error" and not (message.location or {}).get("url", "").endswith("/favicon.ico"):
            self.console_errors.append(f"{message.text} ({(message.location or {}).get('url')})")

    def sign_in(self) -> User:
        page = self.page
        page.goto("/login")
        set_language(page, self.language)
        page.fill("input[name=username]", self.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        expect(page.locator("nav .dropdown-toggle")).to_be_visible()
        set_language(page, self.language)  # the account may remember another language
        return self

    def open_task(self, step_title: str, event_name: str) -> Page:
        """From the inbox, follow the task `step_title` of the event `event_name`."""
        page = self.page
        page.click("nav a[href='/tasks/']")
        row = page.locator("table tbody tr").filter(has_text=event_name).filter(
            has=page.get_by_role("link", name=step_title, exact=True))
        expect(row).to_have_count(1)
        row.get_by_role("link", name=step_title, exact=True).click()
        expect(page.locator("h1")).to_have_text(step_title)
        return page

    def submit(self) -> None:
        """Press the task form's Submit (not "save as draft") and expect to land on the event page."""
        page = self.page
        with page.expect_navigation():
            page.locator("form button[name=action][value=complete]").click()
        if re.search(r"/tasks/\d+$", page.url):
            errors = page.locator(".invalid-feedback, .alert-danger").all_inner_texts()
            raise AssertionError(f"the form was refused: {' | '.join(errors) or page.title()}")
        expect(page).to_have_url(re.compile(r"/events/\d+$"))

    def close(self) -> None:
        self.context.close()


def set_language(page: Page, language: str) -> None:
    """Use the navigation bar's language switch (it shows the *other* language's name)."""
    other = page.locator("nav a[href*='/language/']")
    target = "en" if language == "en" else "zh_Hans_CN"
    href = other.get_attribute("href") or ""
    if f"/language/{target}" in href:
        other.click()
        page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", re.compile("^en" if language == "en" else "^zh"))


def write_pdf(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(PDF)
    return path
