"""The admins' console pages in process, with the fakes: users (create, change a role, disable, enable)
through the same account services as the API."""

from __future__ import annotations

from mkopo import topology
from mkopo.entrypoints import backoffice_api
from tests.unit.fake_container import FakeContainer, http_client
from tests.unit.test_console import PASSWORD, container, csrf_of, sign_in, signed_in, staff, text
from tests.unit.test_dead_letters import poisoned

__all__ = ["container"]


def test_an_admin_creates_an_officer_who_then_signs_in(container: FakeContainer) -> None:
    world = container.world
    admin_user = staff(world, "+254700000071", role="admin")
    admin = signed_in(container, admin_user)
    token = csrf_of(admin, "/console/users")
    form = {"full_name": "Baraka O", "phone": "+254700000072", "password": PASSWORD, "role": "officer"}
    created = admin.post("/console/users", data=form | {"csrf_token": token})
    assert created.status_code == 303, text(created)
    listing = text(admin.get("/console/users"))
    assert "Baraka O" in listing and "+2547******72" in listing and "+254700000072" not in listing
    officer = world.store.get_user_by_phone("+254700000072")
    assert officer is not None and officer.role == "officer"
    trail = world.store.list_audit(officer.id, 10)
    assert [(r.action, r.actor_id) for r in trail] == [("user_created", admin_user.id)]
    client = http_client(backoffice_api.create_app(container))
    assert sign_in(client, officer).status_code == 303


def test_creating_an_account_with_bad_fields_shows_the_form_errors(container: FakeContainer) -> None:
    admin = signed_in(container, staff(container.world, "+254700000073", role="admin"))
    token = csrf_of(admin, "/console/users")
    form = {"full_name": "Z", "phone": "not-a-phone", "password": "hunter2-secret", "role": "officer"}
    bad = admin.post("/console/users", data=form | {"csrf_token": token})
    body = text(bad)
    assert bad.status_code == 422 and 'class="field-error"' in body and "hunter2-secret" not in body
    staff(container.world, "+254700000074")
    taken = form | {"full_name": "Zawadi", "phone": "+254700000074", "csrf_token": token}
    assert admin.post("/console/users", data=taken).status_code == 409


def test_an_admin_disables_a_user_who_is_signed_out_and_cannot_sign_in(container: FakeContainer) -> None:
    world = container.world
    admin_user = staff(world, "+254700000075", role="admin")
    admin = signed_in(container, admin_user)
    officer = staff(world, "+254700000076")
    officer_client = signed_in(container, officer)
    token = csrf_of(admin, "/console/users")
    off = admin.post(f"/console/users/{officer.id}", data={"status": "disabled", "csrf_token": token})
    assert off.status_code == 303 and world.store.get_user(officer.id).status == "disabled"  # type: ignore[union-attr]
    assert officer_client.get("/console/queue").status_code == 303  # signed out at once
    refused = sign_in(http_client(backoffice_api.create_app(container)), officer)
    assert refused.status_code == 401
    on = admin.post(f"/console/users/{officer.id}", data={"status": "active", "csrf_token": token})
    assert on.status_code == 303 and world.store.get_user(officer.id).status == "active"  # type: ignore[union-attr]
    promoted = admin.post(f"/console/users/{officer.id}", data={"role": "admin", "csrf_token": token})
    assert promoted.status_code == 303 and world.store.get_user(officer.id).role == "admin"  # type: ignore[union-attr]
    actions = [r.action for r in world.store.list_audit(officer.id, 10)]
    assert actions.count("user_updated") == 3


def test_an_admin_cannot_change_their_own_account(container: FakeContainer) -> None:
    admin_user = staff(container.world, "+254700000077", role="admin")
    admin = signed_in(container, admin_user)
    token = csrf_of(admin, "/console/users")
    own = admin.post(f"/console/users/{admin_user.id}", data={"status": "disabled", "csrf_token": token})
    assert own.status_code == 422 and "ask another admin" in text(own)
    nothing = admin.post(f"/console/users/{admin_user.id}", data={"csrf_token": token})
    assert nothing.status_code == 422
    missing = "00000000-0000-4000-8000-000000000000"
    assert (
        admin.post(f"/console/users/{missing}", data={"role": "admin", "csrf_token": token}).status_code
        == 404
    )


def test_an_admin_fetches_replays_and_discards_dead_letters(container: FakeContainer) -> None:
    poisoned(container.inbox)
    admin = signed_in(container, staff(container.world, "+254700000078", role="admin"))
    assert "No OPEN dead letters" in text(admin.get("/console/dead-letters"))
    token = csrf_of(admin, "/console/dead-letters")
    fetched = admin.post("/console/dead-letters/collect", data={"csrf_token": token})
    assert fetched.status_code == 303
    inbox = text(admin.get(fetched.headers["Location"]))
    assert "2 new dead letters" in inbox and "scoring" in inbox and "/console/applications/app-1" in inbox
    event, garbage = list(container.dead_letters.docs)
    replayed = admin.post(f"/console/dead-letters/{event}/replay", data={"csrf_token": token, "topic": ""})
    assert replayed.status_code == 303 and [t for t, _, _ in container.publisher.raw] == [
        topology.CHECKOUT_SUBMITTED
    ]
    again = admin.post(f"/console/dead-letters/{event}/replay", data={"csrf_token": token})
    assert again.status_code == 422 and "not OPEN" in text(again) and len(container.publisher.raw) == 1
    no_topic = admin.post(f"/console/dead-letters/{garbage}/replay", data={"csrf_token": token})
    assert no_topic.status_code == 422 and "choose one" in text(no_topic)
    gone = admin.post(f"/console/dead-letters/{garbage}/discard", data={"csrf_token": token})
    assert gone.status_code == 303 and container.dead_letters.docs[garbage]["status"] == "DISCARDED"
    assert "No OPEN dead letters" in text(admin.get("/console/dead-letters"))
    assert garbage in text(admin.get("/console/dead-letters?status=DISCARDED"))
    missing = admin.post("/console/dead-letters/nope/discard", data={"csrf_token": token})
    assert missing.status_code == 404
