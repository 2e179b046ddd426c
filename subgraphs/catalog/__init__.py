"""The catalog subgraph: categories, products, inventory, carts and orders (port 4003)."""
