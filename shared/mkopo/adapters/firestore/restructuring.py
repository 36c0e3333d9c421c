"""Restructure proposals on Firestore: one document per proposal, found by loan (one equality filter)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from google.cloud import firestore

from mkopo.adapters.firestore.common import PROPOSALS, StorePart, TxPart, valid_id

if TYPE_CHECKING:
    from mkopo.domain.restructuring import RestructureProposal


def _doc(proposal: RestructureProposal) -> dict[str, Any]:
    return proposal.model_dump(mode="json") | {"proposed_at": proposal.proposed_at}


def _proposal(doc: Any) -> RestructureProposal:
    from mkopo.domain.restructuring import RestructureProposal

    return RestructureProposal.model_validate(doc)


class ProposalsTx(TxPart):
    def get_proposal(self, proposal_id: str) -> RestructureProposal | None:
        doc = self._get(PROPOSALS, proposal_id)
        return _proposal(doc) if doc else None

    def create_proposal(self, proposal: RestructureProposal) -> None:
        self._tx.create(self._db.collection(PROPOSALS).document(proposal.id), _doc(proposal))

    def save_proposal(self, proposal: RestructureProposal) -> None:
        self._tx.set(self._db.collection(PROPOSALS).document(proposal.id), _doc(proposal))


class ProposalsStore(StorePart):
    def get_proposal(self, proposal_id: str) -> RestructureProposal | None:
        doc = self._get(PROPOSALS, proposal_id) if valid_id(proposal_id) else None
        return _proposal(doc) if doc else None

    def list_proposals(self, loan_id: str, limit: int) -> list[RestructureProposal]:
        """Sorted here: a loan has a handful of proposals, and no composite index is needed."""
        query = self._db.collection(PROPOSALS).where(filter=firestore.FieldFilter("loan_id", "==", loan_id))
        found = [_proposal(s.to_dict()) for s in query.limit(200).stream()]
        return sorted(found, key=lambda p: p.proposed_at, reverse=True)[:limit]
