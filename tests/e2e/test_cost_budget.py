"""What one loan costs stays within its budget: whole loans on a metered stack of their own, counted per
function against bench/cost_budget.json (a change that adds a Firestore write per loan fails here)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from bench import cost

from mkopo import metering
from tests.conftest import stack_port_offset

pytestmark = pytest.mark.e2e


def test_per_loan_counts_within_budget() -> None:
    results = cost.measure(stack_port_offset() + 1500, loans=6, rate=1.0)
    assert results["loans"] == 6, "every loan should reach REPAID"
    total = results["per_loan"]["total"]
    assert total[metering.FS_WRITES] > Decimal(cost.cost_model.FLOORS[metering.FS_WRITES][0]) / 2, (
        "meters off?"
    )
    assert cost.check(results) == []
