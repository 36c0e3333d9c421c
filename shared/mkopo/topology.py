"""The single source of truth for functions, topics, subscriptions and public routes.

Local wiring (``emulators/``) and the Terraform cross-check test both read this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Domain event topics, in the order an application moves through them.
CHECKOUT_SUBMITTED = "checkout_submitted"
APPLICATION_SCORED = "application_scored"
LOAN_APPROVED = "loan_approved"
LOAN_REJECTED = "loan_rejected"
LOAN_DISBURSED = "loan_disbursed"
DISBURSEMENT_FAILED = "disbursement_failed"
REPAYMENT_RECEIVED = "repayment_received"
LOAN_REPAID = "loan_repaid"
REPAYMENT_DUE = "repayment_due"
INSTALLMENT_OVERDUE = "installment_overdue"
REVIEW_REQUESTED = "review_requested"
LOAN_RESTRUCTURING = "loan_restructuring"
CHARGE_APPLIED = "charge_applied"
DEAD_LETTER = "dead_letter"

EVENT_TOPICS: tuple[str, ...] = (
    CHECKOUT_SUBMITTED,
    APPLICATION_SCORED,
    LOAN_APPROVED,
    LOAN_REJECTED,
    LOAN_DISBURSED,
    DISBURSEMENT_FAILED,
    REPAYMENT_RECEIVED,
    LOAN_REPAID,
    REPAYMENT_DUE,
    INSTALLMENT_OVERDUE,
    REVIEW_REQUESTED,
    LOAN_RESTRUCTURING,
    CHARGE_APPLIED,
)
TOPICS: tuple[str, ...] = (*EVENT_TOPICS, DEAD_LETTER)

# Operators read dead-lettered messages from this pull subscription.
DEAD_LETTER_INBOX = "dead_letter_inbox"

Trigger = Literal["http", "pubsub", "schedule"]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between redeliveries and the attempts before dead-lettering."""

    minimum_backoff_s: int = 1
    maximum_backoff_s: int = 60
    max_delivery_attempts: int = 5
    ack_deadline_s: int = 60


@dataclass(frozen=True)
class Function:
    """One Cloud Function: its name, its entry point in functions/main.py and what triggers it."""

    name: str
    entry_point: str
    trigger: Trigger
    topics: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    schedule: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    secrets: tuple[str, ...] = ()
    analytics: bool = False  # writes BigQuery tables: one instance at a time, lingers after each call
    reads_analytics: bool = False  # queries the analytics dataset (read-only there), writes no table


# A batch that fails is redelivered whole: more attempts before a BigQuery outage dead-letters events.
_BATCH = RetryPolicy(minimum_backoff_s=10, maximum_backoff_s=600, max_delivery_attempts=20)

# Provider credentials (config.Settings refuses their local defaults in the cloud): payouts need these,
# collections (STK Push's passkey) one more.
PAYOUT_SECRETS = (
    "momo-api-user",
    "momo-api-key",
    "momo-subscription-key",
    "mpesa-consumer-key",
    "mpesa-consumer-secret",
    "mpesa-security-credential",
)
MONEY_SECRETS = (*PAYOUT_SECRETS, "mpesa-passkey")

