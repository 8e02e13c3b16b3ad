"""Deterministic mutations of CWR files and XML documents for the fuzzing tests.

A mutation is a named function of a seeded ``random.Random`` and the bytes so far; the same seed
and the same list of names always give the same bytes, so any failure replays from the case's
seed file, its integer seed and its mutation names (see :func:`mutate`).

CWR mutations work on bytes and records (lines); XML mutations edit the element tree when the
document still parses, and fall back to a byte-level change when an earlier mutation broke it.
"""

from __future__ import annotations

import codecs
import copy
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lxml import etree

from gateway.formats.cwr.layouts import record_types
from gateway.formats.xml.mapping import ACK_NS

Mutation = Callable[[random.Random, bytes], bytes]

# Every version's record types, so a replaced code is one the reader knows, just misplaced; and
# FIL (the reader's own name for file-level findings) and ALX (a typo seen in a real sample).
RECORD_TYPES = (*sorted(record_types()), "FIL", "ALX")
DIGITS = b"0123456789"
LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Latin-1 letters, UTF-8 sequences (whole and cut), a NUL, controls and a UTF-8 BOM.
NON_ASCII = (
    b"\xe9",
    b"\xff",
    "é".encode(),
    "漢字".encode(),
    "😀".encode(),
    b"\xe6\xbc",
    b"\x00",
    b"\x1b",
    b"\x7f",
    codecs.BOM_UTF8,
)
LINE_ENDINGS = (b"\n", b"\r\n", b"\r", b"")
LONG_LINE_LENGTHS = (700, 4_096, 4_097, 20_000)  # around the reader's 4,096-byte line limit

# Texts a hostile or careless sender might put in an element or attribute.
XML_TEXTS = (
    "",
    " ",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "12.345.6",
    "2024-02-30",
    "25:61:61",
    "ABC",
    "Ünïcødé 漢字 😀",
    "a" * 5_000,
    " 12 ",
    "<&>\"'",
    "\ufffd",
)
XML_ATTRIBUTE_NAMES = ("RecordType", "FormatVersion", "Bogus", "xml:lang")
DOCTYPES = (
    b'<!DOCTYPE r [<!ENTITY e "boom">]>',
    b'<!DOCTYPE r SYSTEM "file:///etc/passwd">',
    b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>',
    b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    b"<!DOCTYPE r>",
    b"<!ENTITY e 'x'>",
    b"<!doctype r>",
)
ENTITY_REFERENCES = (b"&e;", b"&b;", b"&#0;", b"&#x110000;", b"&#65;", b"&lt;", b"&", b"&#;")
DECLARATIONS = (
    b"<?xml version='1.0' encoding='UTF-8'?>",
    b'<?xml version="1.0" encoding="ISO-8859-1"?>',
    b'<?xml version="1.0" encoding="UTF-16"?>',
    b'<?xml version="1.0" encoding="ascii"?>',
    b'<?xml version="1.0" encoding="EBCDIC-US"?>',
    b'<?xml version="1.0" encoding="no-such-encoding"?>',
    b'<?xml version="1.1"?>',
    b'<?xml version="2.0"?>',
    b"<?xml?>",
    b"",
)
ENCODINGS = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "utf-8-sig")
EXTRA_MARKUP = (
    b"<!-- a comment -->",
    b"<?pi data?>",
    b"<![CDATA[<not markup> & ]]>",
    b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"/>',
    b"</Work>",
    b"<Work>",
    b"<Unknown/>",
    b"]]>",
)
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")
_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


# -- byte mutations: any format ------------------------------------------------------------------


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    """XOR one to eight random bytes with random values."""
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] ^= rng.randint(1, 255)
    return bytes(out)


def insert_random_bytes(rng: random.Random, data: bytes) -> bytes:
    """Insert up to 32 random bytes somewhere."""
    at = rng.randint(0, len(data))
    return data[:at] + rng.randbytes(rng.randint(1, 32)) + data[at:]


def delete_range(rng: random.Random, data: bytes) -> bytes:
    """Delete a run of up to 200 bytes."""
    if not data:
        return data
    start = rng.randrange(len(data))
    return data[:start] + data[start + rng.randint(1, 200) :]


def truncate(rng: random.Random, data: bytes) -> bytes:
    """Cut the data at a random point (possibly to nothing)."""
    return data[: rng.randint(0, len(data))]


