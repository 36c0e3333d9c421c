"""Accounts, tokens, throttling, roles, manual review, audit and the OpenAPI document, with fakes."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import jwt
import pytest

from mkopo import topology
from mkopo.adapters.security import InvalidToken, JwtTokens
from mkopo.config import KeyConfigError, Settings, parse_keyset
from mkopo.domain.applications import Status
from mkopo.domain.events import ApplicationScored
from mkopo.domain.policy import DecisionPolicy
from mkopo.http import logs
from mkopo.http.openapi import INTERNAL_FUNCTIONS, PUBLIC_FUNCTIONS, document, routers
from mkopo.service import accounts, decisions, reviews, sessions
from mkopo.service.errors import AlreadyExists, Forbidden, TooManyRequests, Unauthorized
from tests.unit.conftest import World
from tests.unit.fakes import PlainHasher
from tests.unit.fakes_identity import FakeIdentityStore

K1, K2 = "a" * 40, "b" * 40


def tokens(active: str = "k1", **kw: object) -> JwtTokens:
    args = {"keys": {"k1": K1, "k2": K2}, "active_kid": active, "issuer": "mkopo", "audience": "mkopo-api"}
    return JwtTokens(**(args | {"ttl_s": 900} | kw))  # type: ignore[arg-type]


def claims(**kw: object) -> dict[str, object]:
    now = int(time.time())
    base = {"iss": "mkopo", "aud": "mkopo-api", "sub": "u1", "iat": now, "nbf": now, "exp": now + 60}
    return base | {"jti": "j", "role": "applicant"} | kw


# ----------------------------------------------------------------------------------------- tokens
def test_rotation_old_kid_still_verifies_new_tokens_use_the_active_one() -> None:
    old, _ = tokens("k1").issue(subject="u1", role="applicant")
    assert tokens("k2").verify(old).subject == "u1"
    new, _ = tokens("k2").issue(subject="u1", role="officer")
    assert jwt.get_unverified_header(new)["kid"] == "k2"
    with pytest.raises(InvalidToken):
        JwtTokens(keys={"k2": K2}, active_kid="k2", issuer="mkopo", audience="mkopo-api", ttl_s=900).verify(
            old
        )


@pytest.mark.parametrize(
    "token",
    [
        jwt.encode(claims(), K1, algorithm="HS256", headers={"kid": "k1"}) + "x",  # bad signature
        jwt.encode(claims(), "c" * 40, algorithm="HS256", headers={"kid": "k1"}),  # wrong key
        jwt.encode(claims(), K1, algorithm="HS384", headers={"kid": "k1"}),  # other algorithm
        jwt.encode(claims(), None, algorithm="none", headers={"kid": "k1"}),  # alg none
        jwt.encode(claims(aud="other"), K1, algorithm="HS256", headers={"kid": "k1"}),
        jwt.encode(claims(iss="evil"), K1, algorithm="HS256", headers={"kid": "k1"}),
        jwt.encode(claims(exp=int(time.time()) - 120), K1, algorithm="HS256", headers={"kid": "k1"}),
        jwt.encode(claims(nbf=int(time.time()) + 120), K1, algorithm="HS256", headers={"kid": "k1"}),
        jwt.encode(claims(), K1, algorithm="HS256", headers={"kid": "k9"}),  # unknown kid
        jwt.encode(
            {k: v for k, v in claims().items() if k != "role"}, K1, algorithm="HS256", headers={"kid": "k1"}
        ),
    ],
    ids=["signature", "key", "hs384", "none", "aud", "iss", "expired", "not-yet", "kid", "no-role"],
)
def test_token_attacks(token: str) -> None:
    with pytest.raises(InvalidToken):
        tokens().verify(token)


def test_small_clock_skew_is_tolerated() -> None:
    token = jwt.encode(claims(exp=int(time.time()) - 10), K1, algorithm="HS256", headers={"kid": "k1"})
    assert tokens().verify(token).subject == "u1"


def test_keys_from_configuration_and_none_by_default_in_the_cloud(tmp_path: object) -> None:
    with pytest.raises(KeyConfigError):
        Settings(environment="cloud").signing_keys()
    active, keys = Settings(environment="local").signing_keys()
    assert active in keys
    keyset = json.dumps({"active": "k2", "keys": {"k1": K1, "k2": K2}})
    assert parse_keyset(keyset) == ("k2", {"k1": K1, "k2": K2})
    assert Settings(environment="cloud", jwt_secret=keyset).signing_keys()[0] == "k2"  # type: ignore[arg-type]
    with pytest.raises(KeyConfigError):
        parse_keyset("short")


# ------------------------------------------------------------------------ login, refresh, throttling
def setup_user(
    world: World, phone: str = "+254712345678", role: accounts.Role = accounts.Role.APPLICANT
) -> str:
    cmd = accounts.RegisterUser(phone=phone, password="correct horse", full_name="Amina Wanjiru")
    return accounts.register(cmd, store=world.store, hasher=PlainHasher(), now=world.now, role=role)


TEST_LIMITS = sessions.Limits(max_failures=3, lockout_s=600, ip_max_failures=5, ip_window_s=60)


def do_login(
    world: World,
    identity: FakeIdentityStore,
    password: str = "correct horse",  # noqa: S107
    ip: str = "1.2.3.4",
    *,
    phone: str = "+254712345678",
    limits: sessions.Limits = TEST_LIMITS,
) -> sessions.TokenPair:
    return sessions.login(
        sessions.Login(phone=phone, password=password),
        store=world.store,
        hasher=PlainHasher(),
        tokens=tokens(),
        identity=identity,
        now=world.now,
        client_ip=ip,
        limits=limits,
    )


def test_refresh_rotation_and_reuse_detection(world: World) -> None:
    setup_user(world)
    identity = FakeIdentityStore(world.store)
    pair = do_login(world, identity)
    assert isinstance(pair, sessions.TokenPair)
    lim = sessions.Limits()
    nxt = sessions.refresh(
        sessions.RefreshRequest(refresh_token=pair.refresh_token),
        identity=identity,
        tokens=tokens(),
        now=world.now,
        limits=lim,
    )
    with pytest.raises(Unauthorized):  # reuse of the spent token
        sessions.refresh(
            sessions.RefreshRequest(refresh_token=pair.refresh_token),
            identity=identity,
            tokens=tokens(),
            now=world.now,
            limits=lim,
        )
    with pytest.raises(Unauthorized):  # ... revoked the whole family
        sessions.refresh(
            sessions.RefreshRequest(refresh_token=nxt.refresh_token),
            identity=identity,
            tokens=tokens(),
            now=world.now,
            limits=lim,
        )
    assert any(r.action == "refresh_token_reuse_detected" for r in world.store.col("audit").values())
    assert not any(
        pair.refresh_token in json.dumps(str(v)) for v in world.store.col("refresh_tokens").values()
    )


def test_lockout_per_phone_and_address_and_throttle_per_address(world: World) -> None:
    setup_user(world)
    identity = FakeIdentityStore(world.store)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            do_login(world, identity, "wrong")
    with pytest.raises(TooManyRequests) as locked:
        do_login(world, identity, "wrong")
    assert locked.value.locked_until and locked.value.retry_after_s > 500
    with pytest.raises(TooManyRequests):  # even the right password while locked
        do_login(world, identity)
    world.now += timedelta(minutes=11)
    assert do_login(world, identity).access_token
    # Per address: failures for many phones from one address.
    for i in range(5):
        with pytest.raises((Unauthorized, TooManyRequests)):
            do_login(
                world,
                identity,
                "x",
                "9.9.9.9",
                phone=f"+2547123450{i:02d}",
                limits=sessions.Limits(ip_max_failures=5, ip_window_s=60),
            )
    with pytest.raises(TooManyRequests):
        do_login(world, identity, ip="9.9.9.9")
    assert do_login(world, identity, ip="8.8.8.8").access_token


def test_a_stranger_cannot_lock_a_borrower_out(world: World) -> None:
    """Five wrong passwords from another address lock that address's attempts, not the borrower's."""
    setup_user(world)
    identity = FakeIdentityStore(world.store)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            do_login(world, identity, "wrong", ip="6.6.6.6")
    with pytest.raises(TooManyRequests):
        do_login(world, identity, "wrong", ip="6.6.6.6")
    with pytest.raises(TooManyRequests):
        do_login(world, identity, ip="6.6.6.6")
    assert do_login(world, identity, ip="1.2.3.4").access_token


def test_many_addresses_guessing_one_phone_meet_the_slower_per_phone_limit(world: World) -> None:
    setup_user(world)
    identity = FakeIdentityStore(world.store)
    limits = sessions.Limits(max_failures=3, phone_max_failures=6, phone_window_s=3600)

    def attempt(password: str, ip: str) -> sessions.TokenPair:
        return do_login(world, identity, password, ip, limits=limits)

    for i in range(6):  # two failures each from three addresses: no pair is locked
        with pytest.raises(Unauthorized):
            attempt("wrong", f"10.0.0.{i % 3}")
    with pytest.raises(TooManyRequests) as limited:
        attempt("correct horse", "10.0.0.9")
    assert "this account" in limited.value.detail and limited.value.retry_after_s <= 3601
    world.now += timedelta(hours=1)
    assert attempt("correct horse", "10.0.0.9")


def test_admin_cannot_demote_self_and_delete_anonymises(world: World) -> None:
    admin_id = setup_user(world, "+254712345600", accounts.Role.ADMIN)
    user_id = setup_user(world)
    identity = FakeIdentityStore(world.store)
    admin = world.store.get_user(admin_id)
    assert admin is not None
    with pytest.raises(Exception, match="own"):
        accounts.admin_update(
            admin,
            admin_id,
            accounts.AdminUpdate(role=accounts.Role.APPLICANT),
            identity=identity,
            now=world.now,
        )
    accounts.delete_user(admin, user_id, identity=identity, now=world.now)
    gone = world.store.get_user(user_id)
    assert gone is not None and gone.status == "deleted" and "+254712345678" not in gone.model_dump_json()
    assert world.store.get_user_by_phone("+254712345678") is None
    setup_user(world)  # the number can register again


# -------------------------------------------------------------------------------------- manual review
def scored(world: World, phone: str, score: int):
    user = world.user(phone)
    result = world.submit(user, world.offer())
    app_id = result.body["application_id"]
    app = world.application(app_id)
    app.move_to(Status.SCORED, world.now)
    app.decision.score = score
    world.store.col("applications")[app_id] = app
    event = ApplicationScored.new(
        application_id=app_id,
        occurred_at=world.now,
        borrower_id=user.id,
        score=score,
        probability_of_default=0.1,
        reasons=[],
        credit_limit_minor=10_000_000,
    )
    return user, app_id, event


def test_band_goes_to_review_and_an_officer_decides_once(world: World) -> None:
    policy = DecisionPolicy(approve_min_score=600, max_exposure_minor=10_000_000, review_min_score=560)
    user, app_id, event = scored(world, "+254700000031", 580)
    decisions.decide(event, store=world.store, publisher=world.publisher, policy=policy, now=world.now)  # type: ignore[arg-type]
    assert world.application(app_id).status == Status.MANUAL_REVIEW
    assert world.publisher.topics()[-1] == topology.REVIEW_REQUESTED
    assert [a["id"] for a in reviews.queue(world.store, limit=10)] == [app_id]
    officer = world.user("+254700000032")
    officer.role = "officer"
    with pytest.raises(Forbidden):
        reviews.decide(
            app_id,
            reviews.ReviewDecision(outcome="APPROVED", comment="mine"),
            officer=user,  # type: ignore[arg-type]
            store=world.store,
            publisher=world.publisher,
            now=world.now,
        )
    reviews.decide(
        app_id,
        reviews.ReviewDecision(outcome="APPROVED", comment="good inflows"),
        officer=officer,  # type: ignore[arg-type]
        store=world.store,
        publisher=world.publisher,
        now=world.now,
    )
    assert world.application(app_id).status == Status.APPROVED
    assert world.publisher.topics()[-1] == topology.LOAN_APPROVED
    with pytest.raises(AlreadyExists):
        reviews.decide(
            app_id,
            reviews.ReviewDecision(outcome="REJECTED", comment="again"),
            officer=officer,  # type: ignore[arg-type]
            store=world.store,
            publisher=world.publisher,
            now=world.now,
        )
    trail = [(r.action, r.actor_role) for r in world.store.list_audit(app_id, 50)]
    assert trail == [
        ("checkout_submitted", "applicant"),
        ("review_requested", "system"),
        ("review_decided", "officer"),
    ]


def test_below_the_band_or_other_reasons_still_reject(world: World) -> None:
    policy = DecisionPolicy(approve_min_score=600, max_exposure_minor=10_000_000, review_min_score=560)
    assert (
        policy.decide(
            score=559, amount_minor=1, credit_limit_minor=9, active_application_id=None, application_id="a"
        )[0]
        == Status.REJECTED
    )
    assert (
        policy.decide(
            score=580, amount_minor=10, credit_limit_minor=9, active_application_id=None, application_id="a"
        )[0]
        == Status.REJECTED
    )
    assert (
        policy.decide(
            score=580, amount_minor=1, credit_limit_minor=9, active_application_id=None, application_id="a"
        )[0]
        == Status.MANUAL_REVIEW
    )


# ------------------------------------------------------------------------------------ OpenAPI, logs
def test_openapi_matches_the_served_routes_and_topology() -> None:
    doc = document()
    served = {
        (r.pattern, r.method.lower()) for router in routers().values() for r in router.routes if not r.raw
    }
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert served == documented
    http = {fn.name for fn in topology.FUNCTIONS if fn.trigger == "http"}
    assert http == set(PUBLIC_FUNCTIONS) | INTERNAL_FUNCTIONS
    for name, router in routers().items():
        for route in router.routes:
            fn = topology.route_for(route.pattern.split("{")[0].rstrip("/") or "/")
            assert fn is not None and fn.name == name, route.pattern
    for path, ops in doc["paths"].items():
        for op in ops.values():
            assert "4XX" in op["responses"], path
            if path.startswith(("/v1/users", "/v1/reviews", "/v1/audit", "/v1/applications")):
                assert op.get("security"), path


def test_logs_redact_secrets_and_phones() -> None:
    text = logs.redact(
        'login +254712345678 {"password": "hunter22", "refresh_token": "abc"} Bearer eyJa.eyJb.c'
    )
    assert "hunter22" not in text and "+254712345678" not in text and "abc" not in text and "eyJb" not in text
    assert "678" in text
