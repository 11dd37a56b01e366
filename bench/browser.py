"""A minimal browser over http.client: keeps cookies, signs in through the sign-in form."""

from __future__ import annotations

import html
import http.client
import re
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

PASSWORD = "waypoint-demo"  # noqa: S105 - the documented password of demo and generated accounts
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Answer:
    """One response: status, headers and body as text."""

    status: int
    headers: dict[str, str]
    text: str


@dataclass
class Browser:
    """One person's browser: its cookies go with every request."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Send one request, keep the cookies it sets, return the answer."""
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = self.cookie_header
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                self._keep(value)
            return Answer(response.status, dict(response.headers.items()), text)
        finally:
            connection.close()

    def _keep(self, set_cookie: str) -> None:
        jar: SimpleCookie = SimpleCookie()
        jar.load(set_cookie)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def post(
        self, path: str, form: dict[str, str], headers: dict[str, str] | None = None
    ) -> Answer:
        return self.request("POST", path, form=form, headers=headers)

    def csrf_token(self, path: str) -> str:
        """The CSRF token in the first form of a page."""
        answer = self.get(path)
        found = CSRF_FIELD.search(answer.text)
        if answer.status != 200 or found is None:
            raise SystemExit(f"bench: no csrf_token on {path} (status {answer.status})")
        return html.unescape(found.group(1))

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        """Sign in through the form, as a person would; fail loudly if refused."""
        token = self.csrf_token("/login")
        answer = self.post("/login", {"email": email, "password": password, "csrf_token": token})
        if answer.status not in (302, 303):
            raise SystemExit(f"bench: signing in as {email} answered {answer.status}")
