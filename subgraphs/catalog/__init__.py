"""The catalog subgraph: categories, products, inventory, carts and orders (port 4003).
Owns `Category`, `Product` (`@key(id)`, `@key(sku)`) and `Order`; extends `User` with `cart`
and `orders`; refers to the media subgraph's `Media` by id."""

NAME = "catalog"
