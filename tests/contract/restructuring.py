"""Contract of the Proposals port: a proposal reads back as saved, a create never overwrites, a loan's
proposals come newest first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mkopo.domain.allocation import Portion
from mkopo.domain.restructuring import ProposalStatus, RestructureProposal, RestructureTerms, new_installments
from mkopo.service.store import Conflict, Store
from tests.contract.data import NOW, at, new_id


def proposal(loan_id: str, seconds: float = 0) -> RestructureProposal:
    terms = RestructureTerms(
        installments=2, period_days=30, first_due_date=(NOW + timedelta(days=5)).date(), reason="job loss"
    )
    owed = Portion(interest=1_000, fees=500, principal=20_000)
    return RestructureProposal(
        id=new_id("prop"),
        loan_id=loan_id,
        borrower_id=new_id("user"),
        currency="KES",
        terms=terms,
        installments=new_installments(owed, terms, first_number=1, unit=100),
        waived=Portion(),
        basis_outstanding_minor=owed.total,
        basis_paid_minor=0,
        code="042042",
        proposed_by=new_id("officer"),
        proposed_at=at(seconds),
        expires_at=at(seconds) + timedelta(days=7),
    )


class ProposalsContract:
    def test_a_proposal_reads_back_and_a_decision_is_saved(self, store: Store) -> None:
        p = proposal(new_id("loan"))
        assert store.get_proposal(p.id) is None
        store.transaction(lambda tx: tx.create_proposal(p))
        assert store.get_proposal(p.id) == p
        p.approve(new_id("officer"), "officer", "fine", at(5))
        store.transaction(lambda tx: tx.save_proposal(p))
        read = store.transaction(lambda tx: tx.get_proposal(p.id))
        assert read == p and read is not None and read.status == ProposalStatus.APPROVED
        assert store.get_proposal("a/b") is None

    def test_creating_an_existing_proposal_conflicts(self, store: Store) -> None:
        p = proposal(new_id("loan"))
        store.transaction(lambda tx: tx.create_proposal(p))
        with pytest.raises(Conflict):
            store.transaction(lambda tx: tx.create_proposal(p))

    def test_a_loans_proposals_newest_first_and_only_its_own(self, store: Store) -> None:
        loan_id = new_id("loan")
        ps = [proposal(loan_id, s) for s in (10, 0, 20)]
        other = proposal(new_id("loan"), 30)
        for p in (*ps, other):
            store.transaction(lambda tx, p=p: tx.create_proposal(p))
        assert [p.id for p in store.list_proposals(loan_id, 10)] == [ps[2].id, ps[0].id, ps[1].id]
        assert [p.id for p in store.list_proposals(loan_id, 1)] == [ps[2].id]
