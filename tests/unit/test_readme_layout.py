"""The README's layout table names every module of the shared package, so a newcomer finds each one."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_shared_module_is_in_the_readme_layout_table() -> None:
    readme = ROOT.joinpath("README.md").read_text()
    table = readme[readme.index("Code layout") : readme.index("### Delivery guarantees")]
    package = ROOT / "shared" / "mkopo"
    modules = {p.stem for p in package.rglob("*.py") if p.stem != "__init__"}
    packages = {p.name for p in package.rglob("*") if p.is_dir() and (p / "__init__.py").exists()}
    missing = sorted(name for name in modules | packages if not re.search(rf"\b{name}\b", table))
    assert not missing, f"modules not named in README's layout table: {missing}"
