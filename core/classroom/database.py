"""The classroom's SQLite file: one per deployment, shared by every server process.

WAL mode lets the projector read while students write; every write is one `BEGIN IMMEDIATE`
transaction, so checks (caps, permissions) and the write they guard happen under the same
lock, whichever process runs them. `synchronous=NORMAL` in WAL mode loses nothing a commit
acknowledged when a process dies (only a power cut could drop the last commits). A
connection per call: they are cheap, and no connection is shared across threads.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from core.paths import REPO_ROOT

DB_NAME = "classroom.sqlite3"
BUSY_TIMEOUT_MS = 15_000
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    code TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL,
    opened_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0,
    max_students INTEGER NOT NULL,
    max_digits INTEGER NOT NULL,
    max_digits_per_student INTEGER NOT NULL,
    max_bytes INTEGER NOT NULL,
    bytes_received INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS rooms_expiry ON rooms (expires_at);
CREATE TABLE IF NOT EXISTS students (
    room TEXT NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    secret_sha256 TEXT NOT NULL,
    number INTEGER NOT NULL,
    joined_at REAL NOT NULL,
    PRIMARY KEY (room, secret_sha256),
    UNIQUE (room, number)
);
CREATE TABLE IF NOT EXISTS digits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    room TEXT NOT NULL REFERENCES rooms (code) ON DELETE CASCADE,
    student_number INTEGER NOT NULL,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    pixels BLOB NOT NULL CHECK (length(pixels) = 784),
    sent_at REAL NOT NULL,
    hidden INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS digits_room ON digits (room, id);
CREATE TABLE IF NOT EXISTS failed_attempts (
    client TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS failed_attempts_client ON failed_attempts (client, at);
"""


def classroom_dir() -> Path:
    """Where the classroom's database lives (git-ignored by default); AECL_CLASSROOM_DIR moves it."""
    return Path(os.environ.get("AECL_CLASSROOM_DIR", REPO_ROOT / "classroom_data"))


def db_path() -> Path:
    return classroom_dir() / DB_NAME


def _connect() -> sqlite3.Connection:
    path = db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")  # persistent: set once per file
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        with contextlib.closing(conn.cursor()) as cur:
            cur.execute("BEGIN IMMEDIATE")
            for statement in filter(str.strip, SCHEMA.split(";")):
                cur.execute(statement)
            cur.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            cur.execute("COMMIT")
    return conn


@contextlib.contextmanager
def transaction() -> Iterator[sqlite3.Connection]:
    """One write transaction, taken before any read so its checks hold until it commits."""
    conn = _connect()
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


@contextlib.contextmanager
def reading() -> Iterator[sqlite3.Connection]:
    """A consistent snapshot for reads (WAL: never blocks writers, never blocked by them)."""
    conn = _connect()
    try:
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")
    finally:
        conn.close()
