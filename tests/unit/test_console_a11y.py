"""Keyboard and screen-reader basics on every console page, as an admin sees it (the most controls): every
visible field has a label, every button a name saying what it does, one h1, a skip link, the current page
marked in the navigation, and no inline script or style (the CSP would block them)."""

from __future__ import annotations

from html.parser import HTMLParser

from flask.testing import FlaskClient

from mkopo.entrypoints import backoffice_api
from tests.unit.fake_container import FakeContainer, http_client
from tests.unit.test_console import (
    container,
    csrf_of,
    decide,
    disburse,
    referred,
    signed_in,
    staff,
    text,
)
from tests.unit.test_dead_letters import poisoned

__all__ = ["container"]
VAGUE = {"ok", "submit", "go", "click", "here", "show"}


class Controls(HTMLParser):
    """The page's labels, fields, buttons and headings."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.fields: list[dict[str, str | None]] = []
        self.buttons: list[str] = []
        self.h1 = 0
        self.inline: list[str] = []
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"] or "")
        if tag in {"input", "select", "textarea"} and a.get("type") != "hidden":
            self.fields.append(a)
        if tag == "button":
            self._button = []
        self.h1 += tag == "h1"
        if (tag == "script" and not a.get("src")) or "style" in a or any(k.startswith("on") for k in a):
            self.inline.append(tag)

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None:
            self.buttons.append(" ".join("".join(self._button).split()))
            self._button = None


def check(client: FlaskClient, path: str) -> Controls:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    page = Controls()
    page.feed(text(response))
    unlabelled = [f for f in page.fields if f.get("id") not in page.labels and not f.get("aria-label")]
    assert not unlabelled, (path, unlabelled)
    vague = [b for b in page.buttons if not b or b.lower() in VAGUE]
    assert not vague, (path, vague)
    assert page.h1 == 1 and not page.inline, (path, page.h1, page.inline)
    assert 'class="skip" href="#main"' in text(response), path
    return page


def test_every_page_labels_its_fields_and_names_its_buttons(container: FakeContainer) -> None:
    world = container.world
    app_id = referred(world, container, phone="+254700000094")
    poisoned(container.inbox)
    admin = signed_in(container, staff(world, "+254700000095", role="admin"))
    check(admin, "/console/queue")
    check(admin, f"/console/applications/{app_id}")
    assert decide(admin, app_id).status_code == 200
    disburse(container)
    borrower_id = world.application(app_id).borrower_id
    for path in (
        "/console/borrowers",
        f"/console/borrowers/{borrower_id}",
        f"/console/loans/{app_id}",
        f"/console/audit?entity_id={app_id}",
        "/console/users",
        "/console/portfolio",
    ):
        check(admin, path)
    token = csrf_of(admin, "/console/dead-letters")
    admin.post("/console/dead-letters/collect", data={"csrf_token": token})
    inbox = check(admin, "/console/dead-letters")
    assert any(b.startswith("Replay ") for b in inbox.buttons)
    assert 'aria-current="page"' in text(admin.get("/console/users"))
    check(http_client(backoffice_api.create_app(container)), "/console/login")
