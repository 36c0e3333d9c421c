"""Parse Terraform with python-hcl2 into plain JSON, one merged view per module directory.

Runs in the .venv-hcl2 virtual environment (python-hcl2 and checkov both ship a package named ``hcl2``).

    .venv-hcl2/bin/python infra/scripts/tf_parse.py infra/terraform/modules/platform

prints {"dir": ..., "files": [...], "locals": {...}, "variables": {...}, "outputs": {...},
"resources": {"TYPE.NAME": body}, "data": {"TYPE.NAME": body}, "modules": {NAME: body},
"terraform": [...], "providers": [...]}. String values keep HCL expressions as "${...}".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

OPTIONS = SerializationOptions(strip_string_quotes=True)


def strip_markers(value: Any) -> Any:
    """Drop python-hcl2's bookkeeping keys except __is_block__ (it tells a block from an object)."""
    if isinstance(value, dict):
        return {
            k: strip_markers(v) for k, v in value.items() if k == "__is_block__" or not k.startswith("__")
        }
    if isinstance(value, list):
        return [strip_markers(v) for v in value]
    return value


def parse_file(path: Path) -> dict[str, Any]:
    with path.open() as fh:
        return strip_markers(hcl2.load(fh, serialization_options=OPTIONS))


def load_module(directory: Path) -> dict[str, Any]:
    """Every top-level block of the .tf files directly in ``directory``, merged."""
    view: dict[str, Any] = {
        "dir": str(directory),
        "files": [],
        "locals": {},
        "variables": {},
        "outputs": {},
        "resources": {},
        "data": {},
        "modules": {},
        "terraform": [],
        "providers": [],
    }
    for path in sorted(directory.glob("*.tf")):
        view["files"].append(path.name)
        doc = parse_file(path)
        for block in doc.get("locals", []):
            view["locals"].update({k: v for k, v in block.items() if k != "__is_block__"})
        for block in doc.get("variable", []):
            view["variables"].update(block)
        for block in doc.get("output", []):
            view["outputs"].update(block)
        for kind, key in (("resource", "resources"), ("data", "data")):
            for block in doc.get(kind, []):
                for type_, named in block.items():
                    for name, body in named.items():
                        view[key][f"{type_}.{name}"] = body | {"__file__": path.name}
        for block in doc.get("module", []):
            view["modules"].update({k: v | {"__file__": path.name} for k, v in block.items()})
        view["terraform"].extend(doc.get("terraform", []))
        view["providers"].extend(doc.get("provider", []))
    return view


def module_dirs(root: Path) -> list[Path]:
    return sorted({p.parent for p in root.rglob("*.tf") if ".terraform" not in p.parts})


def main(argv: list[str]) -> int:
    dirs = [Path(a) for a in argv] or module_dirs(Path("infra/terraform"))
    views = [load_module(d) for d in dirs]
    json.dump(views[0] if len(views) == 1 else views, sys.stdout, indent=1, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
