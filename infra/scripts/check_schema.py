"""A `terraform validate` stand-in that needs no provider binary.

The google provider cannot be downloaded here, but PyPI's cdktf-cdktf-provider-google wheel embeds the
provider's schema: its JSII assembly (``_jsii/provider-google@<v>.jsii.tgz`` -> ``package/.jsii``) has,
for every resource and data source, a ``<Name>Config`` struct whose properties are the arguments and
nested blocks (a property typed by another struct is a block), ``optional`` marks what is not required,
and each property's doc link ends in ``#<terraform_name>``.

This script (run with .venv-hcl2/bin/python):
  1. extracts that schema once into a small JSON cache next to the wheel;
  2. parses every module under infra/terraform with python-hcl2 (tf_parse.py);
  3. reports unknown resource/data types, unknown arguments or blocks at any depth (dynamic blocks
     included), arguments written as blocks, missing required arguments/blocks, module arguments that
     the called module does not declare or required variables it is not given, and references to
     undeclared var./local./module./resources/data sources.

Exit status 1 on any finding. ``--schema-only`` just builds the cache (used by `make infra-install`).
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import re
import sys
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tf_parse import load_module, module_dirs

ROOT = Path(__file__).resolve().parents[2]
WHEEL_VERSION = "16.12.1"
CACHE = ROOT / ".cache" / "infra"
SCHEMA_CACHE = CACHE / f"google-provider-schema-cdktf-{WHEEL_VERSION}.json"

META_ARGUMENTS = {"count", "for_each", "depends_on", "lifecycle", "provider", "provisioner", "connection"}
CLASS_DOC = re.compile(r"docs/(resources|data-sources)/(\w+) (google_\w+)\}")
PROP_DOC = re.compile(r"docs/(?:resources|data-sources)/\w+#(\w+) ")
VERSION_DOC = re.compile(r"hashicorp/google/(\d+\.\d+\.\d+)/docs")


# --- schema -------------------------------------------------------------------------------------------
def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _struct_refs(type_: Any) -> list[str]:
    if isinstance(type_, dict):
        found = [type_["fqn"]] if "fqn" in type_ else []
        for value in type_.values():
            found += _struct_refs(value)
        return found
    if isinstance(type_, list):
        return [ref for item in type_ for ref in _struct_refs(item)]
    return []


def extract_schema(wheel: Path) -> dict[str, Any]:
    """{"version", "resources": {type: fqn}, "data_sources": {type: fqn}, "structs": {fqn: block}}."""
    with zipfile.ZipFile(wheel) as zf:
        member = next(n for n in zf.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(zf.read(member))) as tf:
            extracted = tf.extractfile("package/.jsii")
            assert extracted is not None
            assembly = json.load(extracted)
    types: dict[str, Any] = assembly["types"]
    schema: dict[str, Any] = {"version": None, "resources": {}, "data_sources": {}, "structs": {}}

    def struct(fqn: str) -> None:
        if fqn in schema["structs"]:
            return
        block: dict[str, Any] = {"attributes": {}, "blocks": {}}
        schema["structs"][fqn] = block
        props = list(types[fqn].get("properties", []))
        for parent in types[fqn].get("interfaces", []):  # inherited structs of the same assembly
            props += types.get(parent, {}).get("properties", [])
        for prop in props:
            link = PROP_DOC.search(prop.get("docs", {}).get("remarks", ""))
            name = link.group(1) if link else _snake(prop["name"])
            required = not prop.get("optional", False)
            nested = [r for r in _struct_refs(prop["type"]) if types.get(r, {}).get("datatype")]
            if nested:
                block["blocks"][name] = {"required": required, "struct": nested[0]}
                struct(nested[0])
            else:
                block["attributes"][name] = {"required": required}

    for fqn, t in types.items():
        if t.get("kind") != "class":
            continue
        doc = CLASS_DOC.search(t.get("docs", {}).get("summary", ""))
        config = f"{fqn}Config"
        if not doc or config not in types:
            continue
        version = VERSION_DOC.search(t["docs"]["summary"])
        if version:
            schema["version"] = version.group(1)
        kind = "resources" if doc.group(1) == "resources" else "data_sources"
        schema[kind][doc.group(3)] = config
        struct(config)
    return schema


def find_wheel() -> Path:
    wheels = sorted(CACHE.glob(f"cdktf_cdktf_provider_google-{WHEEL_VERSION}-*.whl"))
    if not wheels:
        sys.exit(
            f"no cdktf-cdktf-provider-google=={WHEEL_VERSION} wheel in {CACHE.relative_to(ROOT)}: "
            "run `make infra-install`"
        )
    return wheels[0]


def load_schema() -> dict[str, Any]:
    if SCHEMA_CACHE.exists():
        return json.loads(SCHEMA_CACHE.read_text())
    started = time.monotonic()
    schema = extract_schema(find_wheel())
    CACHE.mkdir(parents=True, exist_ok=True)
    SCHEMA_CACHE.write_text(json.dumps(schema, separators=(",", ":")))
    print(
        f"extracted google provider {schema['version']} schema: {len(schema['resources'])} resources, "
        f"{len(schema['data_sources'])} data sources ({time.monotonic() - started:.1f}s)"
    )
    return schema


# --- checks -------------------------------------------------------------------------------------------
def _is_block_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and v.get("__is_block__") for v in value)
    )


def _hint(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_body(body: dict[str, Any], schema: dict[str, Any], fqn: str, where: str, top: bool) -> list[str]:
    block = schema["structs"][fqn]
    attrs, blocks = block["attributes"], block["blocks"]
    errors: list[str] = []
    present: set[str] = set()
    for key, value in body.items():
        if key.startswith("__"):
            continue
        if top and key in META_ARGUMENTS:
            continue
        if key == "dynamic":
            for item in value:
                for name, dyn in item.items():
                    if name == "__is_block__":
                        continue
                    present.add(name)
                    if name not in blocks:
                        errors.append(f"{where}: unknown dynamic block {name!r}{_hint(name, list(blocks))}")
                        continue
                    for content in dyn.get("content", []):
                        errors += check_body(
                            content, schema, blocks[name]["struct"], f"{where}.{name}", False
                        )
            continue
        present.add(key)
        if key in attrs:
            if _is_block_list(value):
                errors.append(f"{where}: {key!r} is an argument, written as a block (use `{key} = ...`)")
        elif key in blocks:
            children = value if isinstance(value, list) else [value]
            for child in children:
                if isinstance(child, dict):
                    errors += check_body(child, schema, blocks[key]["struct"], f"{where}.{key}", False)
        else:
            errors.append(f"{where}: unknown argument or block {key!r}{_hint(key, [*attrs, *blocks])}")
    for name, spec in [*attrs.items(), *blocks.items()]:
        if spec["required"] and name not in present:
            kind = "block" if name in blocks else "argument"
            errors.append(f"{where}: missing required {kind} {name!r}")
    return errors


REF = re.compile(r"(?<![\w.\-\"])(var|local|module|data|google_\w+)\.(\w+)(?:\.(\w+))?")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if "${" in value else []
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def check_references(view: dict[str, Any], where: str) -> list[str]:
    declared = {
        "var": set(view["variables"]),
        "local": set(view["locals"]),
        "module": set(view["modules"]),
    }
    errors = []
    everything = [view["locals"], view["outputs"], view["resources"], view["data"], view["modules"]]
    for text in sorted({s for part in everything for s in _strings(part)}):
        for kind, name, attr in REF.findall(text):
            if kind in declared and name not in declared[kind]:
                errors.append(f"{where}: reference to undeclared {kind}.{name}")
            elif kind == "data" and f"{name}.{attr}" not in view["data"]:
                errors.append(f"{where}: reference to undeclared data.{name}.{attr}")
            elif kind.startswith("google_") and f"{kind}.{name}" not in view["resources"]:
                errors.append(f"{where}: reference to undeclared resource {kind}.{name}")
    return errors


def check_module_calls(view: dict[str, Any], directory: Path, where: str) -> list[str]:
    errors = []
    for name, call in view["modules"].items():
        source = call.get("source", "")
        if not source.startswith("."):
            continue
        target = load_module((directory / source).resolve())
        given = {
            k for k in call if not k.startswith("__") and k not in {"source", "version", *META_ARGUMENTS}
        }
        for arg in sorted(given - set(target["variables"])):
            errors.append(f"{where}: module.{name}: {source} declares no variable {arg!r}")
        required = {v for v, spec in target["variables"].items() if "default" not in spec}
        for arg in sorted(required - given):
            errors.append(f"{where}: module.{name}: required variable {arg!r} not given")
    return errors


def check_tree(root: Path, schema: dict[str, Any]) -> tuple[list[str], int]:
    errors: list[str] = []
    checked = 0
    for directory in module_dirs(root):
        rel = directory.relative_to(ROOT) if directory.is_relative_to(ROOT) else directory
        view = load_module(directory)
        for kind, table in (("resources", "resources"), ("data", "data_sources")):
            for address, body in view[kind].items():
                type_, _ = address.split(".", 1)
                where = f"{rel}/{body['__file__']}: {'data.' if kind == 'data' else ''}{address}"
                if type_ not in schema[table]:
                    kind_name = "resource" if kind == "resources" else "data source"
                    errors.append(f"{where}: unknown {kind_name} type{_hint(type_, list(schema[table]))}")
                    continue
                errors += check_body(body, schema, schema[table][type_], where, top=True)
                checked += 1
        errors += check_references(view, str(rel))
        errors += check_module_calls(view, directory, str(rel))
    return errors, checked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check Terraform against the google provider schema.")
    parser.add_argument("root", nargs="?", default=str(ROOT / "infra" / "terraform"))
    parser.add_argument("--schema-only", action="store_true", help="only extract and cache the schema")
    args = parser.parse_args(argv)
    schema = load_schema()
    if args.schema_only:
        return 0
    errors, checked = check_tree(Path(args.root).resolve(), schema)
    for error in errors:
        print(f"ERROR {error}")
    status = "FAILED" if errors else "ok"
    print(
        f"schema check {status}: {checked} resources/data sources against google provider "
        f"{schema['version']}, {len(errors)} errors"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
