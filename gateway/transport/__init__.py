"""Ways files move between gateways and societies: SFTP, a local drop folder, and HTTP.

Every transport delivers with ``send(file_name, source) -> Receipt`` and fails with
``TransientError`` (retry) or ``PermanentError`` (do not); see ``gateway.transport.base``.
"""

from gateway.transport.base import (
    IncomingFile,
    PermanentError,
    PullSource,
    Receipt,
    TransientError,
    Transport,
    TransportError,
)

__all__ = [
    "IncomingFile",
    "PermanentError",
    "PullSource",
    "Receipt",
    "TransientError",
    "Transport",
    "TransportError",
]
