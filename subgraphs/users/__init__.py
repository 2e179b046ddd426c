"""The users subgraph: accounts, sign-in (JWT access + rotating refresh tokens), roles,
profile and notification preferences. Owns the `User` entity (`@key(fields: "id")`)."""

NAME = "users"
