"""The bench's USSD phase over the fakes: every scripted screen is the one expected (else the phase would
measure error screens), the per-request figures add up, and a wrong screen counts as an error."""

from __future__ import annotations

from bench import report, ussd

from mkopo.entrypoints.ussd_api import create_app
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, http_client

PHONES = ["+254700000011", "+254700000012"]


def test_the_scripted_sessions_reach_every_expected_screen(world: World) -> None:
    client = http_client(create_app(FakeContainer(world)))
    out = ussd.sessions(client, PHONES, 1)  # type: ignore[arg-type]
    assert out["error_count"] == 0, out["errors"]
    per_phone = len(ussd.REGISTER_AND_BORROW) + len(ussd.RETURNING)
    assert out["n"] == per_phone * len(PHONES) and out["sessions"] == 2 * len(PHONES)
    assert 0 < out["p50"] <= out["p95"] <= out["max"]
    assert len(out["p95_by_screen"]) == per_phone
    assert out["meets_target"] == (out["p95"] < ussd.TARGET_P95_MS)
    assert len(ussd.PIN_SCREENS) == 4  # choose, confirm, accept the offer; log in
    assert 0 < out["p95_pin_screens"] <= out["max"] and 0 < out["p95_other_screens"] <= out["max"]


def test_a_wrong_screen_is_an_error_not_a_latency(world: World) -> None:
    client = http_client(create_app(FakeContainer(world)))
    ussd.sessions(client, PHONES[:1], 1)  # type: ignore[arg-type]
    again = ussd.sessions(client, PHONES[:1], 1)  # type: ignore[arg-type]  # registered: no language screen
    assert again["error_count"] >= 1 and "register[0]" in again["errors"][0]
    assert not again["meets_target"]
    rows = report.table({"ussd_latency_ms": {"target_p95_ms": 500, "1": again}}).splitlines()
    assert any("ussd p50/p95/max @1 phones" in r and "p95 < 500: missed, " in r for r in rows)