# -- CWR mutations: records (lines) and fields ---------------------------------------------------


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def duplicate_line(rng: random.Random, data: bytes) -> bytes:
    """Repeat one record right after itself."""
    lines = _lines(data)
    at = rng.randrange(len(lines))
    lines.insert(at, lines[at])
    return b"".join(lines)


def delete_line(rng: random.Random, data: bytes) -> bytes:
    """Drop one record."""
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"".join(lines)


def swap_lines(rng: random.Random, data: bytes) -> bytes:
    """Exchange two records."""
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


def move_line(rng: random.Random, data: bytes) -> bytes:
    """Take one record out and put it back elsewhere (e.g. a trailer into the middle)."""
    lines = _lines(data)
    line = lines.pop(rng.randrange(len(lines)))
    lines.insert(rng.randint(0, len(lines)), line)
    return b"".join(lines)


def replace_record_type(rng: random.Random, data: bytes) -> bytes:
    """Give one record another record type's code (HDR, GRH, NWR, SPU, TRL ...)."""
    lines = _lines(data)
    at = rng.randrange(len(lines))
    lines[at] = rng.choice(RECORD_TYPES).encode() + lines[at][3:]
    return b"".join(lines)


def overwrite_field(rng: random.Random, data: bytes) -> bytes:
    """Overwrite a stretch of one record with digits, spaces, letters or non-ASCII bytes."""
    lines = _lines(data)
    at = rng.randrange(len(lines))
    line = lines[at]
    body = line.rstrip(b"\r\n")
    start = rng.randint(0, max(len(body) - 1, 0))
    width = rng.randint(1, 20)
    kind = rng.choice(("digits", "spaces", "letters", "non-ascii", "nines", "zeros"))
    filler = _filler(rng, kind, width)
    lines[at] = body[:start] + filler + body[start + width :] + line[len(body) :]
    return b"".join(lines)


def _filler(rng: random.Random, kind: str, width: int) -> bytes:
    if kind == "digits":
        return bytes(rng.choice(DIGITS) for _ in range(width))
    if kind == "letters":
        return bytes(rng.choice(LETTERS) for _ in range(width))
    if kind == "non-ascii":
        return b"".join(rng.choice(NON_ASCII) for _ in range(width))
    return {"spaces": b" ", "nines": b"9", "zeros": b"0"}[kind] * width


def shift_line(rng: random.Random, data: bytes) -> bytes:
    """Insert or remove one character inside a record, shifting every field after it."""
    lines = _lines(data)
    at = rng.randrange(len(lines))
    line = lines[at]
    cut = rng.randint(0, len(line))
    lines[at] = (
        line[:cut] + b" " + line[cut:] if rng.random() < 0.5 else line[:cut] + line[cut + 1 :]
    )
    return b"".join(lines)


def change_line_endings(rng: random.Random, data: bytes) -> bytes:
    """Rejoin the records with LF, CRLF, CR or nothing at all (all of them, or a random few)."""
    lines = [line.rstrip(b"\r\n") for line in _lines(data)]
    if rng.random() < 0.5:
        return rng.choice(LINE_ENDINGS).join(lines)
    return b"".join(line + rng.choice(LINE_ENDINGS) for line in lines)


