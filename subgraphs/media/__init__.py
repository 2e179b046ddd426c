"""The media subgraph: uploaded images (`Media @key(fields: "id")`), their variants and files,
and `User.avatar`. Uploads follow the GraphQL multipart request spec; Pillow decodes, checks
and strips metadata in the upload request (a worker thread), and the media worker
(worker.py, processing.py) makes the variants in a process pool; files are served at
`GET /media/{id}/{variant}` (files.py) from the local disk or S3 (storage.py)."""

from pathlib import Path

NAME = "media"
MIGRATIONS = Path(__file__).parent / "migrations"
