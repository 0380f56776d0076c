"""Finding 2: actor names are compared trimmed and case-folded everywhere — ``Alice`` cannot
approve what ``alice`` registered, and ``Bob`` and ``bob`` are one approver, not two."""

from __future__ import annotations

import pytest
from registry_support import train_and_register

import mlops_jupyter as mj
from mlops_jupyter.registry.errors import InvalidStateError


def test_names_compare_case_folded_and_trimmed(mj_store) -> None:  # type: ignore[no-untyped-def]
    train_and_register("m", actor="alice")
    mj.set_policy("m", required_approvals=2, actor="lead")
    mj.request_approval("m", 1, actor="alice")
    for name in ("Alice", " ALICE ", "alice\t"):
        with pytest.raises(mj.SelfApprovalError):
            mj.approve("m", 1, actor=name)
    mj.approve("m", 1, actor="bob")
    with pytest.raises(InvalidStateError, match="already approved"):
        mj.approve("m", 1, actor=" Bob")
    assert mj.get_version("m", 1).status == "pending"
    version = mj.approve("m", 1, actor="carol")
    assert version.status == "approved" and version.approved_by == ["bob", "carol"]
