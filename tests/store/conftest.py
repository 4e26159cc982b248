"""Store fixtures: the same tests run on SQLite and on a real PostgreSQL server.

The ``engine`` fixture (one store of each kind) lives in tests/conftest.py and its PostgreSQL
database comes from tests/pg.py, shared with the real-time and API tests.
"""
