"""Read models of the identifiers service."""
