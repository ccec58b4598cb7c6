"""Engine construction: SQLite in WAL mode with foreign keys on; PostgreSQL unchanged."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from monitor.errors import StorageError, short_error

SUPPORTED = "sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"


@dataclass(frozen=True)
class DatabaseFile:
    """The SQLite file an engine opened, by identity.

    Deleted or replaced under a running process, the path no longer leads to the file the
    process writes to: its writes would vanish at the next start.
    """

    path: Path
    device: int
    inode: int

    @classmethod
    def at(cls, path: Path) -> DatabaseFile:
        found = path.stat()
        return cls(path.absolute(), found.st_dev, found.st_ino)

    def problem(self) -> str | None:
        """Why the configured path no longer leads to the opened file; None while it does."""
        try:
            found = self.path.stat()
        except FileNotFoundError:
            return f"the SQLite file {self.path} was deleted while in use"
        except OSError as exc:
            return f"the SQLite file {self.path} cannot be checked: {exc.strerror}"
        if (found.st_dev, found.st_ino) != (self.device, self.inode):
            return f"the SQLite file {self.path} was replaced by another file while in use"
        return None


# Each SQLite engine's file, recorded when the engine is made.
_FILES: WeakKeyDictionary[Engine, DatabaseFile] = WeakKeyDictionary()


def database_file(engine: Engine) -> DatabaseFile | None:
    """The file a SQLite engine made by :func:`make_engine` opened; None for PostgreSQL."""
    return _FILES.get(engine)


def check_database_url(url: str) -> None:
    """ValueError saying why this URL cannot be opened: unparseable, another database than
    SQLite or PostgreSQL, a driver that is not installed, a SQLite file that cannot be made.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(f"not a database URL; expected {SUPPORTED}") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"{parsed.drivername}:// is not supported; expected {SUPPORTED}")
    try:
        parsed.get_dialect().import_dbapi()
    except (NoSuchModuleError, ImportError):
        extra = (
            " (install cqc-monitor[postgres])" if parsed.get_backend_name() == "postgresql" else ""
        )
        raise ValueError(f"the {parsed.drivername} driver is not installed{extra}") from None
    problem = _sqlite_problem(parsed)
    if problem:
        raise ValueError(problem)


def _sqlite_problem(parsed: URL) -> str | None:
    if parsed.get_backend_name() != "sqlite" or not _is_file(parsed.database):
        return None
    path = Path(str(parsed.database))
    if path.is_dir():
        return f"{path} is a directory, not a database file"
    if path.exists():
        return None if os.access(path, os.R_OK | os.W_OK) else f"{path} is not writable"
    folder = next(p for p in path.parents if p.exists())
    if not folder.is_dir():
        return f"cannot create {path}: {folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot create {path}: {folder} is not writable"
    return None


def make_engine(
    url: str, *, idle_transaction_seconds: float | None = None, **kwargs: Any
) -> Engine:
    """An engine for ``url``; on PostgreSQL, a session left idle inside a transaction for
    ``idle_transaction_seconds`` is ended by the server: a replica frozen mid-batch (paused,
    partitioned) would otherwise hold its cycle's row lock, and stop a takeover, for ever."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        opened = _create_private_file(parsed.database)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        if opened is not None:
            _FILES[engine] = opened
        return engine
    if idle_transaction_seconds:
        timeout_ms = int(idle_transaction_seconds * 1000)
        options = f"-c idle_in_transaction_session_timeout={timeout_ms}"
        kwargs.setdefault("connect_args", {"options": options})
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_readonly_engine(url: str) -> Engine:
    """An engine that cannot write: for the dashboard, which may browse a copied audit file.

    SQLite opens the file read-only (it is never created, and query_only refuses any write
    on the connection); PostgreSQL starts every transaction read-only.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        options = {"options": "-c default_transaction_read_only=on"}
        return create_engine(url, pool_pre_ping=True, connect_args=options)
    if not _is_file(parsed.database):
        raise StorageError(f"the dashboard needs a SQLite file, not {parsed.database!r}")
    path = Path(str(parsed.database)).absolute()
    if not path.is_file():
        raise StorageError(f"no database file at {path}")
    uri = f"file:{quote(str(path))}?mode=ro"
    engine = create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False),
        poolclass=QueuePool,  # "sqlite://" alone would mean one in-memory database per thread
    )
    event.listen(engine, "connect", _sqlite_readonly_pragmas)
    return engine


def _sqlite_readonly_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _is_file(database: str | None) -> bool:
    return bool(database) and database != ":memory:" and not str(database).startswith("file:")


def _create_private_file(database: str | None) -> DatabaseFile | None:
    """The folder, and the database file readable by its owner only: it holds the audit trail.

    Made before SQLite opens it, which would create it world-readable; SQLite gives the -wal
    and -shm files the mode of the database file. An existing file keeps the mode it has.
    """
    if not _is_file(database):
        return None
    path = Path(str(database))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        return DatabaseFile.at(path)
    except OSError as exc:
        raise StorageError(f"cannot create the database file {path}: {exc.strerror}") from None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (CLI queries, /readyz) run while the worker writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@contextmanager
def database_errors(what: str = "database unavailable") -> Iterator[None]:
    """The store's edge: SQLAlchemy's errors leave it as ``StorageError`` with one line."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise StorageError(f"{what}: {short_error(exc)}") from exc
