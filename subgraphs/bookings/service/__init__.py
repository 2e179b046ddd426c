"""Domain rules and transactions of bookings (no GraphQL): professionals, slots, bookings."""
