"""Read models of the documents service."""
