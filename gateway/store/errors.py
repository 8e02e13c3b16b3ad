"""The store's exception tree.

::

    StoreError                 the database or blob folder cannot do what was asked
    ├── NotFound               no submission, delivery or blob with that id
    ├── Conflict               the change breaks a uniqueness rule (duplicate id, file name ...)
    │   └── AlreadyFinished    another process finished this submission first
    ├── InvalidValue           an argument the store refuses (unknown status, naive datetime ...)
    └── TooLarge               a blob grew past its byte limit; nothing was kept

Each class carries the stable API ``code`` and the HTTP status the service answers with, so the
service translates a store error at its boundary without a table of its own.
"""

from __future__ import annotations


class StoreError(Exception):
    """The database or blob folder could not do what was asked (corrupt, unwritable, closed)."""

    code = "store_unavailable"
    http_status = 503


class NotFound(StoreError):  # noqa: N818 - reads as the condition it names, like httpx's errors
    """No submission, delivery or blob has the given id."""

    code = "not_found"
    http_status = 404


class Conflict(StoreError):  # noqa: N818 - see NotFound
    """The change would break a uniqueness rule; nothing was written."""

    code = "conflict"
    http_status = 409


class InvalidValue(StoreError, ValueError):  # noqa: N818 - see NotFound
    """An argument the store refuses, such as an unknown status or a naive datetime."""

    code = "invalid_value"
    http_status = 400


class TooLarge(StoreError):  # noqa: N818 - see NotFound
    """A blob passed its byte limit; the partial bytes were removed."""

    code = "too_large"
    http_status = 413

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"content is larger than the limit of {max_bytes} bytes")
        self.max_bytes = max_bytes


class AlreadyFinished(Conflict):
    """The submission was answered or routed (by another process) while this one worked on it."""

    code = "already_finished"
