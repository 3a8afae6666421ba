"""Benchmark of the web console: each page loaded 100 times (by default) over HTTP as a signed-in person,
against the platform started here with its console (SQLite and an embedded NATS, or LIENTHONG_BENCH_DATABASE_URL
/ LIENTHONG_BENCH_NATS_URL), seeded with the demo province and its exchanged report, and a search corpus of
`--documents` documents (100,000 by default) bulk-inserted into the documents service's registers the way
bench/documents.py seeds them (the rows its projection writes; no event stored for them).

The search pages are loaded as the corpus recipient's auditor, over the corpus; the pages of one document
(timeline, state, signatures, access log) over the demo's exchanged report, which has events; audit verify
re-computes the stores' chains, which hold the demo's events only.

Figures: p50 and p95 of each page, in milliseconds, under "console" in bench/results.json.
`python bench/console.py [--loads N] [--documents N]`.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import replace
from pathlib import Path

from bench_results import percentile, record
from documents import CORPUS_RECIPIENT, register_agencies, seed

from lienthong.launcher.demo import RECIPIENT, SENDER, seed_demo
from lienthong.launcher.platform import Platform
from lienthong.launcher.ports import free_port
from lienthong.launcher.testing import fresh_database, isolated_platform_config


def pages(outgoing: str, corpus_code: str) -> dict[str, tuple[str, str]]:
    """page name → (who loads it, path)."""
    auditor, operator = f"auditor@{RECIPIENT}", f"operator@{SENDER}"
    corpus = f"auditor@{CORPUS_RECIPIENT}"
    return {
        "search": (corpus, "/search?q=bao+cao+ket+qua"),
        "search_code": (corpus, "/search?code=" + urllib.parse.quote(corpus_code)),
        "search_status": (corpus, "/search?q=ke+hoach&status=STATUS_CODE_ACCEPTED&from=2026-01-01"),
        "search_demo": (auditor, "/search?q=ung+dung+cong+nghe"),
        "timeline": (auditor, f"/documents/{outgoing}"),
        "state": (auditor, f"/documents/{outgoing}/state?at=2099-01-01T00:00"),
        "signatures": (auditor, f"/documents/{outgoing}/signatures"),
        "access": (auditor, f"/documents/{outgoing}/access"),
        "audit_verify": (auditor, "/audit/verify"),
        "health": (operator, "/operations/health"),
        "pipeline": (operator, "/operations/pipeline"),
        "dead_letters": (operator, "/operations/dead-letters?service=reporting"),
        "certificates": (operator, f"/operations/certificates?agency={RECIPIENT}"),
        "registry": (operator, f"/operations/agencies?parent={RECIPIENT}"),
        "agency": (operator, f"/operations/agencies/{SENDER}"),
        "mail": (operator, f"/operations/mail?agency={SENDER}"),
        "statistics": (operator, f"/statistics?scope={RECIPIENT}&from=2026-01-01&to=2026-12-31"),
    }


def signed_in(base: str, principal: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    role, _, agency = principal.partition("@")
    form = urllib.parse.urlencode({"role": role, "agency": agency}).encode()
    with opener.open(f"{base}/sign-in", data=form, timeout=30) as answer:
        answer.read()
    return opener


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=100)
    parser.add_argument("--documents", type=int, default=100_000, help="documents in the search corpus")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lienthong-bench-console-") as folder:
        data_dir = Path(folder)
        base_url = os.environ.get("LIENTHONG_BENCH_DATABASE_URL") or None
        with fresh_database(data_dir / "unused.db", base_url) as database_url:
            nats_url = os.environ.get("LIENTHONG_BENCH_NATS_URL") or None
            config = replace(isolated_platform_config(data_dir, nats_url, database_url), console_port=free_port())
            platform = Platform(config)
            try:
                platform.start()
                demo = seed_demo(platform.callers)
                register_agencies(platform.callers, [])
                documents_url = config.database_url or f"sqlite:///{data_dir / 'documents.db'}"
                seconds, codes = seed(documents_url, args.documents)
                print(f"search corpus: {args.documents:,} documents in {seconds:.1f} s", flush=True)
                base = f"http://127.0.0.1:{config.console_port}"
                shown = pages(demo.outgoing_id, codes[len(codes) // 2])
                openers = {p: signed_in(base, p) for p, _ in shown.values()}
                figures: dict[str, dict[str, float]] = {}
                for name, (principal, path) in shown.items():
                    times = []
                    for _ in range(args.loads):
                        started = time.perf_counter()
                        with openers[principal].open(base + path, timeout=120) as answer:
                            body = answer.read()
                            if answer.status != 200:
                                sys.exit(f"{name}: HTTP {answer.status}")
                        if name.startswith("search") and b'id="hits"' not in body:
                            sys.exit(f"{name}: no document found, the page measured would be an empty one")
                        times.append((time.perf_counter() - started) * 1000)
                    figures[name] = {
                        "p50_ms": round(percentile(times, 0.5), 1),
                        "p95_ms": round(percentile(times, 0.95), 1),
                        "loads": args.loads,
                    }
                    print(f"{name:13} p50 {figures[name]['p50_ms']:7.1f} ms  p95 {figures[name]['p95_ms']:7.1f} ms")
            finally:
                platform.stop()
    mode = "postgresql" if os.environ.get("LIENTHONG_BENCH_DATABASE_URL") else "sqlite"
    corpus = f"demo province, 1 exchanged report; {args.documents:,} documents in the registers searched"
    record("console", {"database": mode, "corpus": corpus, "pages": figures})


if __name__ == "__main__":
    main()
