from db.alembic_env import run_migrations
from subgraphs.media.models import Base

run_migrations(Base.metadata)
