"""Rule packs: which CISAC edits a receiver applies, at which rejection level.

A rule pack is a TOML file in ``gateway/validation/packs/`` (package data, read with
``importlib.resources``). Its file name without ``.toml`` is the pack's key (``gema``). The
schema, also described in ``docs/rule-packs.md``::

    name = "GEMA"                # display name (required)
    description = "..."          # free text (optional)
    societies = ["035"]          # receivers this pack serves: 3-digit society codes (required,
                                 # may be empty); a code belongs to one pack only
    extends = "cisac"            # start from another pack's edits (optional)
    enable_generic_edits = true  # switch on every catalogue edit without a society (default false)
    enable_society_edits = true  # switch on every catalogue edit whose society is in `societies`
                                 # (default false)

    [cwr2]                       # changes in CWR 2.x numbering (optional)
    enable = ["SPU F 041"]       # switch on further catalogue edits, whatever their society
    disable = ["NWR F 026"]      # switch off edits that are on
    no_participation = ["NWR T 030"]  # edits whose failure gives transaction status NP, not RJ
    [cwr2.rejection]             # change the rejection level of edits that are on
    "SPU F 019" = "TR"

    [cwr22]                      # the same keys, for CWR 2.2 only (also cwr21, cwr3, cwr30, cwr31)

Edits are named ``"NWR T 030"`` and must be in the catalogue of the family they are listed
under: ``cwr2``/``cwr21``/``cwr22`` against the 2.x catalogue, ``cwr3``/``cwr30``/``cwr31``
against the 3.x one (2.x and 3.x number their edits differently, so edit lists live in a family
table). A pack is loaded for one family or version:

* ``"2"``: the parent pack, then the top-level switches, then ``[cwr2]``.
* ``"2.1"`` / ``"2.2"``: as ``"2"``, then ``[cwr21]`` / ``[cwr22]``.
* ``"3"``, ``"3.0"``, ``"3.1"``: likewise with ``[cwr3]``, ``[cwr30]``, ``[cwr31]``.

Within a table, ``enable`` is applied first, then ``disable``, ``rejection`` and
``no_participation``. An edit is switched on at the level of its catalogue row for one of the
pack's societies, else its generic row, else its first row. No-participation marks are
inherited from the parent and dropped when the edit is switched off.

Loading is strict: an unknown key, a wrong type, an edit id that is malformed or not in the
catalogue, a level other than ER/GR/TR/RR/FR, disabling, relevelling or marking an edit that is
not on, a repeated entry, an unknown or circular ``extends``: each raises ``ValueError`` naming
the file and the key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from gateway.validation.catalogue import REJECTIONS, Edit, EditId, catalogue, family_of

__all__ = ["PackError", "RulePack", "load_pack", "packs"]

_TOP_KEYS = frozenset(
    {
        "name",
        "description",
        "societies",
        "extends",
        "enable_generic_edits",
        "enable_society_edits",
    }
)
_TABLE_KEYS = ("enable", "disable", "rejection", "no_participation")
# Tables that apply to each family or version, in order.
_TABLES: dict[str, tuple[str, ...]] = {
    "2": ("cwr2",),
    "2.1": ("cwr2", "cwr21"),
    "2.2": ("cwr2", "cwr22"),
    "3": ("cwr3",),
    "3.0": ("cwr3", "cwr30"),
    "3.1": ("cwr3", "cwr31"),
}
_VERSION = {"02.10": "2.1", "02.20": "2.2"}
_ALL_TABLES = frozenset(t for tables in _TABLES.values() for t in tables)
_SOCIETY = re.compile(r"[0-9]{3}")
_KEY = re.compile(r"[a-z][a-z0-9_-]*")


class PackError(ValueError):
    """A pack file or pack name is wrong; the message names the file and the key."""


@dataclass(frozen=True, slots=True, eq=False)
class RulePack:
    """The edits one receiver applies for one CWR family or version, and their levels."""

    key: str
    """File name without ``.toml``: ``"gema"``."""
    name: str
    family: str
    """What the pack was loaded for: a family (``"2"``, ``"3"``) or a version (``"2.2"``)."""
    societies: tuple[str, ...]
    extends: str | None
    levels: Mapping[EditId, str] = field(repr=False)
    """Every edit that is on, with its rejection level, in catalogue order."""
    no_participation: frozenset[EditId] = field(repr=False)
    """Edits whose failure gives transaction status NP (no participation) instead of RJ."""
    description: str = ""

    @property
    def catalogue_family(self) -> str:
        """``"2"`` or ``"3"``: the catalogue the pack's edit ids belong to."""
        return family_of(self.family)

    def enabled(self, edit_id: EditId | str) -> bool:
        """True when the pack applies the edit."""
        return EditId.of(edit_id) in self.levels

    def rejection(self, edit_id: EditId | str) -> str | None:
        """The rejection level the pack gives the edit, or ``None`` when the edit is off."""
        return self.levels.get(EditId.of(edit_id))

    def gives_no_participation(self, edit_id: EditId | str) -> bool:
        """True when failing the edit makes the transaction status NP rather than RJ."""
        return EditId.of(edit_id) in self.no_participation

    def edits(self) -> tuple[EditId, ...]:
        """The edits that are on, in catalogue order."""
        return tuple(self.levels)


