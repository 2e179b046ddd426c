"""The catalog's domain rules and transactions; no GraphQL here."""
