"""The USSD states for who is calling: language, registration, the PIN (set, enter, change).

Money and loan states live in ``mkopo.service.ussd.money_screens``. A PIN is checked with the login
throttle (per phone, channel ``ussd``), so wrong PINs lock exactly as wrong passwords do.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from mkopo.domain import ussd_texts
from mkopo.service import accounts
from mkopo.service.accounts import UserStatus
from mkopo.service.errors import AlreadyExists, TooManyRequests
from mkopo.service.identity_store import IdentityTransaction
from mkopo.service.login_throttle import LoginThrottle
from mkopo.service.ussd import money_screens
from mkopo.service.ussd.machine import STATES, Ctx, Screen, State

PIN = re.compile(r"\d{4}")
MAX_NAME = 40
LANGUAGE_CHOICES = dict(zip(("1", "2", "3"), ussd_texts.LANGUAGES, strict=True))


def check_pin(ctx: Ctx, pin: str) -> Screen | None:
    """None when ``pin`` is the caller's PIN; else the wrong-PIN screen (or END once locked)."""
    deps, user = ctx.deps, ctx.user
    assert user is not None
    # The network gives no client address: the phone stands in for it, so one caller's wrong PINs never
    # count against another's.
    address = f"ussd:{user.phone}"
    throttle = LoginThrottle(
        deps.identity, deps.pin_limits, phone=user.phone, client_ip=address, now=deps.now
    )
    try:
        throttle.check()
        if user.pin_hash and PIN.fullmatch(pin) and deps.hasher.verify(user.pin_hash, pin):
            throttle.succeeded()
            ctx.session.verified = True
            return None
        throttle.failed()
    except TooManyRequests:
        return ctx.end("locked", minutes=max(1, deps.pin_limits.lockout_s // 60))
    return ctx.con("wrong_pin")


# --------------------------------------------------------------------------------- language
def _language(ctx: Ctx) -> Screen:
    return ctx.con("choose_language")


def _choose_language(ctx: Ctx, value: str) -> Screen:
    language = LANGUAGE_CHOICES.get(value)
    if language is None:
        return Screen(f"{ctx.t('invalid_choice')}\n{ctx.t('choose_language')}")
    user = ctx.user
    if user is None:
        ctx.session.data["language"] = language
        return ctx.go("reg_name")
    _save_user(ctx, language=language)
    accounts.follow_language(ctx.deps.store, user.id, language)
    ctx.session.state = "info"
    return ctx.con("language_saved")


# ----------------------------------------------------------------------------- registration
def _ask_name(ctx: Ctx) -> Screen:
    return ctx.con("ask_name")


def _take_name(ctx: Ctx, value: str) -> Screen:
    try:
        accounts.RegisterByPin(phone=ctx.session.phone, full_name=value, pin_hash="-", language="en")
    except ValidationError:
        return ctx.con("invalid_name")
    ctx.session.data["name"] = value
    ctx.session.data["pin_for"] = "register"
    return ctx.go("new_pin")


def _ask_new_pin(ctx: Ctx) -> Screen:
    return ctx.con("ask_new_pin")


def _take_new_pin(ctx: Ctx, value: str) -> Screen:
    if not PIN.fullmatch(value):
        return ctx.con("pin_format")
    ctx.session.data["pin_hash"] = ctx.deps.hasher.hash(value)  # the PIN itself is never kept
    return ctx.go("confirm_pin")


def _ask_confirm(ctx: Ctx) -> Screen:
    return ctx.con("ask_confirm_pin")


def _confirm_pin(ctx: Ctx, value: str) -> Screen:
    data = ctx.session.data
    pin_hash = data.pop("pin_hash", "")
    if not (PIN.fullmatch(value) and pin_hash and ctx.deps.hasher.verify(pin_hash, value)):
        ctx.session.state = "new_pin"
        return ctx.con("pin_mismatch")
    purpose = data.pop("pin_for", "set")
    ctx.session.back.clear()
    if purpose == "register":
        return _register(ctx, pin_hash)
    _save_user(ctx, pin_hash=pin_hash)
    ctx.session.verified = True
    if purpose == "change":
        return ctx.end("pin_changed")
    return ctx.go("main", push=False)


def _register(ctx: Ctx, pin_hash: str) -> Screen:
    deps, session = ctx.deps, ctx.session
    cmd = accounts.RegisterByPin(
        phone=session.phone,
        full_name=session.data["name"],
        pin_hash=pin_hash,
        language=ctx.language,  # chosen on the first screen, else the market's
    )
    try:
        session.user_id = accounts.register_by_pin(cmd, store=deps.store, now=deps.now)
    except AlreadyExists:
        ctx.forget_user()
        session.user_id = getattr(deps.store.get_user_by_phone(session.phone), "id", None)
        return ctx.home()
    session.verified, session.state = True, "main"
    ctx.forget_user()
    return Screen(ctx.t("registered", name=session.data["name"], menu=ctx.t("main_menu")))


def _save_user(ctx: Ctx, **changes: str) -> None:
    user_id = ctx.session.user_id

    def run(tx: IdentityTransaction) -> None:
        fresh = tx.get_user(user_id or "")
        if fresh is not None:
            tx.save_user(fresh.model_copy(update=changes))

    ctx.deps.identity.transaction(run)
    ctx.forget_user()


# ------------------------------------------------------------------------------------- PIN
def _ask_pin(ctx: Ctx) -> Screen:
    user = ctx.user
    if user is None or user.status != UserStatus.ACTIVE:
        return ctx.end("account_closed")
    return ctx.con("ask_pin", name=user.full_name[:MAX_NAME])


def _enter_pin(ctx: Ctx, value: str) -> Screen:
    wrong = check_pin(ctx, value)
    return wrong or ctx.go("main", push=False)


def _set_pin(ctx: Ctx) -> Screen:
    """A borrower from the app dials for the first time: they choose a PIN first."""
    user = ctx.user
    if user is None or user.status != UserStatus.ACTIVE:
        return ctx.end("account_closed")
    ctx.session.data["pin_for"] = "set"
    ctx.session.state = "new_pin"
    return ctx.con("ask_new_pin")


def _ask_old_pin(ctx: Ctx) -> Screen:
    return ctx.con("ask_old_pin")


def _old_pin(ctx: Ctx, value: str) -> Screen:
    wrong = check_pin(ctx, value)
    if wrong is not None:
        return wrong
    ctx.session.data["pin_for"] = "change"
    return ctx.go("new_pin")


# ------------------------------------------------------------------------------- main menu
def _main(ctx: Ctx) -> Screen:
    return ctx.con("main_menu")


MAIN_CHOICES = {
    "1": "borrow_amount",
    "2": "loan",
    "3": "repay_amount",
    "4": "limit",
    "5": "statement",
    "6": "language",
    "7": "old_pin",
}


def _choose(ctx: Ctx, value: str) -> Screen:
    target = MAIN_CHOICES.get(value)
    if target is None:
        return Screen(f"{ctx.t('invalid_choice')}\n{ctx.t('main_menu')}")
    return ctx.go(target)


def _info_input(ctx: Ctx, value: str) -> Screen:
    return ctx.home()


STATES.update(
    {
        "language": State(_language, _choose_language),
        "reg_name": State(_ask_name, _take_name),
        "new_pin": State(_ask_new_pin, _take_new_pin),
        "confirm_pin": State(_ask_confirm, _confirm_pin),
        "pin": State(_ask_pin, _enter_pin),
        "set_pin": State(_set_pin, _take_new_pin),
        "old_pin": State(_ask_old_pin, _old_pin),
        "main": State(_main, _choose),
        "info": State(_main, _info_input),
    }
)
money_screens.register(STATES)
