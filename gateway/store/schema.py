"""The SQLite schema as numbered migrations, applied in order on open.

``schema_version`` holds one row: how many migrations the database has. A migration is never edited
once released; a change is a new migration appended to ``MIGRATIONS``. Times are ISO 8601 UTC text
of one fixed width (``2024-05-01T12:00:00.000000Z``), so text order is time order.
"""

from __future__ import annotations

import sqlite3

from gateway.store.errors import StoreError

_V1 = (
    """
    CREATE TABLE submissions (
        id TEXT PRIMARY KEY,
        sender TEXT NOT NULL,
        receiver TEXT NOT NULL,
        file_name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL CHECK (size >= 0),
        received_at TEXT NOT NULL,
        format TEXT NOT NULL,
        version TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('received', 'validated', 'acked', 'routed', 'failed')),
        report_sha TEXT,
        ack_sha TEXT,
        ack_file_name TEXT,
        error TEXT,
        updated_at TEXT NOT NULL
    ) STRICT
    """,
    # The receiver's idempotency: one submission per sender and content, and per sender and name.
    "CREATE UNIQUE INDEX submissions_same_bytes ON submissions (sender, sha256)",
    """
    CREATE UNIQUE INDEX submissions_same_name ON submissions (sender, file_name)
        WHERE file_name <> ''
    """,
    "CREATE INDEX submissions_by_sender ON submissions (sender, received_at)",
    """
    CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        submission_id TEXT NOT NULL REFERENCES submissions (id),
        recipient TEXT NOT NULL,
        file_name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        format TEXT NOT NULL,
        version TEXT NOT NULL,
        transport TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'delivered', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        claims INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        lease_until TEXT,
        worker TEXT,
        last_error TEXT,
        receipt TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) STRICT
    """,
    # A recipient dedupes on file name (as we do): two files with one name would lose the second.
    "CREATE UNIQUE INDEX deliveries_name_per_recipient ON deliveries (recipient, file_name)",
    "CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at)",
    "CREATE INDEX deliveries_by_submission ON deliveries (submission_id)",
    """
    CREATE TABLE sent_transactions (
        recipient TEXT NOT NULL,
        hdr_creation_date TEXT NOT NULL,
        hdr_creation_time TEXT NOT NULL,
        group_id INTEGER NOT NULL,
        transaction_sequence INTEGER NOT NULL,
        delivery_id TEXT NOT NULL REFERENCES deliveries (id),
        transaction_type TEXT NOT NULL,
        submitter_work_number TEXT NOT NULL,
        title TEXT NOT NULL,
        original_submission_id TEXT NOT NULL REFERENCES submissions (id),
        PRIMARY KEY (
            recipient, hdr_creation_date, hdr_creation_time, group_id, transaction_sequence
        )
    ) STRICT, WITHOUT ROWID
    """,
    "CREATE INDEX sent_transactions_by_delivery ON sent_transactions (delivery_id)",
    """
    CREATE TABLE registrations (
        sender TEXT NOT NULL,
        submitter_work_number TEXT NOT NULL,
        society TEXT NOT NULL,
        status TEXT NOT NULL,
        society_work_number TEXT,
        iswc TEXT,
        title TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (sender, submitter_work_number, society)
    ) STRICT, WITHOUT ROWID
    """,
    """
    CREATE TABLE nonces (
        key_id TEXT NOT NULL,
        nonce TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        PRIMARY KEY (key_id, nonce)
    ) STRICT, WITHOUT ROWID
    """,
    "CREATE INDEX nonces_by_expiry ON nonces (expires_at)",
)

# Several processes on one database: a submission is processed under a lease (as deliveries are
# sent under one), and CWR header creation times are handed out per recipient by the database,
# so two processes never stamp two files for one recipient with the same HDR date and time.
_V2 = (
    "ALTER TABLE submissions ADD COLUMN worker TEXT",
    "ALTER TABLE submissions ADD COLUMN lease_until TEXT",
    """
    CREATE TABLE creation_times (
        recipient TEXT PRIMARY KEY,
        last TEXT NOT NULL
    ) STRICT
    """,
)

# Claiming work reads only the unfinished submissions: without this index every claim scanned
# (and sorted) the whole table, and a node slowed as its history grew.
_V3 = (
    """
    CREATE INDEX submissions_unfinished ON submissions (received_at)
    WHERE status IN ('received', 'validated')
    """,
)

# The delivery queue in the order it is served, per state (rowid, every index's last key, breaks
# ties): claiming reads the first due rows off the index instead of sorting the whole queue.
_V4 = (
    "DROP INDEX deliveries_due",
    "CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at, created_at)",
)

# Small files (the validation reports, ACKs and parts the gateway makes, those it receives over
# HTTP), kept in the transaction that refers to them instead of as blob files: one flush a file,
# where a blob costs two or three (the file, its folder, a new shard folder). Keyed by SHA-256
# like the blob store, written once, never changed.
_V5 = ("CREATE TABLE contents (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL) STRICT",)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4, _V5)


def migrate(conn: sqlite3.Connection, source: str) -> int:
    """Bring the database up to the latest schema in one transaction; the version it now has.

    ``conn`` must be in autocommit mode (``isolation_level=None``); ``source`` names the database
    in errors.
    """
    conn.execute("BEGIN IMMEDIATE")  # two processes opening one new file: the second waits
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        current = 0 if row is None else int(row[0])
        _check_not_newer(current, source)
        for statements in MIGRATIONS[current:]:
            for statement in statements:
                conn.execute(statement)
        if row is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (len(MIGRATIONS),))
        else:
            conn.execute("UPDATE schema_version SET version = ?", (len(MIGRATIONS),))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # some errors (disk full) have already rolled it back
            conn.execute("ROLLBACK")
        raise
    return len(MIGRATIONS)


def _check_not_newer(current: int, source: str) -> None:
    if current > len(MIGRATIONS):
        raise StoreError(
            f"database {source} has schema version {current}, newer than this gateway "
            f"knows ({len(MIGRATIONS)}); upgrade the gateway"
        )
