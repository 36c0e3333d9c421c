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


BACKOFFICE_PROBE = """
import json, sys
import main
main._built("backoffice_api", "create_app")  # the backoffice function's app, as its first request builds it
from mkopo import bootstrap
bootstrap.container().settings
print(json.dumps(sorted(sys.modules)))
"""


def test_the_backoffice_function_imports_bigquery_only_when_the_dashboard_reads() -> None:
    """The BigQuery client (~0.5 s of imports) is created by the container on the dashboard's first read."""
    env = {"PYTHONPATH": f"{ROOT / 'shared'}:{ROOT / 'functions'}", "PATH": "/usr/bin:/bin"}
    probe = [sys.executable, "-c", BACKOFFICE_PROBE]
    out = subprocess.run(probe, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.splitlines()[-1]))
    assert "mkopo.entrypoints.backoffice_api" in loaded and "mkopo.entrypoints.console.dashboard" in loaded
    assert not {m for m in loaded if m.startswith(("google.cloud.bigquery", "mkopo.adapters.bigquery"))}
