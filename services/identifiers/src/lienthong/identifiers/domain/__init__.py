"""The identifiers service's domain: identifier codes, agencies and their reorganisations (pure, no I/O)."""
