"""`make run`'s demo seed: the province imported and one report exchanged, each step acting for its agency."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.launcher.demo import RECIPIENT, SENDER, seed_demo
from lienthong.launcher.platform import Platform
from lienthong.launcher.testing import wait_for


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


def test_independent_validators_agree_offline_on_the_demo_documents_seal(
    platform: Platform, channels: dict[str, grpc.Channel], tmp_path: Path
) -> None:
    """poppler's pdfsig (the dev root in an NSS database) and pyHanko's plain `sign validate` (the dev root as
    its only trust) both pass the demo document's sealed PDF, with nothing to fetch: the B-LT seal and its
    timestamp carry what they need, and no certificate points at a CRL nobody can reach."""
    for tool in ("pdfsig", "certutil"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: run `make setup` (Debian packages poppler-utils, libnss3-tools)")
    demo = seed_demo(platform.callers)
    documents = documents_pb2_grpc.DocumentsServiceStub(channels["documents"])
    clerk = (("x-lienthong-actor", f"clerk@{SENDER}"),)

    def long_term() -> bool:
        # Sealed at B-T at registration, the seal becomes B-LT in a step of its own right after.
        events = documents.GetHistory(docs.GetHistoryRequest(document_id=demo.outgoing_id), metadata=clerk).events
        return any(e.event == "LongTermValidated" for e in events)

    wait_for(long_term, timeout=60, what="the demo document's seal to be made long-term (B-LT)")
    pdf = documents.GetContent(
        docs.GetContentRequest(document_id=demo.outgoing_id), metadata=(("x-lienthong-actor", f"clerk@{SENDER}"),)
    ).content_pdf
    sealed, root, nss = tmp_path / "demo.pdf", tmp_path / "root.pem", tmp_path / "nss"
    sealed.write_bytes(pdf)
    shutil.copyfile(platform.config.data_dir / "signing" / "ca" / "root.pem", root)
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{nss}", "-n", "lienthong development root", "-t", "CT,C,C", "-i", str(root)],
        check=True,
        capture_output=True,
    )

    pdfsig = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(sealed)], capture_output=True, text=True)
    assert pdfsig.returncode == 0, pdfsig.stderr
    assert "Signature is Valid" in pdfsig.stdout, pdfsig.stdout
    assert "Certificate is Trusted" in pdfsig.stdout, pdfsig.stdout

    validate = ["sign", "validate", "--trust-replace", "--trust", str(root), str(sealed)]
    pyhanko = subprocess.run(
        [str(Path(sys.executable).with_name("pyhanko")), *validate],
        capture_output=True,
        text=True,
    )
    assert pyhanko.returncode == 0, pyhanko.stdout + pyhanko.stderr
    assert ":INTACT:TRUSTED," in pyhanko.stdout, pyhanko.stdout
    assert "TIMESTAMP_TOKEN<INTACT:TRUSTED>" in pyhanko.stdout, pyhanko.stdout
