"""Tooling the emulators need: the Cloud SDK, bqemulator's DuckDB extension, the events table definition."""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from emulators.stack.ports import StackError
from mkopo import warehouse_schema

if TYPE_CHECKING:
    from google.cloud import bigquery


@functools.cache
def gcloud_sdk_root() -> Path:
    """The Cloud SDK root, as ``gcloud info`` reports it."""
    env = os.environ | {"CLOUDSDK_CORE_CHECK_GCE_METADATA": "false"}
    try:
        out = subprocess.run(
            ["gcloud", "info", "--format=value(installation.sdk_root)"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
            env=env,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise StackError(f"cannot find the Cloud SDK with `gcloud info`: {exc}") from exc
    return Path(out.stdout.strip())


def duckdb_platform() -> str:
    """DuckDB's name for this platform's extension folder, e.g. ``linux_amd64``."""
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "amd64")
    return f"{platform.system().lower()}_{machine}"


def spatial_extension(bq_venv: Path) -> Path:
    """The DuckDB spatial extension shipped by the ``duckdb-extension-spatial`` package in ``bq_venv``."""
    pattern = "lib/python*/site-packages/duckdb_extension_spatial/extensions/v*/spatial.duckdb_extension"
    found = sorted(bq_venv.glob(pattern))
    if not found:
        raise StackError(f"no spatial.duckdb_extension under {bq_venv}: run `make .venv-bq/.installed`")
    return found[-1]


def prepare_bigquery_home(home: Path, bq_venv: Path) -> Path:
    """A HOME for bqemulator whose ``.duckdb/extensions`` links the shipped spatial extension."""
    extension = spatial_extension(bq_venv)
    folder = home / ".duckdb" / "extensions" / extension.parent.name / duckdb_platform()
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / extension.name
    if link.is_symlink() and link.resolve() != extension.resolve():
        link.unlink()
    with contextlib.suppress(FileExistsError):
        link.symlink_to(extension)
    return home


def events_table(table_id: str) -> bigquery.Table:
    """The events table from ``mkopo.warehouse_schema``: DAY partitions on its partition field, clustered."""
    from google.cloud import bigquery

    schema = [
        bigquery.SchemaField(n, t, mode=m, description=d) for n, t, m, d in warehouse_schema.EVENTS_SCHEMA
    ]
    table = bigquery.Table(table_id, schema=schema)
    table.time_partitioning = bigquery.TimePartitioning(
        type_=bigquery.TimePartitioningType.DAY, field=warehouse_schema.PARTITION_FIELD
    )
    table.clustering_fields = list(warehouse_schema.CLUSTER_FIELDS)
    return table


def setting_default(name: str) -> str:
    from mkopo.config import Settings

    return str(Settings.model_fields[name].default)


def ignore_exists(create: Callable[[], object]) -> None:
    from google.api_core.exceptions import AlreadyExists

    with contextlib.suppress(AlreadyExists):
        create()
