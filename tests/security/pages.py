"""Walk every GET page of the app as several principals and parse what came back (forms, scripts)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from flask import Flask

from tests.security.conftest import PRINCIPALS, World, session_client
from tests.security.matrix_harness import build_url

CRAWLERS = ("anon", "organizer", "staff", "lead", "verifier", "auditor", "admin")


@dataclass
class Form:
    method: str
    action: str | None
    inputs: list[str] = field(default_factory=list)


class PageParser(HTMLParser):
    """Collect forms with their input names, inline scripts, event-handler attributes, javascript: links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.inline_scripts: list[str] = []
        self.handler_attributes: list[str] = []
        self.javascript_urls: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.handler_attributes.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.javascript_urls.append(f"<{tag} {name}={value!r}>")
        if tag == "form":
            self.forms.append(Form((values.get("method") or "get").lower(), values.get("action")))
        elif tag in ("input", "select", "textarea", "button") and self.forms and values.get("name"):
            self.forms[-1].inputs.append(values["name"])
        elif tag == "script" and not values.get("src") and values.get("type") not in ("application/json",):
            self._in_inline_script = True
            self.inline_scripts.append("")

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self.inline_scripts[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False


@dataclass
class Page:
    principal: str
    url: str
    status: int
    content_type: str
    headers: dict[str, str]
    parsed: PageParser | None
    endpoint: str
    text: str | None = None  # the HTML


def html_get_rules(app: Flask) -> list:
    return sorted((rule for rule in app.url_map.iter_rules() if "GET" in rule.methods
                   and not rule.rule.startswith(("/api/", "/static/"))), key=lambda r: r.rule)


def crawl(app: Flask, world: World, principals: tuple[str, ...] = CRAWLERS) -> Iterator[Page]:
    """GET every page rule as each principal; yield the answers (HTML ones parsed)."""
    for principal in principals:
        client = session_client(app, PRINCIPALS[principal])
        for rule in html_get_rules(app):
            url = build_url(app, rule, world, PRINCIPALS[principal])
            response = client.get(url)
            parsed = text = None
            if response.mimetype == "text/html":
                text = response.get_data(as_text=True)
                parsed = PageParser()
                parsed.feed(text)
            yield Page(principal, url, response.status_code, response.mimetype, dict(response.headers), parsed,
                       rule.endpoint, text)
