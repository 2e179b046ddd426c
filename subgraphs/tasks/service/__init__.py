"""The tasks subgraph's domain rules, units of work and queries (no GraphQL): `projects` and
`tasks` (writes), `access` and `locks` (what a write checks and locks first), `listing`,
`queries` and `stats` (reads), `validation`, and `unit` (the unit of work they share)."""
