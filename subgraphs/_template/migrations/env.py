from db.alembic_env import run_migrations
from subgraphs._template.models import Base

run_migrations(Base.metadata)
