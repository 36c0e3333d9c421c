"""Score-stability reports on Firestore: ``score_stability/{model_version}``, replaced by each daily run."""

from __future__ import annotations

from google.cloud import firestore

from mkopo.service.score_stability import StabilityReport

COLLECTION = "score_stability"
MAX_VERSIONS = 100  # versions ever monitored; a few in practice (champions past and present, challengers)


class FirestoreStabilityReports:
    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def save_stability(self, report: StabilityReport) -> None:
        self._db.collection(COLLECTION).document(report.model_version).set(report.model_dump(mode="json"))

    def list_stability(self) -> list[StabilityReport]:
        docs = self._db.collection(COLLECTION).limit(MAX_VERSIONS).stream()
        return [StabilityReport.model_validate(doc.to_dict()) for doc in docs]
