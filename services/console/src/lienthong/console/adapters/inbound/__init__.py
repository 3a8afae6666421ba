"""Inbound adapters: what calls the service (gRPC servicers, listeners, pages, configuration)."""
