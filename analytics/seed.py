"""`make seed`: a realistic, deterministic month of lending into the local stack's events table.

    python -m analytics.seed [--offset 0] [--seed 7] [--applications 3000] [--days 30] [--start 2026-09-16]

By default it targets the `make dev` stack (offset 0); if no BigQuery emulator answers there it starts
the emulators itself (and leaves them running for `make report`). Then it (re)creates the views.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from analytics import views
from analytics.local import connect
from analytics.rows import Row, RowBuilder
from analytics.simulate import SeedConfig, Simulator
from analytics.truth import Truth, summarise

if TYPE_CHECKING:
    from google.cloud import bigquery

OUT_DIR = Path(__file__).resolve().parent / "out"
BATCH = 500


def generate(config: SeedConfig) -> tuple[list[Row], Truth]:
    """The rows to insert and what they add up to."""
    apps = Simulator(config).run()
    return RowBuilder(config).rows(apps), summarise(apps)


def insert(client: bigquery.Client, table_id: str, rows: Sequence[Row], *, progress: bool = True) -> None:
    """insertAll in batches, with a progress bar."""
    with tqdm(total=len(rows), unit="event", desc="seeding", disable=not progress) as bar:
        for start in range(0, len(rows), BATCH):
            batch = list(rows[start : start + BATCH])
            errors = client.insert_rows_json(table_id, batch)
            if errors:
                raise RuntimeError(f"insert into {table_id} failed: {errors[:3]}")
            bar.update(len(batch))


def summary(truth: Truth, config: SeedConfig) -> dict[str, Any]:
    """The seeded totals as JSON (written next to the report, compared by it)."""
    return {
        "seed": config.seed,
        "start": config.start.isoformat(),
        "as_of": config.as_of.isoformat(),
        "funnel": dict(truth.totals()),
        "par30": {c: round(truth.par30(c), 6) for c in sorted(truth.outstanding_minor)},
        "outstanding_minor": dict(sorted(truth.outstanding_minor.items())),
        "time_to_cash_p50_seconds": round(truth.cash_percentile(0.5), 3),
        "time_to_cash_p90_seconds": round(truth.cash_percentile(0.9), 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = SeedConfig()
    parser.add_argument("--offset", type=int, default=0, help="port offset of the stack (0 = make dev)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--applications", type=int, default=defaults.applications)
    parser.add_argument("--days", type=int, default=defaults.days)
    parser.add_argument("--start", type=date.fromisoformat, default=defaults.start)
    args = parser.parse_args(argv)
    config = SeedConfig(seed=args.seed, start=args.start, days=args.days, applications=args.applications)

    target = connect(args.offset, start=True)
    rows, truth = generate(config)
    print(
        f"{config.applications} applications from {config.start} over {config.days} days, followed until "
        f"{config.as_of:%Y-%m-%d}: {len(rows)} events (incl. re-exported duplicates) -> {target.events_table}"
    )
    client = target.client()
    try:
        insert(client, target.events_table, rows)
        created = views.create_views(client, project=target.project, dataset=target.dataset)
    finally:
        client.close()
    print(f"views in {target.project}.{target.dataset}: {', '.join(created)}")
    seeded = summary(truth, config)
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / f"seeded-{args.offset}.json").write_text(json.dumps(seeded, indent=2) + "\n")
    print(json.dumps(seeded, indent=2))
    if target.started:
        print(
            f"The emulators keep running: `python -m emulators.dev down --offset {args.offset}` stops them."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
