"""Metering for make cost: off by default, counts and flushes when on; SMS segments as carriers count them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mkopo import metering


@pytest.fixture
def meter_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MKOPO_METER_DIR", str(tmp_path))
    monkeypatch.setattr(metering, "_counts", metering.Counter())
    return tmp_path


def test_off_counts_nothing_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MKOPO_METER_DIR", raising=False)
    monkeypatch.setattr(metering, "_counts", metering.Counter())
    metering.count(metering.FS_WRITES, 3)
    metering.invoked()
    assert metering._counts == {}
    assert list(tmp_path.iterdir()) == []


def test_invocation_flushes_running_totals(meter_dir: Path) -> None:
    metering.count(metering.FS_WRITES, 2)
    metering.invoked()
    metering.count(metering.FS_WRITES)
    metering.invoked()
    totals = json.loads((meter_dir / f"{os.getpid()}.json").read_text())
    assert totals == {metering.FS_WRITES: 3, metering.INVOCATIONS: 2}


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),  # split: 153 septets a segment
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("é" * 160, 1),  # é is in the GSM-7 table
        ("{" * 80, 1),  # extension characters take two septets
        ("{" * 81, 2),
        ("Pâques", 1),  # â is not GSM-7: UCS-2, 70 a segment
        ("â" + "a" * 70, 2),
    ],
)
def test_sms_segments(text: str, segments: int) -> None:
    assert metering.sms_segments(text) == segments


def test_pubsub_and_bigquery_minimum_sizes() -> None:
    assert metering.pubsub_bytes(10) == 1000
    assert metering.pubsub_bytes(4096) == 4096
    assert metering.bigquery_row_bytes({"a": 1}) == 1024
    assert metering.bigquery_row_bytes({"a": "x" * 2000}) > 2000
