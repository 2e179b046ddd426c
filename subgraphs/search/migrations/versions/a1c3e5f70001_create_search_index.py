"""create the search index (FTS5 trigram on SQLite; tsvector + pg_trgm on PostgreSQL)

Revision ID: a1c3e5f70001
Revises:
Create Date: 2026-12-06 11:40:00

`rank` is 2 * version (+ 1 for a delete): a change applies when its rank is not below the
stored one (subgraphs/search/documents.py). A deleted document stays as a tombstone row with
`deleted` set and no text. `search_terms` is the vocabulary (every word ever indexed), where a
query word finds the words one or two typos away; words of deleted documents stay until the
next rebuild (they only widen a query by words that match nothing).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a1c3e5f70001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE = [
    """CREATE TABLE search_documents (
        rowid INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        rank INTEGER NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        name TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        tags_text TEXT NOT NULL DEFAULT '',
        category_id TEXT,
        project_id TEXT,
        created_at TEXT,
        UNIQUE (type, id)
    )""",
    "CREATE INDEX ix_search_documents_project_id ON search_documents (project_id)",
    "CREATE INDEX ix_search_documents_category_id ON search_documents (category_id)",
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        name, description, tags_text,
        content='search_documents', content_rowid='rowid', tokenize='trigram'
    )""",
    """CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_fts(rowid, name, description, tags_text)
        VALUES (new.rowid, new.name, new.description, new.tags_text);
    END""",
    """CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, name, description, tags_text)
        VALUES ('delete', old.rowid, old.name, old.description, old.tags_text);
    END""",
    """CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, name, description, tags_text)
        VALUES ('delete', old.rowid, old.name, old.description, old.tags_text);
        INSERT INTO search_fts(rowid, name, description, tags_text)
        VALUES (new.rowid, new.name, new.description, new.tags_text);
    END""",
    """CREATE TABLE search_terms (
        rowid INTEGER PRIMARY KEY,
        word TEXT NOT NULL UNIQUE
    )""",
    """CREATE VIRTUAL TABLE search_terms_fts USING fts5(
        word, content='search_terms', content_rowid='rowid', tokenize='trigram'
    )""",
    """CREATE TRIGGER search_terms_ai AFTER INSERT ON search_terms BEGIN
        INSERT INTO search_terms_fts(rowid, word) VALUES (new.rowid, new.word);
    END""",
    """CREATE TRIGGER search_terms_ad AFTER DELETE ON search_terms BEGIN
        INSERT INTO search_terms_fts(search_terms_fts, rowid, word)
        VALUES ('delete', old.rowid, old.word);
    END""",
    """CREATE TABLE search_projects (
        project_id TEXT PRIMARY KEY,
        rank INTEGER NOT NULL
    )""",
    """CREATE TABLE search_members (
        project_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        PRIMARY KEY (user_id, project_id)
    )""",
    "CREATE INDEX ix_search_members_project_id ON search_members (project_id)",
]

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """CREATE TABLE search_documents (
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        rank BIGINT NOT NULL,
        deleted BOOLEAN NOT NULL DEFAULT false,
        name TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        tags TEXT[] NOT NULL DEFAULT '{}',
        category_id TEXT,
        project_id TEXT,
        created_at TIMESTAMPTZ,
        tsv TSVECTOR NOT NULL DEFAULT ''::tsvector,
        PRIMARY KEY (type, id)
    )""",
    # Name weighs most (A), then tags (B), then the description (C); 'simple': no stemming,
    # the same words the SQLite backend matches.
    """CREATE FUNCTION search_documents_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.tsv := setweight(to_tsvector('simple', NEW.name), 'A')
            || setweight(to_tsvector('simple', array_to_string(NEW.tags, ' ')), 'B')
            || setweight(to_tsvector('simple', NEW.description), 'C');
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER search_documents_tsv BEFORE INSERT OR UPDATE ON search_documents
        FOR EACH ROW EXECUTE FUNCTION search_documents_tsv()""",
    "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
    "CREATE INDEX ix_search_documents_name_trgm ON search_documents "
    "USING gin (lower(name) gin_trgm_ops)",
    "CREATE INDEX ix_search_documents_project_id ON search_documents (project_id)",
    "CREATE INDEX ix_search_documents_category_id ON search_documents (category_id)",
    "CREATE TABLE search_terms (word TEXT PRIMARY KEY)",
    "CREATE INDEX ix_search_terms_word_trgm ON search_terms USING gin (word gin_trgm_ops)",
    """CREATE TABLE search_projects (
        project_id TEXT PRIMARY KEY,
        rank BIGINT NOT NULL
    )""",
    """CREATE TABLE search_members (
        project_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        PRIMARY KEY (user_id, project_id)
    )""",
    "CREATE INDEX ix_search_members_project_id ON search_members (project_id)",
]

TABLES = ["search_members", "search_projects", "search_terms", "search_documents"]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE if dialect == "sqlite" else POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_terms_fts")
        op.execute("DROP TABLE IF EXISTS search_fts")
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS search_documents_tsv()")
