"""The subgraph template: copy this package to start a subgraph (subgraphs/README.md).

It owns `Thing` (`@key(fields: "id")`): one table, one query, one mutation that emits an
event through the outbox. `mosaic` skips packages whose name starts with `_`, so the template
itself never runs.
"""

from pathlib import Path

NAME = "template"  # the copy's name: its database, version table, port and events
MIGRATIONS = Path(__file__).parent / "migrations"
