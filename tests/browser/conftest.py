"""Real-browser fixtures: a live server on its own database, Chromium through Playwright, axe-core.

Each test module gets a fresh SQLite file (migrated, demo data loaded) served by
werkzeug on a free local port; the audit table refuses DELETE, so nothing is
cleaned row by row. Chromium is Debian's, found at ``/usr/bin/chromium`` or at
``WAYPOINT_CHROMIUM``. When it is missing every browser test is skipped with
one line naming the command that installs it, unless
``WAYPOINT_REQUIRE_BROWSER=1`` (CI), which fails the run instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

os.environ["PORTAL_ENV"] = "testing"

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402

from .helpers import DEMO_PASSWORD, sign_in  # noqa: E402

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "test-artifacts"
CHROMIUM = os.environ.get("WAYPOINT_CHROMIUM") or "/usr/bin/chromium"
REQUIRE_BROWSER = os.environ.get("WAYPOINT_REQUIRE_BROWSER", "") == "1"
MISSING_REASON = (
    "Chromium not found: install it with `sudo apt-get install chromium chromium-driver`"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
]

# Reports every CSP violation on the console, where the page fixture collects it
# across navigations (an init script runs before the page's own scripts and is not
# itself subject to the page's CSP).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(
    "Content Security Policy violation: " + event.violatedDirective +
    " blocked " + (event.blockedURI || "inline") +
    " at " + (event.sourceFile || document.location.href) + ":" + event.lineNumber
  );
});
"""
CSP_PATTERN = re.compile(r"Content Security Policy|Refused to", re.IGNORECASE)


def _chromium_present() -> bool:
    return os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)


def _is_browser_item(item: pytest.Item) -> bool:
    return HERE in Path(str(item.path)).resolve().parents


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything here ``browser`` (before ``-m`` selects); skip it all without Chromium."""
    missing = not _chromium_present() and not REQUIRE_BROWSER
    for item in items:
        if _is_browser_item(item):
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(pytest.mark.skip(reason=MISSING_REASON))


def pytest_collection_finish(session: pytest.Session) -> None:
    """In CI a missing Chromium fails the run: the browser tests may not skip there."""
    if REQUIRE_BROWSER and not _chromium_present() and any(map(_is_browser_item, session.items)):
        raise pytest.UsageError(
            f"WAYPOINT_REQUIRE_BROWSER=1 but Chromium is not at {CHROMIUM}: "
            "install it with `sudo apt-get install chromium chromium-driver` "
            "or point WAYPOINT_CHROMIUM at it"
        )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item (the page fixture screenshots failures).

    A skip for want of Chromium is reported from this file rather than from each
    test, so the summary folds every one of them into a single line.
    """
    report = yield
    setattr(item, f"report_{report.when}", report)
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and longrepr[2].endswith(MISSING_REASON):
        report.longrepr = (str(Path(__file__)), None, longrepr[2])
    return report


# --- the live server -----------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    database_url: str

    def __call__(self, path: str = "/") -> str:
        """The absolute URL of a path on this server."""
        return self.url + path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_server_config() -> dict[str, Any]:
    """Extra settings for this module's server (a module overrides this fixture)."""
    return {}


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, live_server_config: dict[str, Any]
) -> Iterator[LiveServer]:
    """The app on its own migrated SQLite file with the demo data, served on a free port."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from portal.services.demo import load_demo

    directory = tmp_path_factory.mktemp("live")
    database_url = f"sqlite:///{directory / 'browser.db'}"
    # Explicit overrides win over DATABASE_URL, so the PostgreSQL CI stage still
    # serves this module's own SQLite file.
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": False,
            "DEMO_PASSWORD": DEMO_PASSWORD,
            **live_server_config,
        }
    )
    app.instance_path = str(directory / "instance")
    with app.app_context():
        upgrade()
        load_demo()
        db.session.commit()
        db.session.remove()

    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", database_url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


# --- the browser ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageLog:
    """What the page said on its console, and the errors it threw, across navigations."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def csp_violations(self) -> list[str]:
        return [line for line in self.console + self.errors if CSP_PATTERN.search(line)]


@pytest.fixture(scope="module")
def signed_in_states() -> dict[str, Any]:
    """Cookies per demo account, signed in once per module: the password hash is slow on purpose."""
    return {}


@pytest.fixture
def new_page(
    browser: Browser,
    live_server: LiveServer,
    signed_in_states: dict[str, Any],
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., Any]]:
    """``new_page(locale="es-ES", user="cm@example.org", viewport=...)``: a page, fresh context.

    ``user`` starts the page signed in as that demo account (signed in once per
    module through the real form). Other keyword arguments go to
    ``browser.new_context``. Each page has ``page.log`` (a :class:`PageLog`).
    """
    contexts: list[Any] = []
    pages: list[Any] = []

    def open_context(locale: str = "en-US", **options: Any) -> Any:
        context = browser.new_context(base_url=live_server.url, locale=locale, **options)
        context.set_default_timeout(10_000)
        context.add_init_script(CSP_LISTENER)
        contexts.append(context)
        return context

    def factory(locale: str = "en-US", user: str | None = None, **options: Any) -> Any:
        if user is not None:
            if user not in signed_in_states:
                signer = open_context().new_page()
                sign_in(signer, user)
                assert not signer.url.endswith("/login"), f"{user} could not sign in"
                signed_in_states[user] = signer.context.storage_state()
            options["storage_state"] = signed_in_states[user]
        page = open_context(locale, **options).new_page()
        log = PageLog()
        page.on("console", lambda message: log.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: log.errors.append(str(error)))
        page.log = log
        pages.append(page)
        return page

    yield factory

    failed = any(
        getattr(getattr(request.node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        for number, page in enumerate(pages):
            # A screenshot is a nicety: a page that cannot take one must not hide the failure.
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / f"{stem}-{number}.png"), full_page=True)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """An anonymous page in a fresh English (en-US) context."""
    return new_page()
