"""An agency's signing policy: set and changed with a reason, each version named for the signatures it allows."""

from __future__ import annotations

import pytest

from lienthong.errors import InvalidArgument
from lienthong.signing.domain.policy import SigningPolicy, id_of_policy

AGENCY = "000.00.12.H41"


def test_each_change_of_a_policy_gives_it_a_new_name() -> None:
    policy = SigningPolicy.make(AGENCY, automatic_seal=True, reason="QĐ 12/QĐ-STTTT")
    assert (policy.id, policy.name, policy.automatic_seal) == (
        id_of_policy(AGENCY),
        f"automatic-seal/{AGENCY}/v1",
        True,
    )
    policy.change(automatic_seal=False, reason="thu hồi ủy quyền")
    assert (policy.name, policy.automatic_seal, policy.reason) == (
        f"automatic-seal/{AGENCY}/v2",
        False,
        "thu hồi ủy quyền",
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_policy_is_not_set_or_changed_without_a_reason(reason: str) -> None:
    with pytest.raises(InvalidArgument, match="reason"):
        SigningPolicy.make(AGENCY, automatic_seal=True, reason=reason)
    policy = SigningPolicy.make(AGENCY, automatic_seal=True, reason="QĐ 12/QĐ-STTTT")
    with pytest.raises(InvalidArgument, match="reason"):
        policy.change(automatic_seal=False, reason=reason)
