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

DASHBOARD_WITH_SHOP = """
query ShopDashboard($first: Int!) {
  me {
    id
    name
    taskStats { total completed overdue }
    projects { id name stats { total completed } }
    cart {
      itemCount
      subtotal { amount currency }
      items { quantity lineTotal { amount currency } product { id name inStock } }
    }
    orders(first: $first) {
      edges { node { id number status total { amount currency } items { quantity } } }
    }
  }
}
"""

PRODUCT_LISTING = """
query ProductListing($first: Int!) {
  products(first: $first) {
    edges {
      node {
        id sku name
        price { amount currency }
        stock inStock
        category { id name parent { id name } }
      }
    }
    pageInfo { hasNextPage endCursor }
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
        name="dashboard with shop",
        needs=("users", "tasks", "catalog"),
        operation_name="ShopDashboard",
        query=DASHBOARD_WITH_SHOP,
        variables={"first": 10},
        as_user="alice@mosaic.dev",
        grows=("first", 1, 10),
    ),
    Scenario(
        name="product listing",
        needs=("catalog",),
        operation_name="ProductListing",
        query=PRODUCT_LISTING,
        variables={"first": 20},
        as_user="alice@mosaic.dev",
        grows=("first", 1, 20),
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
# Checkout: each iteration adds one unit to the cart, then checks out. Every virtual user signs
# in as its own freshly registered user (a shared cart would empty under concurrent checkouts);
# the harness first gives the product enough stock. Answers differ (new orders): only status and
# errors are checked.
ADD_TO_CART = (
    "mutation AddToCart($productId: ID!) { addToCart(productId: $productId, quantity: 1)"
    " { itemCount subtotal { amount currency } } }"
)
CHECKOUT = (
    "mutation Checkout { checkout { id number status total { amount currency }"
    " items { quantity } } }"
)
CHECKOUT_NEEDS = ("users", "catalog")

PENDING: tuple[tuple[str, tuple[str, ...]], ...] = ()
