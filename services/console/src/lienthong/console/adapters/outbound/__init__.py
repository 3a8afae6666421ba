"""Outbound adapters: what the service calls (stores, other services, mail, keys, engines)."""
