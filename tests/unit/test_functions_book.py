"""The book's scheduled functions (provisioning, bureau) and the staff's allowance view, in process."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from mkopo import topology
from mkopo.adapters.bureau_files import FolderBureauSink
from mkopo.domain import ledger
from mkopo.entrypoints import loans_api
from mkopo.entrypoints.jobs import Jobs, create_jobs
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, bearer, carry_events, http_client, is_problem


@pytest.fixture
def container(world: World) -> FakeContainer:
    return FakeContainer(world)


@pytest.fixture
def jobs(container: FakeContainer) -> Jobs:
    return create_jobs(container)


def _overdue_loan(world: World, container: FakeContainer, phone: str, days: int) -> str:
    app_id: str = world.submit(world.user(phone), world.offer(), key=phone).body["application_id"]
    carry_events(container)
    loan = world.store.get_loan(app_id)
    assert loan is not None
    due = loan.schedule.installments[-1].due_date
    world.now = world.now.replace(year=due.year, month=due.month, day=due.day) + timedelta(days=days)
    return app_id


def test_provisioning_and_bureau_are_scheduled_functions() -> None:
    assert topology.function("provisioning").trigger == "schedule"
    assert topology.function("bureau").schedule == "0 7 1 * *"


def test_the_provisioning_job_posts_the_allowance_once(
    world: World, container: FakeContainer, jobs: Jobs
) -> None:
    loan_id = _overdue_loan(world, container, "+254700000071", days=45)
    first = jobs.provision()
    kes = first.body["currencies"]["KES"]
    owed = world.store.get_loan(loan_id).outstanding.minor
    assert first.status == 200 and kes["target_minor"] == kes["posted_minor"] == round(owed * 0.25)
    assert jobs.provision().body["currencies"]["KES"]["posted_minor"] == 0
    assert ledger.trial_balance(world.store.journal_entries()) == {"KES": 0}


def test_staff_read_the_allowance_and_coverage(world: World, container: FakeContainer, jobs: Jobs) -> None:
    _overdue_loan(world, container, "+254700000072", days=95)
    jobs.provision()
    loans: FlaskClient = http_client(loans_api.create_app(container))
    admin = world.user("+254700000096").model_copy(update={"role": "admin"})
    world.store.col("users")[admin.id] = admin
    reply = loans.get("/v1/ledger/provisions", headers=bearer(admin))
    assert reply.status_code == 200
    kes = reply.get_json()["currencies"][0]
    assert kes["currency"] == "KES" and kes["coverage"] == "1.0000"
    assert kes["allowance_minor"] == kes["gross_receivables_minor"] > 0
    borrower = world.user("+254700000095")
    assert is_problem(loans.get("/v1/ledger/provisions", headers=bearer(borrower)), 403)


def test_the_bureau_job_reports_last_month_into_the_folder(
    world: World, container: FakeContainer, jobs: Jobs, tmp_path: Path
) -> None:
    loan_id = _overdue_loan(world, container, "+254700000073", days=5)
    container.bureau_sink = FolderBureauSink(tmp_path / "bureau")  # type: ignore[assignment]
    first = jobs.bureau()
    assert first.status == 200 and first.body["notices"] == 1 and first.body["withheld"] == 1
    world.now += timedelta(days=31)
    later = jobs.bureau()
    text = Path(later.body["file"]).read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["account_number"] for r in rows] == [loan_id] and rows[0]["status"] == "overdue"
    assert not list((tmp_path / "bureau").glob("*.partial"))
