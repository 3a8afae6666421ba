"""Read models of the reporting service."""
