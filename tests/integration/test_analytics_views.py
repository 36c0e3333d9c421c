"""The saved analytics views on the BigQuery emulator: hand-computed numbers for a small known set of events
(with duplicated event ids), and the report against a small seeded simulation."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from analytics import views
from analytics.report import compare_with_seed
from analytics.report_data import collect
from analytics.seed import generate, insert, summary
from analytics.simulate import SeedConfig
from emulators.stack import Stack
from google.cloud import bigquery

from tests.integration.known_events import D1, D2, at, known_events


@pytest.fixture
def known(
    new_dataset: Callable[[], tuple[bigquery.Client, str]], local_stack: Stack
) -> Callable[[str], list]:
    client, dataset = new_dataset()
    assert client.insert_rows_json(f"{local_stack.project}.{dataset}.events", known_events()) == []

    def query(sql: str) -> list[dict[str, Any]]:
        sql = sql.replace("{ds}", f"`{local_stack.project}.{dataset}`")
        return [dict(r) for r in client.query(sql).result()]

    return query


def test_events_dedup_keeps_one_row_per_event_id(known: Callable[[str], list]) -> None:
    assert len(known_events()) == 40
    rows = known("SELECT event_id, exported_at FROM {ds}.events_dedup")
    assert len(rows) == 35
    first = next(r for r in rows if r["event_id"] == "A/checkout_submitted/0")
    assert first["exported_at"] == at(D1, "10:00:01")


def test_funnel_by_day_and_lender(known: Callable[[str], list]) -> None:
    rows = known("SELECT * FROM {ds}.funnel_daily ORDER BY day, lender")
    keys = (
        "applications",
        "submitted",
        "scored",
        "approved",
        "rejected",
        "disbursed",
        "disbursement_failed",
        "repaid",
    )
    got = [(r["day"], r["lender"], *(r[k] for k in keys)) for r in rows]
    assert got == [
        (D1, "L1", 4, 4, 4, 3, 1, 3, 0, 1),
        (D2, "L1", 1, 1, 0, 0, 0, 0, 0, 0),
        (D2, "L2", 3, 3, 3, 3, 0, 2, 1, 0),
    ]


def test_approval_rate_by_day(known: Callable[[str], list]) -> None:
    rows = known("SELECT * FROM {ds}.approval_daily ORDER BY day, lender")
    got = [(r["day"], r["lender"], r["decided"], r["approved"], r["rejected"]) for r in rows]
    assert got == [(D1, "L1", 4, 3, 1), (D2, "L2", 3, 3, 0)]
    assert rows[0]["approval_rate"] == pytest.approx(0.75)
    assert rows[0]["avg_score_approved"] == pytest.approx(660)
    assert rows[0]["avg_score_rejected"] == pytest.approx(560)
    assert rows[1]["approval_rate"] == pytest.approx(1.0)


def test_score_bands(known: Callable[[str], list]) -> None:
    rows = known("SELECT * FROM {ds}.score_bands ORDER BY lender, band_start")
    got = [
        (r["lender"], r["band"], r["scored"], r["approved"], r["rejected"], r["approval_rate"]) for r in rows
    ]
    assert got == [
        ("L1", "550-599", 1, 0, 1, 0.0),
        ("L1", "600-649", 1, 1, 0, 1.0),
        ("L1", "650-699", 1, 1, 0, 1.0),
        ("L1", "700-749", 1, 1, 0, 1.0),
        ("L2", "600-649", 1, 1, 0, 1.0),
        ("L2", "650-699", 1, 1, 0, 1.0),
        ("L2", "700-749", 1, 1, 0, 1.0),
    ]


def test_time_to_decision_and_cash_percentiles(known: Callable[[str], list]) -> None:
    rows = {(r["metric"], r["lender"]): r for r in known("SELECT * FROM {ds}.decision_times")}
    # decision seconds: L1 [4, 6, 12, 23], L2 [5, 7, 9]; cash: L1 [34, 60, 70], L2 [40, 100]
    expected = {
        ("decision", "ALL"): (7, 7.0, 16.4, 23),
        ("decision", "L1"): (4, 9.0, 19.7, 23),
        ("decision", "L2"): (3, 7.0, 8.6, 9),
        ("cash", "ALL"): (5, 60.0, 88.0, 100),
        ("cash", "L2"): (2, 70.0, 94.0, 100),
        ("payout", "ALL"): (5, 37.0, 79.0, 93),  # approved -> cash: [30, 31, 37, 58, 93]
    }
    for key, (n, p50, p90, high) in expected.items():
        row = rows[key]
        assert (row["n"], row["max_seconds"]) == (n, high), key
        assert row["p50_seconds"] == pytest.approx(p50), key
        assert row["p90_seconds"] == pytest.approx(p90), key


def test_portfolio_at_risk_by_currency(known: Callable[[str], list]) -> None:
    rows = {r["currency"]: r for r in known("SELECT * FROM {ds}.portfolio_at_risk")}
    kes, ugx = rows["KES"], rows["UGX"]
    assert (kes["loans_outstanding"], kes["outstanding_minor"], kes["at_risk_30_minor"]) == (
        2,
        62_000,
        23_000,
    )
    assert kes["par30"] == pytest.approx(23_000 / 62_000)
    assert kes["par1"] == pytest.approx(23_000 / 62_000)
    assert (ugx["loans_outstanding"], ugx["outstanding_minor"], ugx["past_due_minor"]) == (2, 104_000, 44_000)
    assert ugx["par1"] == pytest.approx(44_000 / 104_000)
    assert ugx["par30"] == 0
    assert set(rows) == {"KES", "UGX"}


def test_cohort_repayment(known: Callable[[str], list]) -> None:
    rows = known("SELECT * FROM {ds}.cohort_repayment ORDER BY currency")
    march = date(2026, 3, 1)
    keys = (
        "loans_disbursed",
        "disbursed_minor",
        "collected_minor",
        "loans_repaid",
        "loans_repaid_on_time",
        "loans_ever_30_dpd",
        "outstanding_minor",
    )
    got = [(r["cohort_month"], r["currency"], *(r[k] for k in keys)) for r in rows]
    assert got == [
        (march, "KES", 3, 80_000, 26_000, 1, 1, 1, 62_000),
        (march, "UGX", 2, 100_000, 0, 0, 0, 0, 104_000),
    ]
    assert rows[0]["repayment_rate"] == pytest.approx(1 / 3)
    assert rows[0]["collected_per_disbursed"] == pytest.approx(26_000 / 80_000)


def test_report_numbers_match_what_was_seeded(
    new_dataset: Callable[[], tuple[bigquery.Client, str]], local_stack: Stack
) -> None:
    config = SeedConfig(seed=11, applications=300, days=30)
    rows, truth = generate(config)
    client, dataset = new_dataset()
    insert(client, f"{local_stack.project}.{dataset}.events", rows, progress=False)
    data = collect(client, project=local_stack.project, dataset=dataset)

    assert compare_with_seed(data, summary(truth, config)) == []
    assert data.funnel_total() == {k: truth.totals()[k] for k in data.funnel_total()}
    for (month, currency), counts in truth.cohorts.items():
        cohort = data.cohort(month, currency)
        assert cohort is not None
        assert cohort["loans_disbursed"] == counts["loans_disbursed"]
        assert cohort["loans_repaid"] == counts["loans_repaid"]
        assert cohort["loans_repaid_on_time"] == counts["loans_repaid_on_time"]
        assert cohort["collected_minor"] == counts["collected_minor"]
    cash = data.time("cash")
    assert cash is not None
    assert cash["p90_seconds"] == pytest.approx(truth.cash_percentile(0.9))


def test_terraform_creates_every_view_from_its_sql_file() -> None:
    """bigquery.tf renders the same files; the SQL uses no template syntax besides ${project}/${dataset}."""
    tf = (views.SQL_DIR.parents[1] / "infra/terraform/modules/platform/bigquery.tf").read_text()
    single = re.findall(r'templatefile\("\$\{local\.analytics_sql\}/(\w+)\.sql"', tf)
    report = re.search(r"analytics_report_views = toset\(\[(.*?)\]\)", tf, re.DOTALL)
    assert report is not None
    assert single == list(views.MODEL_VIEWS)
    assert re.findall(r'"(\w+)"', report.group(1)) == list(views.REPORT_VIEWS)
    for name in views.VIEWS:
        text = views.sql_path(name).read_text()
        assert set(re.findall(r"\$\{(\w*)\}", text)) <= {"project", "dataset"}, name
        assert "%{" not in text and "$${" not in text, name


def test_model_versions_compare_the_champion_and_a_shadow_challenger(
    new_dataset: Callable[[], tuple[bigquery.Client, str]], local_stack: Stack
) -> None:
    from analytics.rows import RowBuilder
    from analytics.simulate import Simulator

    from mkopo.adapters.points_table import load_points_table

    config = SeedConfig(seed=13, applications=300, days=30, duplicate_rate=0.05)
    apps = Simulator(config, challenger=load_points_table("v2")).run()
    client, dataset = new_dataset()
    insert(client, f"{local_stack.project}.{dataset}.events", RowBuilder(config).rows(apps), progress=False)
    got = {
        r["role"]: r
        for r in client.query(f"SELECT * FROM `{local_stack.project}.{dataset}.model_versions`").result()  # noqa: S608
    }
    scored = [a for a in apps if a.score is not None and a.challenger is not None]
    paid = [a for a in scored if a.loan is not None]
    champion, challenger = got["champion"], got["challenger"]
    assert (champion["model_version"], challenger["model_version"]) == ("launch-v1", "v2")
    assert champion["applications"] == challenger["applications"] == len(scored)
    assert champion["approval_rate"] == pytest.approx(sum(bool(a.approved) for a in scored) / len(scored))
    would = [a for a in scored if a.challenger and a.challenger[1] >= 600]
    assert challenger["approval_rate"] == pytest.approx(len(would) / len(scored))
    assert champion["loans_observed"] == len(paid)
    early_bad = sum(bool(a.loan and a.loan.overdue) for a in paid) / len(paid)
    assert champion["early_bad_rate"] == pytest.approx(early_bad)
    both = [a for a in paid if a in would]
    assert challenger["loans_observed"] == len(both)
