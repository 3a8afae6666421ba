"""Fixtures shared by every test: real NATS and real databases (see lienthong.launcher.testing)."""

pytest_plugins = ["lienthong.launcher.testing"]
