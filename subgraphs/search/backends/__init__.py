"""Search backends: one interface (`base.SearchBackend`), three implementations.

- `sqlite.SQLiteBackend`: FTS5 with the trigram tokenizer (the embedded default of `make dev`)
- `postgres.PostgresBackend`: `tsvector` ranking and `pg_trgm` typo candidates
- `elastic.ElasticBackend`: Elasticsearch through the official async client

One contract test suite (tests/subgraphs/search/test_backend_contract.py) runs against each.
"""

from subgraphs.search.backends.base import (
    SearchBackend,
    backend_for_url,
    backend_from_settings,
    prepare,
)

__all__ = ["SearchBackend", "backend_for_url", "backend_from_settings", "prepare"]
