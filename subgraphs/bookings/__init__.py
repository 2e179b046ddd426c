"""The bookings subgraph: telehealth professionals, their time slots, and bookings (port 4004).
Owns `Professional`, `Slot` and `Booking` (`@key(fields: "id")`) and extends `User` with
`bookings` and `professionalProfile`."""

from pathlib import Path

NAME = "bookings"
MIGRATIONS = Path(__file__).parent / "migrations"
