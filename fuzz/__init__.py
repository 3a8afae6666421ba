"""Fuzzing harnesses over the parsers of untrusted input; `make fuzz` runs each for a bounded time."""
