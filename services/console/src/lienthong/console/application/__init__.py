"""The use cases: the eventsourcing Application and the services built on it."""
