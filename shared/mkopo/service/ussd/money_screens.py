"""The USSD states about money: borrow, my loan (and accepting a new plan), repay, my limit, statement.

Each calls the service the JSON API calls (offers, credit, checkout, loans, repayments): the rules
(limits, disclosure, idempotency, what is owed) are theirs. A service's refusal becomes a screen.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from mkopo.domain import phone as phones
from mkopo.domain.money import Money
from mkopo.domain.repayments import RepaymentStatus
from mkopo.domain.restructuring import ProposalStatus
from mkopo.service import checkout, credit, loans, offers, repayments, restructuring
from mkopo.service.errors import ServiceError
from mkopo.service.ports import ProviderUnavailable
from mkopo.service.ussd.machine import Ctx, Screen, State

if TYPE_CHECKING:
    from mkopo.domain.offers import Offer
    from mkopo.service.store import User

WHOLE = re.compile(r"[1-9]\d{0,8}")
MAX_OFFERS = 3
MAX_REASON = 120


def _money(amount: Money) -> str:
    return f"{amount.currency} {amount}"


def _refused(ctx: Ctx, exc: ServiceError) -> Screen:
    return ctx.con("refused", reason=exc.detail[:MAX_REASON])


def _user(ctx: Ctx) -> User:
    user = ctx.user
    assert user is not None and ctx.session.verified, "money screens follow the PIN"
    return user


def _line(ctx: Ctx) -> Any:
    d = ctx.deps
    return credit.credit_line(_user(ctx), store=d.store, credit_data=d.credit_data, terms=d.credit_terms)


# ----------------------------------------------------------------------------------- borrow
def _ask_amount(ctx: Ctx) -> Screen:
    line = _line(ctx)
    if line.available_minor <= 0:
        key = "reason_active_loan" if "ACTIVE_LOAN" in line.reasons else "reason_limit"
        ctx.session.state = "info"
        return ctx.con("no_limit", reason=ctx.t(key))
    available = Money(minor=line.available_minor, currency=line.currency)
    return ctx.con("ask_amount", currency=line.currency, available=_money(available))


def _take_amount(ctx: Ctx, value: str) -> Screen:
    d, user = ctx.deps, _user(ctx)
    currency = phones.currency_of(user.phone)
    if not WHOLE.fullmatch(value):
        return ctx.con("invalid_amount", currency=currency)
    query = offers.OfferQuery(amount=value, currency=currency, term_days=d.term_days)
    try:
        found = offers.compare_offers(query, lenders=d.lenders, store=d.store, now=d.now, ttl=d.offer_ttl)
    except ServiceError as exc:
        return _refused(ctx, exc)
    line = _line(ctx)
    fitting = [o for o in found if credit.eligibility(o, line)["eligible"]][:MAX_OFFERS]
    if not fitting:
        return ctx.con("no_offers")
    ctx.session.data["offers"] = ",".join(o.id for o in fitting)
    return ctx.go("borrow_pick")


def _due(ctx: Ctx, offer: Offer) -> str:
    return (ctx.deps.now + timedelta(days=offer.term_days)).date().isoformat()


def _offers(ctx: Ctx) -> list[Offer]:
    ids = [i for i in ctx.session.data.get("offers", "").split(",") if i]
    return [o for o in (ctx.deps.store.get_offer(i) for i in ids) if o is not None]


def _show_offers(ctx: Ctx) -> Screen:
    lines = [
        ctx.t("offer_line", number=n, lender=o.provider, total=_money(o.total_repayable), due=_due(ctx, o))
        for n, o in enumerate(_offers(ctx), start=1)
    ]
    return ctx.con("offers", lines="\n".join(lines))


def _pick(ctx: Ctx, value: str) -> Screen:
    found = _offers(ctx)
    if not value.isdigit() or not 1 <= int(value) <= len(found):
        return Screen(f"{ctx.t('invalid_choice')}\n{_show_offers(ctx).text}")
    ctx.session.data["offer_id"] = found[int(value) - 1].id
    return ctx.go("borrow_confirm")


def _disclose(ctx: Ctx) -> Screen:
    offer = ctx.deps.store.get_offer(ctx.session.data.get("offer_id", ""))
    if offer is None:
        return ctx.end("session_error")
    return ctx.con(
        "confirm_offer",
        lender=offer.provider,
        amount=_money(offer.principal),
        interest=_money(offer.interest),
        fees=_money(offer.total_fees),
        total=_money(offer.total_repayable),
        due=_due(ctx, offer),
    )


def _accept(ctx: Ctx, value: str) -> Screen:
    from mkopo.service.ussd.screens import check_pin

    wrong = check_pin(ctx, value)
    if wrong is not None:
        return wrong
    d, user = ctx.deps, _user(ctx)
    cmd = checkout.Checkout(offer_id=ctx.session.data.get("offer_id", ""))
    try:
        checkout.submit(
            cmd,
            user=user,
            offer=d.store.get_offer(cmd.offer_id),
            key=f"ussd-{ctx.session.id}",  # one application per session, however often it is confirmed
            store=d.store,
            publisher=d.publisher,
            now=d.now,
            status_url="/v1/applications/{id}",
            terms_version=d.terms_version,
            channel="ussd",
        )
    except ServiceError as exc:
        return _refused(ctx, exc)
    return ctx.end("applied")


# --------------------------------------------------------------------------------- my loan
def _latest_loan(ctx: Ctx) -> dict[str, Any] | None:
    d = ctx.deps
    found = d.store.list_loans(_user(ctx).id, 1)
    return loans.loan_view(found[0], d.store, d.now) if found else None


def _show_loan(ctx: Ctx) -> Screen:
    view = _latest_loan(ctx)
    if view is None:
        return ctx.con("no_loan")
    cur, due = view["currency"], view["next_due"]
    plan = view["pending_proposal"]
    if plan is not None and plan["status"] == ProposalStatus.APPROVED.value:  # awaiting the borrower
        ctx.session.data |= {"loan_id": view["id"], "proposal_id": plan["id"]}
        first = plan["installments"][0]["due_date"]
        total = f"{cur} {plan['new_total']}"
        n = len(plan["installments"])
        return ctx.con(
            "loan_new_plan",
            outstanding=f"{cur} {view['outstanding']}",
            installments=n,
            first_due=first,
            total=total,
        )
    return ctx.con(
        "loan",
        status=ctx.t("loan_repaid" if view["status"] == "REPAID" else "loan_active"),
        principal=f"{cur} {view['principal']}",
        outstanding=f"{cur} {view['outstanding']}",
        due=f"{due['due_date']} {cur} {due['amount']}" if due else "-",
    )


def _loan_choice(ctx: Ctx, value: str) -> Screen:
    """``1`` on a loan with a new plan offered accepts it (the PIN was given at the start)."""
    proposal_id = ctx.session.data.get("proposal_id")
    if value != "1" or not proposal_id:
        return ctx.home()
    d = ctx.deps
    try:
        restructuring.accept(
            ctx.session.data.get("loan_id", ""),
            proposal_id,
            borrower=_user(ctx),
            via="ussd",
            store=d.store,
            publisher=d.publisher,
            now=d.now,
        )
    except ServiceError as exc:
        return _refused(ctx, exc)
    return ctx.end("plan_accepted")


# ----------------------------------------------------------------------------------- repay
def _ask_repay(ctx: Ctx) -> Screen:
    view = _latest_loan(ctx)
    if view is None or view["status"] == "REPAID":
        ctx.session.state = "info"
        return ctx.con("no_loan")
    ctx.session.data["loan_id"] = view["id"]
    return ctx.con("ask_repay", outstanding=f"{view['currency']} {view['outstanding']}")


def _repay(ctx: Ctx, value: str) -> Screen:
    d, user = ctx.deps, _user(ctx)
    currency = phones.currency_of(user.phone)
    if not WHOLE.fullmatch(value):
        return ctx.con("invalid_amount", currency=currency)
    try:
        repayments.request_repayment(
            repayments.RequestRepayment(amount=value),
            user=user,
            loan_id=ctx.session.data.get("loan_id", ""),
            key=f"ussd-{ctx.session.id}-{ctx.session.steps}",
            store=d.store,
            payments=d.payments,
            publisher=d.publisher,
            credit_terms=d.credit_terms,
            now=d.now,
        )
    except ServiceError as exc:
        return _refused(ctx, exc)
    except ProviderUnavailable:
        return ctx.end("try_later")
    return ctx.end("repay_sent", amount=f"{currency} {value}")


# ------------------------------------------------------------------------- limit, statement
def _show_limit(ctx: Ctx) -> Screen:
    view = credit.credit_view(_line(ctx))
    cur = view["currency"]
    return ctx.con(
        "limit",
        limit=f"{cur} {view['limit']}",
        available=f"{cur} {view['available']}",
        next=f"{cur} {view['next_limit_if_repaid_on_time']}",
    )


def _show_statement(ctx: Ctx) -> Screen:
    d = ctx.deps
    moves: list[tuple[Any, str, Money]] = []
    for loan in d.store.list_loans(_user(ctx).id, 3):
        moves.append((loan.disbursed_at, "movement_out", loan.schedule.principal))
        for rep in d.store.list_repayments(loan.id, 100):
            if rep.status == RepaymentStatus.SUCCESSFUL:
                moves.append((rep.settled_at or rep.requested_at, "movement_in", rep.amount))
    if not moves:
        return ctx.con("statement_empty")
    moves.sort(key=lambda m: m[0], reverse=True)
    lines = [ctx.t(key, date=at.date().isoformat(), amount=_money(m)) for at, key, m in moves[:3]]
    return ctx.con("statement", lines="\n".join(lines))


def _home(ctx: Ctx, value: str) -> Screen:
    return ctx.home()


def register(states: dict[str, State]) -> None:
    states.update(
        {
            "borrow_amount": State(_ask_amount, _take_amount),
            "borrow_pick": State(_show_offers, _pick),
            "borrow_confirm": State(_disclose, _accept),
            "loan": State(_show_loan, _loan_choice),
            "repay_amount": State(_ask_repay, _repay),
            "limit": State(_show_limit, _home),
            "statement": State(_show_statement, _home),
        }
    )
