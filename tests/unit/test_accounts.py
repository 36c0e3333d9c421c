import time

import argon2
import jwt
import pytest

from mkopo.adapters.security import Argon2Hasher, InvalidToken, JwtTokens
from mkopo.service import accounts, sessions
from mkopo.service.errors import AlreadyExists, Unauthorized
from tests.unit.conftest import World
from tests.unit.fakes import PlainHasher
from tests.unit.fakes_identity import FakeIdentityStore

SECRET = "unit-test-secret-of-reasonable-length"


def tokens(**kw: object) -> JwtTokens:
    args = {"secret": SECRET, "issuer": "mkopo", "audience": "mkopo-api", "ttl_s": 900} | kw
    return JwtTokens(**args)  # type: ignore[arg-type]


def register(world: World, phone: str = "+254712345678") -> str:
    cmd = accounts.RegisterUser(phone=phone, password="correct horse", full_name="Amina Wanjiru")
    return accounts.register(cmd, store=world.store, hasher=PlainHasher(), now=world.now)


def test_register_normalises_the_phone_and_refuses_a_duplicate(world: World) -> None:
    user_id = register(world, "254 712 345 678")
    assert world.store.get_user_by_phone("+254712345678").id == user_id  # type: ignore[union-attr]
    with pytest.raises(AlreadyExists):
        register(world, "+254712345678")


def test_login_issues_a_verifiable_token(world: World) -> None:
    user_id = register(world)
    issuer = tokens()
    token = sessions.login(
        sessions.Login(phone="+254712345678", password="correct horse"),
        store=world.store,
        hasher=PlainHasher(),
        tokens=issuer,
        identity=FakeIdentityStore(world.store),
        now=world.now,
        client_ip="1.2.3.4",
        limits=sessions.Limits(),
    )
    assert token.token_type == "Bearer" and token.expires_in == 900
    claims = issuer.verify(token.access_token)
    assert claims.subject == user_id and claims.role == "applicant"


@pytest.mark.parametrize(
    ("phone", "password"),
    [("+254712345678", "wrong pass"), ("+254799999999", "correct horse"), ("garbage", "correct horse")],
)
def test_wrong_credentials_give_one_answer(world: World, phone: str, password: str) -> None:
    register(world)
    with pytest.raises(Unauthorized) as err:
        sessions.login(
            sessions.Login(phone=phone, password=password),
            store=world.store,
            hasher=PlainHasher(),
            tokens=tokens(),
            identity=FakeIdentityStore(world.store),
            now=world.now,
            client_ip="1.2.3.4",
            limits=sessions.Limits(),
        )
    assert err.value.detail == "invalid phone number or password"


def test_argon2_hashes_verify_and_differ() -> None:
    hasher = Argon2Hasher()
    a, b = hasher.hash("s3cret-pass"), hasher.hash("s3cret-pass")
    assert a != b and a.startswith("$argon2id$")
    assert (
        hasher.verify(a, "s3cret-pass") and not hasher.verify(a, "other") and not hasher.verify("junk", "x")
    )


def test_argon2_uses_owasp_minimum_and_still_verifies_older_hashes() -> None:
    hasher = Argon2Hasher()
    assert "$m=19456,t=2,p=1$" in hasher.hash("1234")
    older = argon2.PasswordHasher().hash("1234")  # the library's default profile, used before
    assert hasher.verify(older, "1234") and not hasher.verify(older, "4321")


def test_token_attacks_are_refused() -> None:
    good, _ = tokens().issue(subject="u1", role="applicant")
    claims = jwt.decode(good, options={"verify_signature": False})
    forged_none = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    wrong_key = jwt.encode(claims, "another-secret-of-reasonable-length", algorithm="HS256")
    wrong_aud = jwt.encode(claims | {"aud": "other"}, SECRET, algorithm="HS256")
    expired = jwt.encode(claims | {"exp": int(time.time()) - 120}, SECRET, algorithm="HS256")
    future = jwt.encode(claims | {"nbf": int(time.time()) + 600}, SECRET, algorithm="HS256")
    for bad in (forged_none, wrong_key, wrong_aud, expired, future, "not.a.token"):
        with pytest.raises(InvalidToken):
            tokens().verify(bad)
    assert tokens().verify(good).subject == "u1"