FUNCTIONS: tuple[Function, ...] = (
    Function("auth", "auth", "http", routes=("/v1/auth", "/v1/users"), secrets=("jwt-signing-key",)),
    Function("offers", "offers", "http", routes=("/v1/offers", "/openapi.json", "/docs")),
    Function("checkout", "checkout", "http", routes=("/v1/checkout",), secrets=("jwt-signing-key",)),
    Function(
        "status",
        "status",
        "http",
        routes=("/v1/applications", "/v1/notifications"),
        secrets=("jwt-signing-key",),
    ),
    Function("scoring", "scoring", "pubsub", topics=(CHECKOUT_SUBMITTED,)),
    Function("confirm-payment", "confirm_payment", "pubsub", topics=(APPLICATION_SCORED,)),
    Function(
        "disbursement",
        "disbursement",
        "pubsub",
        topics=(LOAN_APPROVED,),
        retry=RetryPolicy(minimum_backoff_s=2, maximum_backoff_s=120, max_delivery_attempts=10),
        secrets=PAYOUT_SECRETS,
    ),
    Function(
        "notify",
        "notify",
        "pubsub",
        topics=(
            CHECKOUT_SUBMITTED,
            LOAN_APPROVED,
            LOAN_REJECTED,
            LOAN_DISBURSED,
            DISBURSEMENT_FAILED,
            REPAYMENT_RECEIVED,
            LOAN_REPAID,
            REPAYMENT_DUE,
            INSTALLMENT_OVERDUE,
            REVIEW_REQUESTED,
            LOAN_RESTRUCTURING,
            CHARGE_APPLIED,
        ),
        secrets=("at-api-key",),
    ),
    # Exporters pull their subscriptions in batches on a schedule (one BigQuery insert per batch).
    Function(
        "exporter",
        "exporter",
        "schedule",
        schedule="* * * * *",
        topics=EVENT_TOPICS,
        retry=_BATCH,
        analytics=True,
    ),
    Function("outbox-relay", "outbox_relay", "schedule", schedule="* * * * *"),
    Function(
        "loans",
        "loans",
        "http",
        routes=("/v1/loans", "/v1/ledger"),
        secrets=("jwt-signing-key", *MONEY_SECRETS),
    ),
    Function(
        "payment-callbacks",
        "payment_callbacks",
        "http",
        routes=("/v1/callbacks",),
        secrets=("callback-signing-key", "at-api-key"),
    ),
    Function(
        "reconciliation",
        "reconciliation",
        "schedule",
        schedule="*/5 * * * *",
        secrets=(*MONEY_SECRETS, "callback-signing-key"),
    ),
    Function("arrears", "arrears", "schedule", schedule="0 6 * * *"),
    # Loss provisioning after the arrears run has aged the loans; the bureau file on the 1st of a month.
    Function("provisioning", "provisioning", "schedule", schedule="30 6 * * *"),
    Function("bureau", "bureau", "schedule", schedule="0 7 1 * *", secrets=("at-api-key",)),
    # Score monitoring: the week's score PSI per model version against its card (python -m mkopo.ops psi).
    Function("score-stability", "score_stability", "schedule", schedule="0 5 * * *", reads_analytics=True),
    # Staff work: the officers' review queue and decisions, the admins' audit trail.
    Function(
        "backoffice",
        "backoffice",
        "http",
        routes=("/v1/reviews", "/v1/audit", "/console"),
        secrets=("jwt-signing-key",),
        reads_analytics=True,  # the console's portfolio dashboard queries the analytics views
    ),
    # Audit records go from Firestore (written with the change they record) straight to their table.
    Function("audit-exporter", "audit_exporter", "schedule", schedule="* * * * *", analytics=True),
    # Feature phones: Africa's Talking posts each USSD step here (network allow-list and, in the cloud,
    # a secret path token).
    Function(
        "ussd",
        "ussd",
        "http",
        routes=("/v1/ussd",),
        secrets=("ussd-path-token", *MONEY_SECRETS),
    ),
)


@dataclass(frozen=True)
class Subscription:
    """One topic delivered to one function: pushed to a Pub/Sub-triggered function, pulled in batches by a
    scheduled one (the exporters)."""

    name: str
    topic: str
    function: Function

    @property
    def push(self) -> bool:
        return self.function.trigger == "pubsub"

    @property
    def dead_letter_topic(self) -> str:
        return DEAD_LETTER


def subscriptions() -> tuple[Subscription, ...]:
    """Every subscription (push or pull), named ``<function>--<topic>``."""
    return tuple(Subscription(f"{fn.name}--{topic}", topic, fn) for fn in FUNCTIONS for topic in fn.topics)


def function(name: str) -> Function:
    for fn in FUNCTIONS:
        if fn.name == name:
            return fn
    raise KeyError(name)


def route_for(path: str) -> Function | None:
    """The HTTP function that serves a public path (longest prefix wins)."""
    best: tuple[int, Function] | None = None
    for fn in FUNCTIONS:
        for prefix in fn.routes:
            if (path == prefix or path.startswith(prefix + "/")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), fn)
    return best[1] if best else None
