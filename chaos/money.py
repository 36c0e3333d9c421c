"""Money scenarios: payouts and repayments through both providers while they misbehave.

Kenyan (KES) borrowers are paid by M-Pesa B2C and repay by STK Push (asynchronous: callbacks that may come
late, twice or never, and then reconciliation asks M-Pesa); Ugandan (UGX) borrowers are paid and collected
by MTN MoMo (polled). Strong sandbox applicants: +254700000001..99 and +256770000001..99; +254722000001..99
are approved but their wallet payout fails.
"""

from __future__ import annotations

import collections
import functools
import time
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal

import httpx
from bench import driver
from bench.population import Applicant, seed_applicants

from chaos import providers
from chaos.harness import ChaosStack
from chaos.scenarios import Run, Size
from mkopo.domain.loans import Loan
from mkopo.domain.money import EXPONENT

KENYAN, UGANDAN, FAILING = "+2547000000", "+2567700000", "+2547220000"
AMOUNT = {"KES": "5000", "UGX": "100000"}
RETRY_STATUSES = (0, 500, 502, 503, 504)

PAYOUT_FAULTS = {
    "MPESA_SANDBOX_FAIL_RATE": "0.3",  # B2C, status and STK requests answer 500, record nothing
    "MPESA_SANDBOX_DUPLICATE_CALLBACKS": "0.3",
    "MPESA_SANDBOX_DROP_CALLBACKS": "0.3",  # reconciliation's Transaction Status query must finish these
    "MPESA_SANDBOX_LATENCY_MS": "6000",  # later than reconcile_after_s (5 s): results race the queries
    "MPESA_SANDBOX_SEED": "5",
    "MOMO_SANDBOX_FAIL_RATE": "0.3",
    "MOMO_SANDBOX_TIMEOUT_RATE": "0.2",  # recorded, then the reply hangs past the client's 10 s timeout
    "MOMO_SANDBOX_HANG_S": "12",
    "MOMO_SANDBOX_SEED": "5",
}
REPAYMENT_FAULTS = {
    "MPESA_SANDBOX_FAIL_RATE": "0.2",
    "MPESA_SANDBOX_DUPLICATE_CALLBACKS": "0.3",
    "MPESA_SANDBOX_DROP_CALLBACKS": "0.3",
    "MPESA_SANDBOX_LATENCY_MS": "1500",
    "MPESA_SANDBOX_SEED": "7",
    "MOMO_SANDBOX_FAIL_RATE": "0.2",
    "MOMO_SANDBOX_TIMEOUT_RATE": "0.1",
    "MOMO_SANDBOX_HANG_S": "12",
    "MOMO_SANDBOX_SEED": "7",
}


def numbers(prefix: str, count: int, first: int = 1) -> list[str]:
    """Sandbox test numbers ``prefix`` + 01..99."""
    if first + count - 1 > 99:
        raise ValueError(f"the sandbox has 99 numbers under {prefix}")
    return [f"{prefix}{i:02d}" for i in range(first, first + count)]


def offer_id(client: httpx.Client, currency: str) -> str:
    r = client.get("/v1/offers", params={"amount": AMOUNT[currency], "currency": currency, "term_days": 30})
    r.raise_for_status()
    return str(r.json()["offers"][0]["id"])


def retrying(send: Callable[[], httpx.Response], attempts: int = 6) -> httpx.Response | None:
    """What a phone app does when the answer is lost or the server fails: send again (same key)."""
    for attempt in range(attempts):
        try:
            response = send()
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code not in RETRY_STATUSES:
            return response
        time.sleep(1 + attempt)
    return None


def borrow(cs: ChaosStack, groups: Mapping[str, list[str]]) -> tuple[list[Applicant], list[str]]:
    """Seed borrowers per currency, check each out once (retrying with the same key); the accepted ids."""
    client = driver.http_client(cs.stack.gateway_url)
    offers = {currency: offer_id(client, currency) for currency in groups}
    who = {c: seed_applicants(cs.db, phones) for c, phones in groups.items()}
    tasks = [
        functools.partial(
            retrying,
            functools.partial(
                client.post,
                "/v1/checkout",
                json={"offer_id": offers[currency]},
                headers=a.headers | {"Idempotency-Key": str(uuid.uuid4())},
            ),
        )
        for currency, applicants in who.items()
        for a in applicants
    ]
    replies = driver.run_concurrent(tasks, 8)
    accepted = [str(r.json()["application_id"]) for r in replies if r is not None and r.status_code == 202]
    return [a for group in who.values() for a in group], accepted


def under_faults(cs: ChaosStack, knobs: Mapping[str, str], scenario: Callable[[], Run]) -> Run:
    """Run ``scenario`` on empty sandboxes restarted with ``knobs``; they stay up (their records are what
    the invariants read) until the run's cleanup turns the faults off."""
    cs.restart_sandboxes(knobs)
    try:
        cs.reset()
        run = scenario()
    except BaseException:
        cs.restart_sandboxes({})
        raise
    run.cleanup = functools.partial(cs.restart_sandboxes, {})
    return run


