"""The documents service's domain: official documents, their types, numbering and statuses (pure, no I/O)."""
