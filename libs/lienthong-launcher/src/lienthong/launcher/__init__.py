"""Starts the whole platform as local processes: NATS, the SMTP sink and the five services."""
