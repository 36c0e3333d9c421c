"""Build the one Cloud Functions source archive: main.py, mkopo/, models/ (the points tables scoring
loads, and their model cards: the score-stability job's expected distributions) and requirements.txt at its
root.

    python infra/scripts/package.py [dist/mkopo-functions.zip]

Deterministic (sorted entries, fixed timestamps and modes), so an unchanged tree gives the same bytes,
the same MD5, the same object name in Terraform and no redeploy.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "dist" / "mkopo-functions.zip"
EPOCH = (1980, 1, 1, 0, 0, 0)
SKIP_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}


def entries() -> list[tuple[str, Path]]:
    files = [("main.py", ROOT / "functions" / "main.py"), ("requirements.txt", ROOT / "requirements.txt")]
    package = ROOT / "shared" / "mkopo"
    for path in sorted(package.rglob("*")):
        if path.is_file() and not SKIP_DIRS & set(path.parts) and path.suffix not in {".pyc", ".pyo"}:
            files.append((f"mkopo/{path.relative_to(package).as_posix()}", path))
    # The points tables scoring loads and their cards (the score-stability job's expected distribution).
    for path in sorted((ROOT / "models").glob("scorecard-*.json")):
        files.append((f"models/{path.name}", path))
    return sorted(files)


def build(out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    items = entries()
    for _, path in items:
        if not path.exists():
            raise SystemExit(f"missing {path.relative_to(ROOT)}")
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, path in items:
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    tmp.replace(out)
    return len(items)


def main(argv: list[str]) -> int:
    out = Path(argv[0]).resolve() if argv else DEFAULT_OUT
    count = build(out)
    shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    print(f"wrote {shown}: {count} files, {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