def packs() -> tuple[str, ...]:
    """Keys of the packs shipped with the gateway, sorted."""
    return tuple(sorted(_packaged_files()))


def load_pack(name_or_society_code: str, family: str = "2") -> RulePack:
    """Load a shipped pack by key or name (``"gema"``) or by a society code it serves (``"035"``).

    ``family`` is ``"2"`` or ``"3"``, or a version (``"2.1"``, ``"2.2"``, ``"3.0"``, ``"3.1"``;
    the HDR forms ``"02.10"``/``"02.20"`` are accepted too) to apply version tables as well.
    """
    return _load_packaged(_resolve(name_or_society_code), _version(family))


def _version(family: str) -> str:
    value = _VERSION.get(family.strip(), family.strip())
    if value not in _TABLES:
        known = ", ".join(repr(v) for v in (*_TABLES, *_VERSION))
        raise PackError(f"unknown CWR family or version {family!r}; use one of {known}")
    return value


def _resolve(name_or_code: str) -> str:
    wanted = name_or_code.strip().lower()
    available = _packaged_files()
    if wanted.isdigit() and len(wanted) <= 3:
        key = _society_index().get(wanted.zfill(3))
        if key is not None:
            return key
    elif wanted in available:
        return wanted
    else:
        for key in available:
            if _pack_name(key).lower() == wanted:
                return key
    listing = "; ".join(
        f"{key} ({', '.join(codes) or 'no society code'})"
        for key, codes in sorted(_pack_societies().items())
    )
    raise PackError(f"no rule pack for {name_or_code!r}; known packs: {listing}")


@cache
def _packaged_files() -> Mapping[str, Traversable]:
    folder = files("gateway").joinpath("validation", "packs")
    found = {
        entry.name.removesuffix(".toml"): entry
        for entry in folder.iterdir()
        if entry.name.endswith(".toml") and entry.is_file()
    }
    return MappingProxyType(dict(sorted(found.items())))


@cache
def _raw_packaged(key: str) -> Mapping[str, Any]:
    return _parse(_packaged_files()[key].read_text(encoding="utf-8"), f"{key}.toml")


def _pack_name(key: str) -> str:
    name = _raw_packaged(key).get("name")
    return name if isinstance(name, str) else key


@cache
def _pack_societies() -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType(
        {key: _societies(_raw_packaged(key), f"{key}.toml") for key in _packaged_files()}
    )


@cache
def _society_index() -> Mapping[str, str]:
    index: dict[str, str] = {}
    for key, codes in _pack_societies().items():
        for code in codes:
            if code in index:
                raise PackError(
                    f"{key}.toml: societies: {code} is served by {index[code]}.toml already"
                )
            index[code] = key
    return MappingProxyType(index)


@cache
def _load_packaged(key: str, version: str) -> RulePack:
    return _build(
        key,
        raw=_raw_packaged(key),
        source=f"{key}.toml",
        version=version,
        parent_of=_packaged_parent,
        chain=(),
    )


