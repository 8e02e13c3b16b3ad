"""The PostgreSQL schema as numbered migrations, the twin of :mod:`gateway.store.schema`.

The tables hold what SQLite's hold, typed as PostgreSQL types them: times are ``timestamptz``,
CWR header dates and times ``date`` and ``time``. A ``seq`` identity column keeps insertion
order where SQLite's ``rowid`` does. Migrations run under an advisory lock, so gateway
processes starting together against a new database migrate it once.
"""

from __future__ import annotations

MIGRATION_LOCK = 0x6761_7465_7761_7901  # pg_advisory_xact_lock key: "gateway" + 1

_V1 = (
    """
    CREATE TABLE submissions (
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        id text PRIMARY KEY,
        sender text NOT NULL,
        receiver text NOT NULL,
        file_name text NOT NULL,
        sha256 text NOT NULL,
        size bigint NOT NULL CHECK (size >= 0),
        received_at timestamptz NOT NULL,
        format text NOT NULL,
        version text NOT NULL,
        status text NOT NULL
            CHECK (status IN ('received', 'validated', 'acked', 'routed', 'failed')),
        report_sha text,
        ack_sha text,
        ack_file_name text,
        error text,
        updated_at timestamptz NOT NULL
    )
    """,
    # The receiver's idempotency: one submission per sender and content, and per sender and name.
    "CREATE UNIQUE INDEX submissions_same_bytes ON submissions (sender, sha256)",
    """
    CREATE UNIQUE INDEX submissions_same_name ON submissions (sender, file_name)
        WHERE file_name <> ''
    """,
    "CREATE INDEX submissions_by_sender ON submissions (sender, received_at, seq)",
    """
    CREATE INDEX submissions_unfinished ON submissions (received_at, seq)
        WHERE status IN ('received', 'validated')
    """,
    """
    CREATE TABLE deliveries (
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        id text PRIMARY KEY,
        submission_id text NOT NULL REFERENCES submissions (id),
        recipient text NOT NULL,
        file_name text NOT NULL,
        sha256 text NOT NULL,
        format text NOT NULL,
        version text NOT NULL,
        transport text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'in_flight', 'delivered', 'dead')),
        attempts integer NOT NULL DEFAULT 0,
        claims integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        lease_until timestamptz,
        worker text,
        last_error text,
        receipt text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    # A recipient dedupes on file name (as we do): two files with one name would lose the second.
    "CREATE UNIQUE INDEX deliveries_name_per_recipient ON deliveries (recipient, file_name)",
    "CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at)",
    "CREATE INDEX deliveries_by_submission ON deliveries (submission_id)",
    """
    CREATE TABLE sent_transactions (
        recipient text NOT NULL,
        hdr_creation_date date NOT NULL,
        hdr_creation_time time(0) NOT NULL,
        group_id integer NOT NULL,
        transaction_sequence integer NOT NULL,
        delivery_id text NOT NULL REFERENCES deliveries (id),
        transaction_type text NOT NULL,
        submitter_work_number text NOT NULL,
        title text NOT NULL,
        original_submission_id text NOT NULL REFERENCES submissions (id),
        PRIMARY KEY (
            recipient, hdr_creation_date, hdr_creation_time, group_id, transaction_sequence
        )
    )
    """,
    "CREATE INDEX sent_transactions_by_delivery ON sent_transactions (delivery_id)",
    """
    CREATE TABLE registrations (
        sender text NOT NULL,
        submitter_work_number text NOT NULL,
        society text NOT NULL,
        status text NOT NULL,
        society_work_number text,
        iswc text,
        title text,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (sender, submitter_work_number, society)
    )
    """,
    """
    CREATE TABLE nonces (
        key_id text NOT NULL,
        nonce text NOT NULL,
        seen_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (key_id, nonce)
    )
    """,
    "CREATE INDEX nonces_by_expiry ON nonces (expires_at)",
)

# Processing leases and HDR creation times handed out per recipient (see schema.py's _V2).
_V2 = (
    "ALTER TABLE submissions ADD COLUMN worker text",
    "ALTER TABLE submissions ADD COLUMN lease_until timestamptz",
    """
    CREATE TABLE creation_times (
        recipient text PRIMARY KEY,
        last timestamptz NOT NULL
    )
    """,
)

# Small files, kept with the state that refers to them (see schema.py's _V5).
_V3 = ("CREATE TABLE contents (sha256 text PRIMARY KEY, data bytea NOT NULL)",)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3)
