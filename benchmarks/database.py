"""The run's throw-away database: a PostgreSQL database with a random name (the database a shop
uses), or a SQLite file in the run's folder; gone when the run ends, however it ends."""

import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from benchmarks.errors import BenchmarkError, one_line

KINDS = ("postgresql", "sqlite")
# The server the throw-away database is made on; the URL names a database to connect to for that.
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Database:
    kind: str
    url: str  # for DATABASE_URL
    description: str  # for the report: "PostgreSQL 15.20", "SQLite 3.40.1"


def add_arguments(parser, default="sqlite"):
    """``--database`` and ``--postgres``, as every benchmark command takes them."""
    parser.add_argument(
        "--database",
        choices=KINDS,
        default=default,
        help="the throw-away database's kind (default: %(default)s)",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCHMARK_POSTGRES", POSTGRES_SERVER),
        metavar="URL",
        help="the PostgreSQL server to make it on (default: $BENCHMARK_POSTGRES or %(default)s)",
    )


@contextmanager
def throwaway(kind, workdir, server=POSTGRES_SERVER):
    """``with throwaway("postgresql", folder) as database:`` a fresh, empty database."""
    if kind == "sqlite":
        import sqlite3

        yield Database(kind, f"sqlite:///{workdir / 'db.sqlite3'}", f"SQLite {sqlite3.sqlite_version}")
        return
    if kind != "postgresql":
        raise ValueError(f"Unknown database {kind!r}; one of {', '.join(KINDS)}.")
    name = f"uploads_bench_{secrets.token_hex(6)}"
    version = _admin(server, f'CREATE DATABASE "{name}"')
    try:
        yield Database(kind, _with_database(server, name), f"PostgreSQL {version}")
    finally:
        _drop(server, name)


def _admin(server, statement):
    """Run one statement outside a transaction on ``server``; return the server's version."""
    import psycopg

    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=10) as connection:
            connection.execute(statement)
            return connection.info.parameter_status("server_version").split(" ")[0]
    except psycopg.OperationalError as error:
        raise BenchmarkError(
            f"PostgreSQL at {_safe(server)} refused {statement.split(' ')[0]} ({one_line(error)}); start it, pass --postgres URL, or use --database sqlite"
        ) from None


def _drop(server, name):
    # Close this process's connections first; FORCE ends those of any worker or server left running.
    from django.conf import settings
    from django.db import connections

    if settings.configured:
        connections.close_all()
    try:
        _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except BenchmarkError as error:
        print(f"Could not drop the benchmark's database {name}: {error}")


def _with_database(server, name):
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path="/" + name))


def _safe(url):
    """The URL without a password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(":" + parts.password + "@", ":…@"))
    return urlunsplit(parts)