def _packaged_parent(key: str, version: str, chain: tuple[str, ...]) -> RulePack:
    if key not in _packaged_files():
        raise KeyError(key)
    if chain:
        return _build(
            key,
            raw=_raw_packaged(key),
            source=f"{key}.toml",
            version=version,
            parent_of=_packaged_parent,
            chain=chain,
        )
    return _load_packaged(key, version)


def _load_path(path: Path, family: str = "2") -> RulePack:
    """Load a pack from a file; ``extends`` names a sibling file, else a shipped pack."""
    version = _version(family)

    def parent(key: str, version: str, chain: tuple[str, ...]) -> RulePack:
        sibling = path.parent / f"{key}.toml"
        if sibling.is_file():
            raw = _parse(sibling.read_text(encoding="utf-8"), sibling.name)
            return _build(
                key, raw=raw, source=sibling.name, version=version, parent_of=parent, chain=chain
            )
        return _packaged_parent(key, version, chain)

    raw = _parse(path.read_text(encoding="utf-8"), path.name)
    return _build(path.stem, raw=raw, source=path.name, version=version, parent_of=parent, chain=())


_Parent = Callable[[str, str, tuple[str, ...]], RulePack]
_T = TypeVar("_T")


def _parse(text: str, source: str) -> Mapping[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PackError(f"{source}: not valid TOML: {error}") from None


def _societies(raw: Mapping[str, Any], source: str) -> tuple[str, ...]:
    value = raw.get("societies")
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise PackError(f"{source}: societies: must be a list of 3-digit society code strings")
    for code in value:
        if not _SOCIETY.fullmatch(code):
            raise PackError(f"{source}: societies: {code!r} is not a 3-digit society code")
    if len(set(value)) != len(value):
        raise PackError(f"{source}: societies: a code is listed twice")
    return tuple(value)


def _build(
    key: str,
    *,
    raw: Mapping[str, Any],
    source: str,
    version: str,
    parent_of: _Parent,
    chain: tuple[str, ...],
) -> RulePack:
    if key in chain:
        raise PackError(f"{source}: extends: circular ({' -> '.join((*chain, key))})")
    unknown = sorted(set(raw) - _TOP_KEYS - _ALL_TABLES)
    if unknown:
        allowed = ", ".join(sorted(_TOP_KEYS | _ALL_TABLES))
        raise PackError(f"{source}: unknown key {unknown[0]!r}; allowed: {allowed}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PackError(f"{source}: name: must be a non-empty string")
    description = _optional(raw, "description", str, default="", source=source)
    societies = _societies(raw, source)
    extends = _optional(raw, "extends", str, default="", source=source) or None
    generic = _optional(raw, "enable_generic_edits", bool, default=False, source=source)
    society_edits = _optional(raw, "enable_society_edits", bool, default=False, source=source)
    for table in _ALL_TABLES & set(raw):
        _check_table(raw[table], table, source, table[3])  # "cwr22" -> family "2"

    family = family_of(version)
    cat = catalogue(family)
    levels: dict[EditId, str] = {}
    no_participation: set[EditId] = set()
    if extends is not None:
        if not _KEY.fullmatch(extends):
            raise PackError(
                f"{source}: extends: {extends!r} is not a pack key (a file name such as 'cisac')"
            )
        try:
            base = parent_of(extends, version, (*chain, key))
        except KeyError:
            raise PackError(
                f"{source}: extends: no pack {extends!r}; known packs: {', '.join(packs())}"
            ) from None
        levels.update(base.levels)
        no_participation.update(base.no_participation)

    own = frozenset(societies)
    for edit_id, rows in cat.items():
        if generic and any(row.generic for row in rows):
            levels.setdefault(edit_id, _row_for(rows, own).rejection)
        if society_edits and any(row.society in own for row in rows):
            levels[edit_id] = _row_for(rows, own).rejection

    for table in _TABLES[version]:
        if table in raw:
            _apply(
                raw[table],
                table,
                source=source,
                cat=cat,
                societies=own,
                levels=levels,
                no_participation=no_participation,
            )

    ordered = {edit_id: levels[edit_id] for edit_id in cat if edit_id in levels}
    return RulePack(
        key=key,
        name=name.strip(),
        family=version,
        societies=societies,
        extends=extends,
        levels=MappingProxyType(ordered),
        no_participation=frozenset(no_participation & set(ordered)),
        description=description,
    )


def _optional(raw: Mapping[str, Any], key: str, kind: type[_T], *, default: _T, source: str) -> _T:
    if key not in raw:
        return default
    value = raw[key]
    if not isinstance(value, kind):
        raise PackError(f"{source}: {key}: must be a {kind.__name__}")
    return value


def _row_for(rows: tuple[Edit, ...], societies: frozenset[str]) -> Edit:
    for row in rows:
        if row.society in societies:
            return row
    return rows[0]  # the generic row comes first when there is one


def _check_table(table: object, name: str, source: str, family: str) -> None:
    if not isinstance(table, dict):
        raise PackError(f"{source}: {name}: must be a table")
    unknown = sorted(set(table) - set(_TABLE_KEYS))
    if unknown:
        raise PackError(
            f"{source}: {name}.{unknown[0]}: unknown key; allowed: {', '.join(_TABLE_KEYS)}"
        )
    cat = catalogue(family)
    seen: dict[EditId, str] = {}
    for list_key in ("enable", "disable", "no_participation"):
        entries = table.get(list_key, [])
        if not isinstance(entries, list):
            raise PackError(f"{source}: {name}.{list_key}: must be a list of edit ids")
        for index, entry in enumerate(entries):
            where = f"{name}.{list_key}[{index}]"
            edit_id = _edit_id(entry, where, source, cat, family)
            if list_key != "no_participation":
                if edit_id in seen:
                    raise PackError(
                        f"{source}: {where}: {edit_id} is listed in {seen[edit_id]} already"
                    )
                seen[edit_id] = f"{name}.{list_key}"
        ids = [str(EditId.of(entry)) for entry in entries]
        if len(set(ids)) != len(ids):
            raise PackError(f"{source}: {name}.{list_key}: an edit is listed twice")
    relevels = table.get("rejection", {})
    if not isinstance(relevels, dict):
        raise PackError(f"{source}: {name}.rejection: must be a table of edit id = level")
    for entry, level in relevels.items():
        where = f"{name}.rejection.{entry!r}"
        _edit_id(entry, where, source, cat, family)
        if level not in REJECTIONS:
            raise PackError(
                f"{source}: {where}: level {level!r} is not one of {', '.join(REJECTIONS)}"
            )


def _edit_id(
    entry: object, where: str, source: str, cat: Mapping[EditId, object], family: str
) -> EditId:
    if not isinstance(entry, str):
        raise PackError(f"{source}: {where}: must be a string such as 'NWR T 030'")
    try:
        edit_id = EditId.parse(entry)
    except ValueError as error:
        raise PackError(f"{source}: {where}: {error}") from None
    if edit_id not in cat:
        raise PackError(f"{source}: {where}: {edit_id} is not in the CWR {family}.x catalogue")
    return edit_id


def _apply(
    table: Mapping[str, Any],
    name: str,
    *,
    source: str,
    cat: Mapping[EditId, tuple[Edit, ...]],
    societies: frozenset[str],
    levels: dict[EditId, str],
    no_participation: set[EditId],
) -> None:
    def ids(list_key: str) -> Iterable[tuple[str, EditId]]:
        for index, entry in enumerate(table.get(list_key, [])):
            yield f"{name}.{list_key}[{index}]", EditId.parse(entry)

    for _, edit_id in ids("enable"):
        levels[edit_id] = _row_for(cat[edit_id], societies).rejection
    for where, edit_id in ids("disable"):
        if edit_id not in levels:
            raise PackError(f"{source}: {where}: {edit_id} is not switched on")
        del levels[edit_id]
        no_participation.discard(edit_id)
    for entry, level in table.get("rejection", {}).items():
        edit_id = EditId.parse(entry)
        if edit_id not in levels:
            raise PackError(f"{source}: {name}.rejection.{entry!r}: {edit_id} is not switched on")
        levels[edit_id] = level
    for where, edit_id in ids("no_participation"):
        if edit_id not in levels:
            raise PackError(f"{source}: {where}: {edit_id} is not switched on")
        no_participation.add(edit_id)
