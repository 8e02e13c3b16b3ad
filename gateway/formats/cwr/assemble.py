"""Records of one transaction to the canonical model, driven by the record-type table.

Each detail record attaches to the most recent record of one of its parent types (an SPT to
the SPU above it, a PWR to the last SWR or OWR ...) and fills the attribute the table names.
No record type has its own code path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from gateway.model import MODEL_CLASSES, Record, TransactionRecord
from gateway.model.base import factory

if TYPE_CHECKING:
    from gateway.formats.cwr.layouts import RecordType


@dataclass(slots=True)
class _Node:
    record_type: str
    values: Mapping[str, Any]  # as decoded: shared, read only
    index: int  # position of the record in the transaction as read
    text: str | None = None  # the record after its prefix, which alone gives its values
    children: dict[str, list[_Node]] | None = None  # made for the records that have some


# Records built of a text before, per record type and text (see TransactionBuilder).
Leaves = dict[tuple[str, str], Record]
_MAX_LEAVES = 4096  # texts remembered (then forgotten all at once)


class TransactionBuilder:
    """Collects the records of one transaction and builds its model."""

    def __init__(
        self,
        record_types: dict[str, RecordType],
        header: str,
        values: Mapping[str, Any],
        leaves: Leaves | None = None,
    ) -> None:
        self._types = record_types
        # A record with no records under it is a function of its text: one built in an
        # earlier transaction of the file is used again (frozen), a catalogue repeating its
        # territories and links from work to work. Not twice in one transaction: the
        # positions below (and rules) tell a transaction's records apart by identity.
        self._leaves = leaves if leaves is not None else {}
        self._root = _Node(header, values, 0)
        # id() of each built model record -> its position in the transaction as read.
        self.positions: dict[int, int] = {}
        self._last: dict[str, tuple[int, _Node]] = {header: (0, self._root)}
        self._count = 1

    def fill_header(self, values: Mapping[str, Any]) -> None:
        """Give the header record its values (decoded after the transaction opened)."""
        self._root.values = {**self._root.values, **values}

    @property
    def header_type(self) -> str:
        """The record type that opened the transaction."""
        return self._root.record_type

    def accepts(self, record_type: str) -> bool:
        """Whether a record of this type has a parent in the transaction so far."""
        rt = self._types.get(record_type)
        return rt is not None and any(p in self._last for p in rt.parents)

    def add(
        self, record_type: str, values: Mapping[str, Any], index: int, text: str | None = None
    ) -> str | None:
        """Attach a record; returns a reason when it cannot be placed (it is then left out).

        ``text``: the record after its prefix, when its ``values`` are all decoded from it.
        """
        rt = self._types[record_type]
        parent: _Node | None = None
        newest = -1
        for candidate in rt.parents:
            found = self._last.get(candidate)
            if found is not None and found[0] > newest:
                newest, parent = found
        if parent is None:
            return f"{record_type} needs a preceding {' or '.join(rt.parents)} in the transaction"
        if parent.children is None:
            parent.children = {}
        siblings = parent.children.setdefault(rt.attribute, [])
        if not rt.many and siblings:
            return f"only one {record_type} may follow {parent.record_type}; this one is left out"
        node = _Node(record_type, values, index, text)
        siblings.append(node)
        self._count += 1
        self._last[record_type] = (self._count, node)
        return None

    def build(self) -> TransactionRecord:
        """The transaction's model: frozen records all the way down."""
        return cast("TransactionRecord", self._build(self._root))

    def _build(self, node: _Node) -> Record:
        key = None
        if node.text is not None and not node.children:
            key = (node.record_type, node.text)
            known = self._leaves.get(key)
            if known is not None and id(known) not in self.positions:
                self.positions[id(known)] = node.index
                return known
        record = self._made(node)
        if key is not None:
            if len(self._leaves) >= _MAX_LEAVES:
                self._leaves.clear()
            self._leaves[key] = record
        return record

    def _made(self, node: _Node) -> Record:
        make = _factory(self._types[node.record_type].model)
        kwargs = node.values  # a record as decoded (most): read as it is, not changed
        if node.children or kwargs.get("record_type") != node.record_type:
            kwargs = {**kwargs, "record_type": node.record_type}  # decoded values are shared
            for attribute, children in (node.children or {}).items():
                built = [self._build(child) for child in children]
                kwargs[attribute] = (
                    tuple(built) if self._types[children[0].record_type].many else built[0]
                )
        record = make(kwargs)
        self.positions[id(record)] = node.index
        return record


@cache
def _factory(model: str) -> Callable[[Mapping[str, Any]], Record]:
    return factory(MODEL_CLASSES[model])
