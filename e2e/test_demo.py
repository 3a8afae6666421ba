"""`make run`'s demo seed: the province imported and one report exchanged, each step acting for its agency."""

from __future__ import annotations

import grpc

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.launcher.demo import RECIPIENT, SENDER, seed_demo
from lienthong.launcher.platform import Platform


def test_the_demo_seeds_once_with_each_agency_acting_for_itself_and_the_seal_signing_by_policy(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    first = seed_demo(platform.callers)
    again = seed_demo(platform.callers)
    assert (first.seeded, again.seeded, again.outgoing_id) == (True, False, first.outgoing_id)

    documents = documents_pb2_grpc.DocumentsServiceStub(channels["documents"])
    history = documents.GetHistory(
        docs.GetHistoryRequest(document_id=first.outgoing_id), metadata=(("x-lienthong-actor", f"clerk@{SENDER}"),)
    ).events
    actors = {(e.event, e.actor) for e in history}
    assert ("Approved", f"leader@{SENDER}") in actors
    assert ("Accepted", f"clerk@{RECIPIENT}") in actors
    # The department's policy lets its seal sign at registration: the clerk registering had it sealed.
    signed = [(e.actor, e.data["policy"]) for e in history if e.event == "Signed"]
    assert signed == [(f"clerk@{SENDER}", f"automatic-seal/{SENDER}/v1")]
