"""The domain benchmark's traffic: operations on Mosaic's own supergraph.

A scenario runs only when every subgraph it needs exists (mosaic.subgraphs.discover()).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Scenario:
    name: str
    needs: tuple[str, ...]  # subgraphs
    operation_name: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    as_user: str | None = None  # demo user (subgraphs/common/demo.py) to sign in as
    read_only: bool = True  # every answer must equal the first one
    # N+1 check: (variable, small, large); SQL statements per request must not grow with it.
    grows: tuple[str, int, int] | None = None


DASHBOARD = """
query Dashboard($first: Int!) {
  me {
    id
    name
    taskStats { total completed overdue completionRate }
    assignedTasks(first: $first) {
      edges {
        node {
          id title status priority dueDate overdue
          project { id name }
          creator { id name }
        }
      }
    }
    projects {
      id name status
      owner { id name }
      members { id name }
      stats { total completed }
      tasks(first: $first) { edges { node { id title status assignee { id name } } } }
    }
  }
}
"""

SCENARIOS = (
    Scenario(
        name="dashboard",
        needs=("users", "tasks"),
        operation_name="Dashboard",
        query=DASHBOARD,
        variables={"first": 10},
        as_user="alice@mosaic.dev",
        grows=("first", 1, 10),
    ),
    Scenario(
        name="users page",
        needs=("users",),
        operation_name="UsersPage",
        query=(
            "query UsersPage($first: Int!) { users(first: $first) {"
            " edges { node { id name roles createdAt } } pageInfo { hasNextPage endCursor } } }"
        ),
        variables={"first": 20},
        as_user="admin@mosaic.dev",
        grows=("first", 1, 4),
    ),
    Scenario(
        name="me",
        needs=("users",),
        operation_name="Me",
        query=(
            "query Me { me { id name email roles"
            " preferences { channels { email push inApp } optOuts } } }"
        ),
        as_user="alice@mosaic.dev",
    ),
)

# Traffic the issue asks for that waits on subgraphs not built yet; listed in the results.
PENDING = (
    ("dashboard with the user's orders (adds catalog)", ("users", "tasks", "catalog")),
    ("product listing (catalog, with stock)", ("catalog",)),
    ("checkout (cart to order, a mutation)", ("users", "catalog")),
)  # fmt: skip
