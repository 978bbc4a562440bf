"""Opening the server's database from a URL, and its schema through Alembic.

``sqlite:///PATH`` is the embedded default; ``postgresql://...`` uses psycopg 3. Writes on SQLite
take the write lock when the transaction begins (``BEGIN IMMEDIATE``), so two processes never
deadlock upgrading a read lock; WAL lets readers go on meanwhile.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest migration; a test checks it is Alembic's head. Every command compares the database
# with it, without loading Alembic (which only `migrate` needs).
SCHEMA_HEAD = "0600"
SQLITE_BUSY_SECONDS = 10.0
READ_ONLY = "kiosk_read_only"


class DatabaseError(Exception):
    """The database URL or the database itself is not usable; the message says what to do."""


def engine_for(url: str) -> Engine:
    """An engine for ``sqlite:///PATH`` or ``postgresql://USER@HOST:PORT/NAME``."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(
            f"--db: expected sqlite:///PATH or postgresql://USER@HOST/NAME, found {url!r}"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite(url)
    if backend in ("postgresql", "postgres"):
        # psycopg 3 whatever driver the URL names (postgresql:// alone would mean psycopg2).
        return create_engine(
            parsed.set(drivername="postgresql+psycopg"),
            # No server-side prepared statements: a plan made while a table was small (a new
            # school) would stay in use once it is large (seen: ingest slowing by half).
            connect_args={"prepare_threshold": None},
            hide_parameters=True,  # errors never carry a child's card number or name into a log
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=10,
        )
    raise DatabaseError(f"--db: expected a sqlite:// or postgresql:// URL, found {backend}://")


def _sqlite(url: str) -> Engine:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise DatabaseError("--db: a sqlite URL needs a file path: sqlite:///PATH")
    folder = Path(database).resolve().parent
    if not folder.is_dir():
        raise DatabaseError(f"--db: folder {folder} does not exist")
    # As many connections as the request threads (40): a pool that is too small opens and closes
    # connections under load, each paying its PRAGMAs again.
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_SECONDS},
        pool_size=20,
        max_overflow=30,
        hide_parameters=True,  # errors never carry a child's card number or name into a log
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, say when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the push is answered. NORMAL would spare that fsync
        # but lose the last acknowledged pushes at a power cut (the kiosks would not send them
        # again); the group commit (sync.server.queue) pays it once for many pushes instead.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A write takes the lock up front; a read (see `reading`) only pins its WAL snapshot.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction. On SQLite the threads of one process queue for it here first.

    SQLite lets one writer in at a time; one that finds the lock taken polls for it with sleeps
    of up to 100 ms, which under many kiosks at once costs far more than the writes. So the
    process's own threads wait in line on a lock (correctness still rests on SQLite's lock,
    which other processes take as before). PostgreSQL needs no such line.
    """
    lock = _WRITERS.get(engine) if engine.dialect.name == "sqlite" else None
    if lock is None and engine.dialect.name == "sqlite":
        lock = _WRITERS.setdefault(engine, threading.Lock())
    if lock is None:
        with engine.begin() as conn:
            yield conn
        return
    with lock, engine.begin() as conn:
        yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only: one consistent snapshot, never the write lock."""
    with engine.connect() as conn:
        conn.execution_options(**{READ_ONLY: True})
        yield conn


def _config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema up to date (``kiosk-server migrate``)."""
    from alembic import command

    try:
        command.upgrade(_config(engine), "head")
    except DBAPIError as exc:
        raise DatabaseError(f"cannot migrate the database: {exc.orig}") from exc


def alembic_head(engine: Engine) -> str | None:
    """The newest migration Alembic knows of (what SCHEMA_HEAD must say)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config(engine)).get_current_head()


def schema_problem(engine: Engine) -> str | None:
    """Why the server cannot use this database yet, or None when it is up to date."""
    head = SCHEMA_HEAD
    try:
        with reading(engine) as conn:
            current = None
            if inspect(conn).has_table("alembic_version"):
                current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as exc:
        return f"cannot open the database: {exc.orig}"
    if current != head:
        return (
            f"the database schema is at {current or 'nothing'}, not {head}; "
            "run `kiosk-server migrate --db URL` first"
        )
    return None
