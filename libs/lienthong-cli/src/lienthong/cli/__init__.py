"""The `lienthong` command-line tool for operators and auditors."""
