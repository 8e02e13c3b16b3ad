"""The base of every model record, and the vocabulary the model speaks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any, TypeAlias, TypeVar

# A share in hundredths of a percent, exactly as CWR's 999v99 holds it: 5000 = 50.00 %.
Share: TypeAlias = int
SHARE_WHOLE: Share = 10000  # 100.00 %


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """Anything one CWR record says; ``record_type`` keeps which record said it."""

    record_type: str
    # Text a record carried past its specified length: kept, never dropped, and reported.
    extra: str = ""


R = TypeVar("R", bound=Record)


def values(record: Record) -> dict[str, Any]:
    """A record's own field values (children excluded), in declaration order."""
    return {
        f.name: getattr(record, f.name)
        for f in fields(record)
        if not isinstance(getattr(record, f.name), (tuple, Record))
    }


_FACTORIES: dict[type[Record], Callable[[Mapping[str, Any]], Record]] = {}


def factory(cls: type[R]) -> Callable[[Mapping[str, Any]], R]:
    """A fast builder of ``cls`` from a dict of field values (defaults for the missing ones).

    Codecs build millions of records; a frozen dataclass's ``__init__`` parses keywords and
    goes through ``object.__setattr__`` for each field. This sets the slots directly, once
    per field, and is generated once per class. Values are not checked: codecs pass decoded
    values of the declared types.
    """
    made = _FACTORIES.get(cls)
    if made is None:
        made = _FACTORIES[cls] = _generate(cls)
    return made  # type: ignore[return-value]


def _generate(cls: type[Record]) -> Callable[[Mapping[str, Any]], Record]:
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    body = ["def make(v):", "    o = _new(_cls)"]
    for i, f in enumerate(fields(cls)):
        owner = next(k for k in cls.__mro__ if f.name in vars(k))
        namespace[f"_s{i}"] = vars(owner)[f.name].__set__
        if f.default is not MISSING:
            namespace[f"_d{i}"] = f.default
            body.append(f"    _s{i}(o, v.get({f.name!r}, _d{i}))")
        else:
            body.append(f"    _s{i}(o, v[{f.name!r}])")
    body.append("    return o")
    exec("\n".join(body), namespace)  # noqa: S102 - source built from the class's own fields
    made: Callable[[Mapping[str, Any]], Record] = namespace["make"]
    return made
