"""Partner registry and routing decisions: who receives which transaction, in which format.

Pure core: reading the registry's TOML text is the only input it takes beyond models.
"""

from gateway.routing.decide import (
    SEVERAL,
    UNROUTABLE_CODES,
    RoutedPart,
    RoutingPlan,
    Unroutable,
    decide,
    part_file_name,
    recipients_of,
    route,
)
from gateway.routing.errors import FileNameError, RegistryError, RoutingError
from gateway.routing.filenames import CwrFileName, ack_name_for, xml_file_name
from gateway.routing.partners import (
    Credentials,
    NodeInfo,
    Partner,
    Registry,
    load_registry,
    parse_registry,
)

__all__ = [
    "SEVERAL",
    "UNROUTABLE_CODES",
    "Credentials",
    "CwrFileName",
    "FileNameError",
    "NodeInfo",
    "Partner",
    "Registry",
    "RegistryError",
    "RoutedPart",
    "RoutingError",
    "RoutingPlan",
    "Unroutable",
    "ack_name_for",
    "decide",
    "load_registry",
    "parse_registry",
    "part_file_name",
    "recipients_of",
    "route",
    "xml_file_name",
]
