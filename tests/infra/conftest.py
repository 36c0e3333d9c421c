"""Terraform is parsed by python-hcl2 in its own virtual environment (.venv-hcl2, `make infra-install`)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "infra" / "terraform"
PLATFORM = TERRAFORM / "modules" / "platform"
HCL2_PYTHON = Path(os.environ.get("MKOPO_HCL2_PYTHON", ROOT / ".venv-hcl2" / "bin" / "python"))


def parse_module(directory: Path) -> dict[str, Any]:
    """The merged JSON view of one Terraform module directory (see infra/scripts/tf_parse.py)."""
    if not HCL2_PYTHON.exists():
        message = f"{HCL2_PYTHON} is missing: run `make infra-install`"
        if os.environ.get("MKOPO_REQUIRE_INFRA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    out = subprocess.run(
        [str(HCL2_PYTHON), str(ROOT / "infra" / "scripts" / "tf_parse.py"), str(directory)],
        check=True,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="session")
def platform() -> dict[str, Any]:
    return parse_module(PLATFORM)


@pytest.fixture(scope="session")
def environments() -> dict[str, dict[str, Any]]:
    return {env: parse_module(TERRAFORM / "environments" / env) for env in ("dev", "prod")}
