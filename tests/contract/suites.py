"""Every contract suite, for a tier to run against its implementation of the ports."""

from typing import Any

from tests.contract.applications import ApplicationsContract
from tests.contract.audit import AuditContract
from tests.contract.exports import LeasesContract
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
from tests.contract.portfolio import PortfolioReaderContract
from tests.contract.restructuring import ProposalsContract
from tests.contract.stability import StabilityReportsContract
from tests.contract.transactions import TransactionsContract
from tests.contract.users import UsersContract
from tests.contract.ussd import UssdSessionsContract

SUITES: tuple[type, ...] = (
    AccountsContract,
    ApplicationsContract,
    AuditContract,
    IdempotencyContract,
    JointReadsContract,
    LeasesContract,
    LoansContract,
    LoginThrottleContract,
    NotificationsContract,
    OffersContract,
    OutboxContract,
    ProposalsContract,
    SessionsContract,
    StabilityReportsContract,
    TransactionsContract,
    UserDirectoryContract,
    UsersContract,
    UssdSessionsContract,
)

# The warehouse's ports (BigQuery on the emulator in the integration tier, not Firestore).
WAREHOUSE_SUITES: tuple[type, ...] = (PortfolioReaderContract,)


def collect_into(namespace: dict[str, Any], suites: tuple[type, ...] = SUITES) -> None:
    """Add one ``Test<Port>`` class per suite to a test module, run with its fixtures."""
    for suite in suites:
        name = "Test" + suite.__name__.removesuffix("Contract")
        namespace[name] = type(name, (suite,), {"__module__": namespace["__name__"]})