def insert_long_line(rng: random.Random, data: bytes) -> bytes:
    """Insert a very long record (around the reader's line limit), starting with a real code."""
    lines = _lines(data)
    length = rng.choice(LONG_LINE_LENGTHS)
    code = rng.choice(RECORD_TYPES).encode()
    line = code + bytes(rng.choice(DIGITS + LETTERS + b" ") for _ in range(8)) * (length // 8)
    lines.insert(rng.randint(0, len(lines)), line + b"\r\n")
    return b"".join(lines)


def lower_case_line(rng: random.Random, data: bytes) -> bytes:
    """Lower-case one record (record type and all)."""
    lines = _lines(data)
    at = rng.randrange(len(lines))
    lines[at] = lines[at].lower()
    return b"".join(lines)


def insert_blank_line(rng: random.Random, data: bytes) -> bytes:
    """Insert an empty or all-blank record."""
    lines = _lines(data)
    lines.insert(rng.randint(0, len(lines)), rng.choice((b"\r\n", b"\n", b"   \n", b"\t\r\n")))
    return b"".join(lines)


CWR_MUTATIONS: dict[str, Mutation] = {
    "flip_bytes": flip_bytes,
    "insert_random_bytes": insert_random_bytes,
    "delete_range": delete_range,
    "truncate": truncate,
    "duplicate_line": duplicate_line,
    "delete_line": delete_line,
    "swap_lines": swap_lines,
    "move_line": move_line,
    "replace_record_type": replace_record_type,
    "overwrite_field": overwrite_field,
    "shift_line": shift_line,
    "change_line_endings": change_line_endings,
    "insert_long_line": insert_long_line,
    "lower_case_line": lower_case_line,
    "insert_blank_line": insert_blank_line,
}

# -- XML mutations: the element tree, the prolog, the encoding -----------------------------------


def _parse(data: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return None


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _tree_mutation(edit: Callable[[random.Random, etree._Element], None]) -> Mutation:
    """A mutation that edits the parsed tree; on a document that no longer parses, a byte flip."""

    def mutation(rng: random.Random, data: bytes) -> bytes:
        root = _parse(data)
        if root is None:
            return flip_bytes(rng, data)
        edit(rng, root)
        return _serialise(root)

    mutation.__doc__ = edit.__doc__
    return mutation


def _elements(root: etree._Element) -> list[etree._Element]:
    """Every element below the root (comments and PIs left out)."""
    return [e for e in root.iter() if isinstance(e.tag, str) and e is not root]


def _delete_element(rng: random.Random, root: etree._Element) -> None:
    """Remove one element and everything inside it."""
    elements = _elements(root)
    if elements:
        element = rng.choice(elements)
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)


def _duplicate_element(rng: random.Random, root: etree._Element) -> None:
    """Put a copy of one element right after it."""
    elements = _elements(root)
    if elements:
        element = rng.choice(elements)
        element.addnext(copy.deepcopy(element))


def _reorder_children(rng: random.Random, root: etree._Element) -> None:
    """Shuffle the children of one element."""
    parents = [e for e in [root, *_elements(root)] if len(e) > 1]
    if parents:
        parent = rng.choice(parents)
        children = list(parent)
        rng.shuffle(children)
        parent[:] = children


def _move_element(rng: random.Random, root: etree._Element) -> None:
    """Move one element under another, unrelated, parent."""
    elements = _elements(root)
    if len(elements) > 1:
        element = rng.choice(elements)
        targets = [
            e for e in [root, *elements] if e is not element and element not in e.iterancestors()
        ]
        rng.choice(targets).append(element)


def _change_text(rng: random.Random, root: etree._Element) -> None:
    """Give one leaf element a wrong, empty, huge or non-ASCII text."""
    leaves = [e for e in _elements(root) if len(e) == 0]
    if leaves:
        rng.choice(leaves).text = rng.choice(XML_TEXTS)


def _change_attribute(rng: random.Random, root: etree._Element) -> None:
    """Set, change or delete an attribute of one element."""
    element = rng.choice([root, *_elements(root)])
    name = rng.choice(XML_ATTRIBUTE_NAMES)
    if name == "xml:lang":
        name = "{http://www.w3.org/XML/1998/namespace}lang"
    if name in element.attrib and rng.random() < 0.3:
        del element.attrib[name]
    else:
        element.set(name, rng.choice([*XML_TEXTS, *RECORD_TYPES]))


def _rename_element(rng: random.Random, root: etree._Element) -> None:
    """Give one element another element's name, an unknown name, or another namespace."""
    elements = [root, *_elements(root)]
    element = rng.choice(elements)
    choice = rng.random()
    if choice < 0.5:
        element.tag = rng.choice(elements).tag
    elif choice < 0.8:
        element.tag = "{urn:other}Unknown" if etree.QName(element).namespace else "Unknown"
    else:
        element.tag = etree.QName(ACK_NS, etree.QName(element).localname)


def _nest_deeply(rng: random.Random, root: etree._Element) -> None:
    """Hang a chain of 10 to 300 nested elements under one (the reader's depth limit is 32)."""
    element = rng.choice([root, *_elements(root)])
    for _ in range(rng.choice((10, 31, 32, 33, 300))):
        wrapper = etree.Element(element.tag)
        wrapper.append(etree.Element("Inner"))
        element.append(wrapper)
        element = wrapper


def _strip_namespaces(rng: random.Random, root: etree._Element) -> None:
    """Move every element of a random share of the tree out of its namespace."""
    share = rng.random()
    for element in [root, *_elements(root)]:
        if rng.random() < share:
            element.tag = etree.QName(element).localname


def inject_doctype(rng: random.Random, data: bytes) -> bytes:
    """Put a DOCTYPE or entity declaration in the prolog, or anywhere, and maybe references."""
    doctype = rng.choice(DOCTYPES)
    declaration = _DECLARATION.match(data)
    if rng.random() < 0.7:
        at = declaration.end() if declaration else 0
    else:
        at = rng.randint(0, len(data))
    data = data[:at] + doctype + data[at:]
    return inject_entity_reference(rng, data) if rng.random() < 0.5 else data


def inject_entity_reference(rng: random.Random, data: bytes) -> bytes:
    """Put an entity or character reference (defined, undefined or illegal) into a text."""
    texts = [m.end() for m in re.finditer(rb">(?=[^<])", data)] or [len(data)]
    at = rng.choice(texts)
    return data[:at] + rng.choice(ENTITY_REFERENCES) + data[at:]


def change_declaration(rng: random.Random, data: bytes) -> bytes:
    """Replace the XML declaration with another version or encoding, or drop it."""
    return rng.choice(DECLARATIONS) + _DECLARATION.sub(b"", data, count=1)


def reencode(rng: random.Random, data: bytes) -> bytes:
    """Re-encode the whole document (UTF-16/32 with or without BOM, Latin-1, a UTF-8 BOM)."""
    text = data.decode("utf-8", errors="replace")
    return text.encode(rng.choice(ENCODINGS), errors="replace")


def insert_markup(rng: random.Random, data: bytes) -> bytes:
    """Insert a comment, PI, CDATA section, XInclude, stray tag or ``]]>`` between elements."""
    gaps = [m.start() for m in re.finditer(rb"<", data)] or [0]
    at = rng.choice(gaps)
    return data[:at] + rng.choice(EXTRA_MARKUP) + data[at:]


def add_schema_location(rng: random.Random, data: bytes) -> bytes:
    """Point the root at an outside schema (nothing may fetch it)."""
    root = _parse(data)
    if root is None:
        return flip_bytes(rng, data)
    root.set(
        "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation",
        f"{etree.QName(root).namespace or 'urn:x'} http://127.0.0.1:9/{rng.randint(0, 99)}.xsd",
    )
    return _serialise(root)


XML_MUTATIONS: dict[str, Mutation] = {
    "flip_bytes": flip_bytes,
    "insert_random_bytes": insert_random_bytes,
    "delete_range": delete_range,
    "truncate": truncate,
    "delete_element": _tree_mutation(_delete_element),
    "duplicate_element": _tree_mutation(_duplicate_element),
    "reorder_children": _tree_mutation(_reorder_children),
    "move_element": _tree_mutation(_move_element),
    "change_text": _tree_mutation(_change_text),
    "change_attribute": _tree_mutation(_change_attribute),
    "rename_element": _tree_mutation(_rename_element),
    "nest_deeply": _tree_mutation(_nest_deeply),
    "strip_namespaces": _tree_mutation(_strip_namespaces),
    "inject_doctype": inject_doctype,
    "inject_entity_reference": inject_entity_reference,
    "change_declaration": change_declaration,
    "reencode": reencode,
    "insert_markup": insert_markup,
    "add_schema_location": add_schema_location,
}


# -- cases ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    """One fuzzing input: a seed file, an integer seed and the mutations applied in order."""

    kind: str  # "cwr" or "xml"
    seed_file: str
    seed: int
    mutations: tuple[str, ...]

    def replay(self) -> str:
        """The case as Python that rebuilds it: ``test_fuzz.run_case(<this>)`` replays it."""
        return repr(self)


def table(kind: str) -> dict[str, Mutation]:
    """The mutations of one kind of input."""
    return CWR_MUTATIONS if kind == "cwr" else XML_MUTATIONS


def mutate(kind: str, data: bytes, mutations: Sequence[str], *, seed: int) -> bytes:
    """Apply the named mutations in order, all drawing from one generator seeded with ``seed``."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    mutations_of_kind = table(kind)
    for name in mutations:
        data = mutations_of_kind[name](rng, data)
    return data


def draw_case(rng: random.Random, kind: str, seed_files: Sequence[str]) -> Case:
    """A random case: one of the seed files and one to four mutations of ``kind``."""
    names = sorted(table(kind))
    mutations = tuple(rng.choice(names) for _ in range(rng.randint(1, 4)))
    return Case(kind, rng.choice(seed_files), rng.getrandbits(32), mutations)
