"""The media subgraph: uploaded images (`Media @key(fields: "id")`), their variants and files,
and `User.avatar`. Uploads follow the GraphQL multipart request spec; Pillow decodes, checks,
strips metadata and makes the variants in a worker thread; files are served at
`GET /media/{id}/{variant}` (storage.py)."""

from pathlib import Path

NAME = "media"
MIGRATIONS = Path(__file__).parent / "migrations"
