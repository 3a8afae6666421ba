"""The harnesses `make fuzz` runs, by name: each module has `check(bytes)` and `seeds()`."""

from __future__ import annotations

HARNESSES = ("edxml", "edxml_fields", "identifier_codes", "agency_files", "file_names")
