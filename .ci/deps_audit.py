"""pip-audit over the lock file: fail on any known vulnerability; say loudly what could not be audited.

pip-audit asks a vulnerability service (PyPI's JSON API by default) about every pinned package. Where that
service cannot be reached or does not answer for a package (some mirrors serve the package index but not
the per-version JSON API), pip-audit skips the package; this script counts the skips and prints them, and
with `LIENTHONG_DEPS_AUDIT_STRICT=1` a skipped package fails the run too.

Usage: python .ci/deps_audit.py <requirements file exported from uv.lock>
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def main(requirements: Path) -> int:
    audit = Path(sys.executable).with_name("pip-audit")
    ran = subprocess.run(
        [
            str(audit),
            "-r",
            str(requirements),
            "--require-hashes",
            "--disable-pip",
            "-f",
            "json",
            "--progress-spinner",
            "off",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(ran.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit failed (exit {ran.returncode}):\n{ran.stderr}", file=sys.stderr)
        return 1
    dependencies = report["dependencies"]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixes})")
    audited = len(dependencies) - len(skipped)
    print(f"pip-audit: {audited} of {len(dependencies)} pinned packages audited, {len(vulnerable)} vulnerable")
    if skipped:
        print(
            f"WARNING: {len(skipped)} packages could not be audited (the vulnerability service did not answer "
            f"for them), e.g. {skipped[0]['skip_reason']}",
            file=sys.stderr,
        )
    strict = os.environ.get("LIENTHONG_DEPS_AUDIT_STRICT") == "1"
    return 1 if vulnerable or (strict and skipped) else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
