"""The routing package's exception tree.

::

    RoutingError (ValueError)  the input to a routing decision is unusable
    ├── FileNameError          a file name is not a CWR (or gateway XML) file name
    └── RegistryError          the partner registry is wrong: names the file, partner and key

Each class carries a stable API ``code`` and the HTTP status the service answers with, so the
shell translates these errors at its boundary without a table of its own. A routing decision
that cannot place a transaction is not an error: it is listed in the plan as unroutable.
"""

from __future__ import annotations


class RoutingError(ValueError):
    """Something a routing decision needs is malformed."""

    code = "routing_error"
    http_status = 400


class FileNameError(RoutingError):
    """A file name that does not follow the CWR naming convention."""

    code = "bad_file_name"
    http_status = 400


class RegistryError(RoutingError):
    """A partner registry that cannot be used; the message names the file, partner and key."""

    code = "bad_registry"
    http_status = 500  # a registry is the operator's configuration, never a client's input

    def __init__(self, message: str, *, source: str = "", partner: str = "", key: str = "") -> None:
        where = ": ".join(part for part in (source, partner, key) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.source = source
        self.partner = partner
        self.key = key
