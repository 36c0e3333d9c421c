"""Cold start: no function imports a training library (points tables are JSON read into Scorecard) or
Babel (the translations are compiled catalogues read with the standard library's gettext)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRAINING = ("sklearn", "optbinning", "scipy", "pandas", "models.train", "models.fit", "babel")

PROBE = """
import importlib, json, pkgutil, sys
import main  # functions/main.py
import mkopo
from mkopo import bootstrap
for info in pkgutil.walk_packages(mkopo.__path__, "mkopo."):
    importlib.import_module(info.name)
bootstrap.Container().scorecard  # loads the champion's points table
print(json.dumps(sorted(sys.modules)))
"""


def test_no_function_module_imports_a_training_library() -> None:
    env = {"PYTHONPATH": f"{ROOT / 'shared'}:{ROOT / 'functions'}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(out.stdout.splitlines()[-1]))
    assert "mkopo.adapters.points_table" in loaded
    assert not {m for m in loaded if m.split(".")[0] in TRAINING or m in TRAINING}