def _callback_notes(cs: ChaosStack) -> dict[str, int]:
    """What M-Pesa did with its callbacks: Results never sent (reconciliation had to finish those), sent
    twice, and the Transaction Status results reconciliation's queries brought."""
    calls = providers.callbacks(cs.stack)
    sent = collections.Counter((c["kind"], c["key"]) for c in calls if not c["dropped"])
    dropped = {(c["kind"], c["key"]) for c in calls if c["dropped"]}
    return {
        "mpesa_results_never_sent": sum(1 for k in dropped if k[0] != "status" and k not in sent),
        "mpesa_results_sent_twice": sum(1 for k, n in sent.items() if k[0] != "status" and n > 1),
        "mpesa_status_results": sum(n for k, n in sent.items() if k[0] == "status"),
    }


def provider_faults(cs: ChaosStack, size: Size) -> Run:
    """Payouts while both providers misbehave: M-Pesa answers 500s and sends its Results late, twice or
    never (reconciliation's status query finishes those); MoMo answers 500s or hangs past the client's
    timeout (the transfer exists: the retry must find it, not pay again). Two approved Kenyans whose
    wallets refuse the payout end DISBURSEMENT_FAILED."""
    half = max(1, size.small // 2)
    groups = {"KES": numbers(KENYAN, half) + numbers(FAILING, 2), "UGX": numbers(UGANDAN, half)}

    def scenario() -> Run:
        _, accepted = borrow(cs, groups)
        driver.wait_terminal(cs.db, accepted, 150)
        return Run(accepted, notes=dict(PAYOUT_FAULTS) | _callback_notes(cs))

    return under_faults(cs, PAYOUT_FAULTS, scenario)


def _loan(cs: ChaosStack, loan_id: str) -> Loan | None:
    doc = cs.db.collection("loans").document(loan_id).get()
    return Loan.model_validate(doc.to_dict()) if doc.exists else None


def _major(minor: int, currency: str) -> str:
    return str(Decimal(minor).scaleb(-EXPONENT[currency]))


def _settled(cs: ChaosStack, repayment_id: str, timeout_s: float) -> str | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        doc = cs.db.collection("repayments").document(repayment_id).get().to_dict() or {}
        if doc.get("status") not in (None, "PENDING"):
            return str(doc["status"])
        time.sleep(0.5)
    return None


def _repay_twice(cs: ChaosStack, client: httpx.Client, who: Applicant, loan_id: str) -> list[str]:
    """A third of what is owed, then the rest, each once settled; the repayments' final statuses."""
    statuses: list[str] = []
    for part in (3, 1):
        loan = _loan(cs, loan_id)
        if loan is None:
            return [*statuses, "NO_LOAN"]
        owed, unit = loan.outstanding.minor, loan.outstanding.payable_unit
        minor = owed if part == 1 else max(unit, owed // part // unit * unit)
        send = functools.partial(
            client.post,
            f"/v1/loans/{loan_id}/repayments",
            json={"amount": _major(minor, loan.currency)},
            headers=who.headers | {"Idempotency-Key": str(uuid.uuid4())},
        )
        reply = retrying(send)
        if reply is None or reply.status_code != 202:
            return [*statuses, f"HTTP {reply.status_code if reply else 'none'}"]
        statuses.append(_settled(cs, str(reply.json()["id"]), 90) or "PENDING")
    return statuses


def repayments(cs: ChaosStack, size: Size) -> Run:
    """Kenyan and Ugandan borrowers borrow, then repay in two parts (a third, then the rest) until REPAID,
    while STK Push callbacks come late, twice or never, and both providers answer some requests with 500
    (MoMo also hangs some): the ledger must balance and each repaid loan owe nothing."""
    groups = {"KES": numbers(KENYAN, size.repaying), "UGX": numbers(UGANDAN, size.repaying)}

    def scenario() -> Run:
        who, accepted = borrow(cs, groups)
        docs = driver.wait_terminal(cs.db, accepted, 120)
        by_user = {a.user_id: a for a in who}
        loans = {i: by_user[d["borrower_id"]] for i, d in docs.items() if d.get("status") == "DISBURSED"}
        client = driver.http_client(cs.stack.gateway_url)
        tasks = [functools.partial(_repay_twice, cs, client, a, i) for i, a in loans.items()]
        outcomes = driver.run_concurrent(tasks, 8)
        notes = {"loans": len(loans), "repayment_statuses": sorted({s for o in outcomes for s in o})}
        return Run(accepted, repaid=sorted(accepted), notes=notes | _callback_notes(cs) | REPAYMENT_FAULTS)

    return under_faults(cs, REPAYMENT_FAULTS, scenario)
