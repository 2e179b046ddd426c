"""The notifications subgraph: what users are told about events elsewhere (port 4007).
Owns `Notification` and `Template` (`@key(fields: "id")`); its worker (`worker.py`) turns
domain events into stored notifications, live messages and email/webhook deliveries."""

from pathlib import Path

NAME = "notifications"
MIGRATIONS = Path(__file__).parent / "migrations"
