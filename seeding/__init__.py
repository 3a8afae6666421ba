"""A year of a province's events written into the services' real event stores, for the reporting checks and
benchmark (issue #8): `province_year` writes them, `event_log_counts` counts the indicators from them in SQL,
`pipeline` runs them through the relays and reporting's consumers."""
