"""The reporting service's domain: how events count towards indicators (pure, no I/O)."""
