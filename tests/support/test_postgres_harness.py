"""Smoke test of the PostgreSQL harness: connect with SQLAlchemy, keep Korean text, survive a server restart."""

from __future__ import annotations

import importlib

import pytest

from tests.support.postgres import PostgresServer

if not hasattr(importlib.import_module("tests.conftest"), "postgres_server"):
    # Until tests/conftest.py imports the fixture, bring it in here (afterwards, conftest's is the one used).
    from tests.support.postgres import postgres_server  # noqa: F401

sqlalchemy = pytest.importorskip("sqlalchemy", reason="SQLAlchemy is not installed")
pytest.importorskip("psycopg", reason="the psycopg driver is not installed (pip install 'psycopg[binary]')")

KOREAN = "민원여권과"


def test_postgres_keeps_korean_text_across_a_restart(postgres_server: PostgresServer) -> None:
    server = postgres_server
    assert server.url.startswith("postgresql+psycopg://") and "@127.0.0.1:" in server.url
    metadata = sqlalchemy.MetaData()
    table = sqlalchemy.Table(
        "harness_smoke",
        metadata,
        sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True),
        sqlalchemy.Column("name", sqlalchemy.Text, nullable=False),
    )
    engine = sqlalchemy.create_engine(server.url)
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            assert connection.execute(sqlalchemy.text("SHOW server_encoding")).scalar_one() == "UTF8"
            assert connection.execute(sqlalchemy.text("SHOW listen_addresses")).scalar_one() == "127.0.0.1"
            connection.execute(table.insert().values(name=KOREAN))
        with engine.connect() as connection:
            assert connection.execute(sqlalchemy.select(table.c.name)).scalars().all() == [KOREAN]
    finally:
        engine.dispose()

    server.restart()

    engine = sqlalchemy.create_engine(server.url)
    try:
        with engine.connect() as connection:
            assert connection.execute(sqlalchemy.select(table.c.name)).scalars().all() == [KOREAN]
            assert connection.execute(sqlalchemy.text("SELECT length(:s)"), {"s": KOREAN}).scalar_one() == 5
        metadata.drop_all(engine)  # the server is shared by the session
    finally:
        engine.dispose()
