"""Points tables: ``models/scorecard-<version>.json``, written by ``make train``, read by scoring.

Plain JSON into the domain's ``Scorecard``: no training library is imported at run time (cold start).
The source archive ships the tables next to ``mkopo/`` (``infra/scripts/package.py``); in a checkout they
are in the repository's ``models/`` folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mkopo.domain.scorecard import Scorecard

_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]  # shared/ in a checkout, the archive root deployed


class PointsTableError(ValueError):
    """A missing or malformed points table: scoring must not start with it."""


def models_dir() -> Path:
    """Where the points tables are: beside ``mkopo/`` (deployed) or the repository's ``models/``."""
    for candidate in (_PACKAGE_PARENT / "models", _PACKAGE_PARENT.parent / "models"):
        if candidate.is_dir():
            return candidate
    return _PACKAGE_PARENT.parent / "models"


def table_path(version: str, directory: Path | None = None) -> Path:
    if not _VERSION.match(version):
        raise PointsTableError(f"not a model version: {version!r}")
    return (directory or models_dir()) / f"scorecard-{version}.json"


def parse_points_table(text: str, *, expected_version: str | None = None) -> Scorecard:
    """A points table from its JSON text, checked: known features, bins, the version it claims."""
    try:
        card = Scorecard.model_validate(json.loads(text))
        card.validate_features()
    except ValueError as exc:  # JSONDecodeError and pydantic's ValidationError are ValueErrors
        raise PointsTableError(f"malformed points table: {exc}") from exc
    if expected_version is not None and card.version != expected_version:
        raise PointsTableError(f"the table says version {card.version!r}, expected {expected_version!r}")
    return card


def load_points_table(version: str, directory: Path | None = None) -> Scorecard:
    """The points table of ``version`` (``MKOPO_SCORECARD_VERSION``), or PointsTableError."""
    path = table_path(version, directory)
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise PointsTableError(f"no points table for version {version!r} at {path}") from exc
    return parse_points_table(text, expected_version=version)


def dump_points_table(card: Scorecard) -> str:
    """The JSON a points table is stored as (stable key order, one trailing newline)."""
    return json.dumps(card.model_dump(mode="json"), indent=2) + "\n"


def card_path(version: str, directory: Path | None = None) -> Path:
    return table_path(version, directory).with_suffix(".card.json")


def load_card_distribution(version: str, directory: Path | None = None) -> dict[str, float] | None:
    """The ``score_distribution`` (band label -> share) of a version's model card; None without a card."""
    try:
        card = json.loads(card_path(version, directory).read_text())
    except FileNotFoundError:
        return None
    distribution = card.get("score_distribution") if isinstance(card, dict) else None
    if not isinstance(distribution, dict) or not distribution:
        raise PointsTableError(f"the model card of {version!r} has no score_distribution")
    return {str(label): float(share) for label, share in distribution.items()}
