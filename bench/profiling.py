"""Sampling a function's worker with py-spy while load runs, and reading where its handler time goes."""

from __future__ import annotations

import collections
import subprocess
from pathlib import Path

from emulators.stack import REPO_ROOT

PY_SPY = REPO_ROOT / ".venv-bench" / "bin" / "py-spy"


def start(pid: int, out: Path, duration_s: int, rate: int = 200) -> subprocess.Popen[bytes]:
    """py-spy record (wall clock: idle frames kept) of one process in raw collapsed-stack form."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(PY_SPY), "record", "--pid", str(pid), "--duration", str(duration_s), "--rate", str(rate)]
    cmd += ["--format", "raw", "--idle", "--nonblocking", "--output", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _name(frame: str) -> str:
    """``func (path/to/file.py:12)`` → ``func (file.py)`` so that lines of one function add up."""
    func, _, where = frame.partition(" (")
    path = where.split(":", 1)[0]
    parts = Path(path).parts
    short = "/".join(parts[-2:]) if parts else path
    return f"{func} ({short})"


def breakdown(raw: Path, anchor: str, top: int = 18) -> dict[str, object]:
    """Inclusive share of the samples under ``anchor`` (the handler) per function, largest first."""
    totals: collections.Counter[str] = collections.Counter()
    handler = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        frames = stack.split(";")
        idx = next((i for i, f in enumerate(frames) if f.startswith(anchor + " ")), None)
        if idx is None:
            continue
        count = int(count_text)
        handler += count
        for name in {_name(f) for f in frames[idx:]}:
            totals[name] += count
    rows = (
        [{"frame": k, "share": round(v / handler, 3)} for k, v in totals.most_common(top)] if handler else []
    )
    return {"anchor": anchor, "samples": handler, "top": rows}
