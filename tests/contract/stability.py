"""Contract of the score-stability reports port: one latest report per model version, replaced whole."""

from __future__ import annotations

from datetime import timedelta

from mkopo.service.score_stability import BandRow, StabilityReport, StabilityReports
from tests.contract.data import NOW, new_id


def _report(version: str, psi: float | None, verdict: str) -> StabilityReport:
    return StabilityReport(
        model_version=version,
        role="champion",
        as_of=NOW.date(),
        since=NOW - timedelta(days=7),
        until=NOW,
        scores=0 if psi is None else 120,
        psi=psi,
        verdict=verdict,
        bands=[BandRow(band="< 520", expected=0.25, actual=0.5, count=60)],
        computed_at=NOW,
    )


class StabilityReportsContract:
    def test_a_report_reads_back_and_the_next_run_replaces_it(
        self, stability_reports: StabilityReports
    ) -> None:
        version = new_id("v")
        first = _report(version, 0.3125, "act")
        stability_reports.save_stability(first)
        assert first in stability_reports.list_stability()
        again = _report(version, None, "no scores").model_copy(update={"role": "challenger", "bands": []})
        stability_reports.save_stability(again)
        mine = [r for r in stability_reports.list_stability() if r.model_version == version]
        assert mine == [again]

    def test_each_version_keeps_its_own_report(self, stability_reports: StabilityReports) -> None:
        a, b = new_id("v"), new_id("v")
        stability_reports.save_stability(_report(a, 0.01, "stable"))
        stability_reports.save_stability(_report(b, 0.2, "watch"))
        found = {r.model_version: r.verdict for r in stability_reports.list_stability()}
        assert (found[a], found[b]) == ("stable", "watch")
