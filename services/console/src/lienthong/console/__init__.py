"""The lienthong web console: pages for auditors and the ICT department, acting as the person signed in."""
