"""The service's edges: inbound (what calls it) and outbound (what it calls)."""
