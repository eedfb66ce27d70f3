import pytest

from db.engine import make_engine
from db.migrate import upgrade


@pytest.fixture
def engine(db_url):
    """An engine on an empty database (SQLite or PostgreSQL) brought to the head migration."""
    upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
