"""Runs one harness under atheris (libFuzzer) for a bounded time: `python -m fuzz.run NAME SECONDS`.

A crash is any exception the harness lets through, or one input taking longer than --timeout seconds;
libFuzzer then saves the input in fuzz/crashes/ and the process exits non-zero."""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
from pathlib import Path

import atheris

from fuzz.targets import HARNESSES

CRASHES = Path(__file__).resolve().parent / "crashes"
MAX_LEN = 64 * 1024  # above every seed (deep_nesting.xml is 23 KB); larger only slows the search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", choices=HARNESSES)
    parser.add_argument("seconds", type=int)
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take before it is a hang")
    args = parser.parse_args()
    # Only lienthong's own code is instrumented: coverage of lxml or protobuf internals would drown it.
    with atheris.instrument_imports(include=["lienthong"]):
        harness = importlib.import_module(f"fuzz.{args.name}")
    CRASHES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{args.name}-") as corpus:
        seed_dir = Path(corpus) / "seeds"
        seed_dir.mkdir()
        for number, seed in enumerate(harness.seeds()):
            (seed_dir / f"seed-{number}").write_bytes(seed)
        options = []
        dictionary = getattr(harness, "dictionary", None)
        if dictionary is not None:
            tokens = Path(corpus) / "tokens.dict"
            tokens.write_text("".join(f'"{_escaped(token)}"\n' for token in dictionary()))
            options.append(f"-dict={tokens}")
        atheris.Setup(
            [
                sys.argv[0],
                *options,
                f"-max_total_time={args.seconds}",
                f"-timeout={args.timeout}",
                f"-max_len={MAX_LEN}",
                f"-artifact_prefix={CRASHES}/{args.name}-",
                "-print_final_stats=1",
                str(seed_dir),
            ],
            harness.check,
        )
        atheris.Fuzz()


def _escaped(token: bytes) -> str:
    """A token as libFuzzer's dictionary format writes it: printable ASCII as is, the rest as \\xNN."""
    return "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\x{b:02x}" for b in token)


if __name__ == "__main__":
    main()
