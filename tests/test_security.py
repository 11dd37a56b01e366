"""Headers on every route, CSRF on every state change, cookies that scripts cannot read."""

from __future__ import annotations

import pytest

from portal.models import Role

from .factories import make_user
from .helpers import csrf_token, login, text

REQUIRED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def simple_get_routes(app):
    """Every GET route without URL parameters: new routes are covered without listing them."""
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            yield rule.rule


def assert_page_headers(response, path):
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    assert directives["script-src"] == "'self'", path
    assert directives["style-src"] == "'self'", path
    assert directives["object-src"] == "'none'", path
    assert directives["base-uri"] == "'none'", path
    assert directives["frame-ancestors"] == "'none'", path
    for name, value in REQUIRED_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)
    assert response.headers.get("Cache-Control") == "no-store", path


@pytest.mark.parametrize("role", [None, Role.CASE_MANAGER, Role.CLIENT, Role.FAMILY, Role.ADMIN])
def test_every_route_carries_the_security_headers(app, client, role):
    if role is not None:
        login(client, make_user(role).email)
    paths = list(simple_get_routes(app)) + ["/no-such-page"]
    assert {"/login", "/staff/", "/client/", "/family/", "/healthz", "/help"} <= set(paths)
    for path in paths:
        # buffered: a streamed download (the audit log's CSV) is read inside its request
        response = client.get(path, buffered=True)
        assert_page_headers(response, path)


def test_hsts_only_in_production_config(app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["HSTS"] = True
    assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=")


def test_static_files_are_served_with_nosniff(client):
    response = client.get("/static/vendor/htmx-2.0.11.min.js")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "javascript" in response.headers["Content-Type"]
    response.close()


def test_pages_have_no_inline_script_or_style(client):
    user = make_user(Role.CASE_MANAGER)
    login(client, user.email)
    for path in ("/login", "/staff/", "/help"):
        page = text(client.get(path))
        assert "<script>" not in page and "<script " not in page.replace("<script src=", "")
        assert "style=" not in page and "<style" not in page
        assert " on" + "click=" not in page


def test_htmx_is_configured_for_the_csp(client):
    page = text(client.get("/login"))
    assert '"includeIndicatorStyles":false' in page
    assert '"allowEval":false' in page
    assert '"allowScriptTags":false' in page
    assert '"selfRequestsOnly":true' in page
    assert 'hx-headers=\'{"X-CSRFToken": "' in page


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"email": "a@example.org", "password": "whatever-it-is"}),
        ("/logout", {}),
        ("/language", {"locale": "es", "next": "/login"}),
    ],
)
def test_post_without_csrf_token_is_refused(client, path, data):
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "This form has expired" in text(response)


def test_post_with_token_in_htmx_header_is_accepted(client):
    token = csrf_token(client)
    response = client.post(
        "/language",
        data={"locale": "es", "next": "/login"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 303


def test_csrf_token_from_another_session_is_refused(client, make_client):
    foreign = csrf_token(make_client())
    response = client.post("/language", data={"locale": "es", "csrf_token": foreign})
    assert response.status_code == 400


def test_session_cookie_is_httponly_and_samesite(client):
    user = make_user()
    response = login(client, user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the demo runs on plain http://127.0.0.1


@pytest.mark.parametrize(
    "app_config",
    [{"SESSION_COOKIE_SECURE": True}],
)
def test_production_cookie_is_secure(client, app_config):
    response = login(client, make_user().email)
    assert "Secure" in response.headers["Set-Cookie"]


def test_error_pages_render_inside_the_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = text(response)
    assert "Page not found" in page
    assert 'id="main"' in page and "Skip to main content" in page
