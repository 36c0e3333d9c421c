"""Every contract suite, for a tier to run against its implementation of the ports."""

from tests.contract.applications import ApplicationsContract
from tests.contract.audit import AuditContract
from tests.contract.exports import ExportMarksContract, LeasesContract
from tests.contract.idempotency import IdempotencyContract
from tests.contract.identity import (
    AccountsContract,
    LoginThrottleContract,
    SessionsContract,
    UserDirectoryContract,
)
from tests.contract.loans import LoansContract
from tests.contract.notifications import NotificationsContract
from tests.contract.offers import JointReadsContract, OffersContract
from tests.contract.outbox import OutboxContract
from tests.contract.transactions import TransactionsContract
from tests.contract.users import UsersContract

__all__ = [
    "AccountsContract",
    "ApplicationsContract",
    "AuditContract",
    "ExportMarksContract",
    "IdempotencyContract",
    "JointReadsContract",
    "LeasesContract",
    "LoansContract",
    "LoginThrottleContract",
    "NotificationsContract",
    "OffersContract",
    "OutboxContract",
    "SessionsContract",
    "TransactionsContract",
    "UserDirectoryContract",
    "UsersContract",
]
