"""edXML in-process: build, seal (XMLDSig and XAdES-BES), verify and parse an envelope carrying no file,
a 1 MB and a 10 MB file. The time an import or export spends beside its gRPC and database work.

`python bench/edxml.py`; figures go to bench/results.json under "edxml" (milliseconds, median of runs).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from bench_results import record

from lienthong.documents.adapters.inbound.edxml.builder import envelope_xml
from lienthong.documents.adapters.inbound.edxml.model import Attachment, Envelope, Organ, TraceHeader
from lienthong.documents.adapters.inbound.edxml.parser import parse_message
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore
from lienthong.signing.adapters.outbound.xmldsig import sign_xml, verify_xml

SENDER = "000.00.12.H41"
RUNS = 5


def median_ms(action: Callable[[], object]) -> float:
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(timings), 2)


def envelope(file_bytes: int) -> Envelope:
    files = (Attachment("content", "vb.pdf", "application/pdf", "Văn bản chính", os.urandom(file_bytes)),)
    return Envelope(
        sender=Organ(SENDER, "Sở Thông tin và Truyền thông"),
        recipients=(Organ("000.00.00.H41", "Ủy ban nhân dân tỉnh"),),
        number="05",
        notation="BC-STTTT",
        promulgation_date=date(2026, 11, 24),
        doc_type=DocumentType.BAO_CAO,
        subject="Báo cáo tình hình ứng dụng công nghệ thông tin quý IV",
        traces=(TraceHeader(SENDER, datetime(2026, 11, 24, 2, tzinfo=UTC)),),
        attachments=files if file_bytes else (),
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        keys = EncryptedFileKeyStore(Path(directory) / "keys", b"bench")
        ca = DevCertificateAuthority(Path(directory) / "ca", keys)
        issued = ca.issue_seal(SENDER, "Sở Thông tin và Truyền thông")
        signer = keys.signer(issued.serial, issued.certificate, ca.chain)
        figures: dict[str, dict[str, float]] = {}
        for label, size in (("no file", 0), ("1 MB file", 1_000_000), ("10 MB file", 10_000_000)):
            message = envelope(size)
            xml = envelope_xml(message)
            signed, _ = sign_xml(xml, signer=signer, certificate=issued.certificate, chain=ca.chain)
            figures[label] = {
                "envelope_bytes": len(signed),
                "build_ms": median_ms(lambda m=message: envelope_xml(m)),  # type: ignore[misc]
                "seal_xmldsig_ms": median_ms(
                    lambda x=xml: sign_xml(x, signer=signer, certificate=issued.certificate, chain=ca.chain)  # type: ignore[misc]
                ),
                "seal_xades_ms": median_ms(
                    lambda x=xml: sign_xml(x, signer=signer, certificate=issued.certificate, chain=ca.chain, xades=True)  # type: ignore[misc]
                ),
                "verify_ms": median_ms(lambda s=signed: verify_xml(s, trust_roots=[ca.root])),  # type: ignore[misc]
                "parse_ms": median_ms(lambda s=signed: parse_message(s)),  # type: ignore[misc]
            }
    record("edxml", figures)
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
