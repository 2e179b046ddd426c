from db.alembic_env import run_migrations
from subgraphs.search.models import Base

run_migrations(Base.metadata)
