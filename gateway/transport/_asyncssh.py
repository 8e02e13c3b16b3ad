"""asyncssh, imported without the warning newer cryptography releases raise at its import.

asyncssh names DSA key classes when it loads; cryptography 46 and later deprecate DSA and warn
as soon as the name is touched. The gateway never offers or accepts DSA keys (Ed25519 host and
client keys only), so the warning says nothing about this program and would only clutter a
node's stderr.
"""

import warnings

from cryptography.utils import CryptographyDeprecationWarning

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "DSA is deprecated", CryptographyDeprecationWarning)
    import asyncssh

__all__ = ["asyncssh"]
