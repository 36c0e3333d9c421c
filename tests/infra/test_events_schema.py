"""infra/terraform/modules/platform/events_schema.json is generated from shared/mkopo/warehouse_schema.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_events_schema_json_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "infra" / "scripts" / "gen_schema.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
