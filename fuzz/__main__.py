"""`python -m fuzz [--seconds N] [NAME ...]`: every harness (or those named) for N seconds each; exits 1 and
prints each saved input when one crashed or hung."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from fuzz.run import CRASHES
from fuzz.targets import HARNESSES


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"harnesses to run (default all: {', '.join(HARNESSES)})")
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "30")))
    args = parser.parse_args()
    names = args.names or list(HARNESSES)
    unknown = set(names) - set(HARNESSES)
    if unknown:
        parser.error(f"unknown harnesses {', '.join(sorted(unknown))}; known: {', '.join(HARNESSES)}")
    failed = []
    for name in names:
        before = set(CRASHES.glob("*")) if CRASHES.exists() else set()
        print(f"== fuzzing {name} for {args.seconds} s", flush=True)
        code = subprocess.call([sys.executable, "-m", "fuzz.run", name, str(args.seconds)])
        if code != 0:
            failed.append(name)
            for path in sorted(set(CRASHES.glob("*")) - before):
                print(f"!! {name} failed (exit {code}); input saved in {path}:\n{path.read_bytes()[:2000]!r}")
    if failed:
        print(f"fuzzing found crashes or hangs in: {', '.join(failed)}")
        return 1
    print(f"fuzzing: {len(names)} harnesses, no crash or hang")
    return 0


if __name__ == "__main__":
    sys.exit(main())
