"""The reporting rules that need no database or network: which day an event counts on."""
