"""Write the BigQuery events table schema for Terraform from shared/mkopo/warehouse_schema.py.

    python infra/scripts/gen_schema.py          # (re)write the JSON file
    python infra/scripts/gen_schema.py --check  # exit 1 if the file is stale (CI)

Standard library only: warehouse_schema.py imports nothing but ``typing``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "infra" / "terraform" / "modules" / "platform" / "events_schema.json"


def render() -> str:
    sys.path.insert(0, str(ROOT / "shared"))
    from mkopo import warehouse_schema

    fields = [
        {"name": name, "type": type_, "mode": mode, "description": description}
        for name, type_, mode, description in warehouse_schema.EVENTS_SCHEMA
    ]
    return json.dumps(fields, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="fail if the file differs from warehouse_schema.py"
    )
    args = parser.parse_args(argv)
    wanted = render()
    current = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else None
    if args.check:
        if current != wanted:
            print(f"{SCHEMA_FILE.relative_to(ROOT)} is stale: run python infra/scripts/gen_schema.py")
            return 1
        print(f"{SCHEMA_FILE.relative_to(ROOT)} matches shared/mkopo/warehouse_schema.py")
        return 0
    if current != wanted:
        SCHEMA_FILE.write_text(wanted)
        print(f"wrote {SCHEMA_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
