"""The tasks subgraph: projects with members, tasks with optimistic concurrency, statistics.
Owns `Project` and `Task` (`@key(fields: "id")`) and extends `User` with projects, assigned
tasks and task statistics."""

from pathlib import Path

NAME = "tasks"
MIGRATIONS = Path(__file__).parent / "migrations"
