"""Hypothesis strategies for canonical works a CWR 2.x file can carry without loss.

Field values are drawn from the version's layout tables, so each value fits its field: text from
the CWR character set in upper case and no longer than the field, without trailing blanks (the
reader strips them); numbers and shares as ints (the writer turns None into zeros, which read
back as 0); times always set (a zero duration reads back as 00:00:00, not None); dates set or
None (zeros read back as None). Parties are structured as real registrations are: publisher
chains with their territories, writers with theirs and PWR links to the publishers.
"""

from __future__ import annotations

import string
from datetime import date
from functools import cache
from typing import Any

from hypothesis import strategies as st

from gateway import codes
from gateway.formats.cwr.layouts import layout_set
from gateway.formats.edi.layout import Field
from gateway.model import (
    AlternateTitle,
    CrossReference,
    Performer,
    Publisher,
    PublisherForWriter,
    PublisherTerritory,
    Recording,
    Work,
    Writer,
    WriterTerritory,
)

# Upper-case letters, digits and the punctuation of the CIS character set's title and name ranges.
CWR_CHARACTERS = string.ascii_uppercase + string.digits + " !\"#$%&'()*+,-./:;<=>?@[]_"
IP_CHARACTERS = string.ascii_uppercase + string.digits
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2099, 12, 31)
# Fields the work strategy sets itself, to keep chains, links and party numbers consistent.
STRUCTURE = frozenset(
    {
        "publisher_sequence",
        "interested_party_number",
        "sequence",
        "publisher_ip_number",
        "writer_ip_number",
        "publisher_name",
    }
)


def text(size: int, *, alphabet: str = CWR_CHARACTERS, min_size: int = 0) -> st.SearchStrategy[str]:
    """Text of at most ``size`` characters with neither leading nor trailing blanks."""
    return (
        st.text(alphabet, min_size=min_size, max_size=size)
        .map(str.strip)
        .filter(lambda t: len(t) >= min_size)
    )


@cache
def _choices(lookup: str, size: int) -> tuple[str, ...]:
    if lookup.startswith("="):
        return tuple(lookup[1:].split("|"))
    try:
        allowed = codes.lookup(lookup)
    except KeyError:
        return ()
    return tuple(sorted(v for v in allowed if v and len(v) <= size and v == v.strip()))


def field_values(f: Field) -> st.SearchStrategy[Any]:
    """Values of one layout field that the writer writes and the reader reads back as they are."""
    if f.kind == "share":
        return st.integers(0, 10000)
    if f.kind == "int":
        return st.integers(0, 10**f.size - 1)
    if f.kind == "date":
        return st.none() | st.dates(FIRST_DATE, LAST_DATE)
    if f.kind == "time":
        return st.times().map(lambda t: t.replace(microsecond=0))
    mandatory = f.required == "M"
    choices = _choices(f.lookup, f.size) if f.lookup else ()
    if f.fmt == "F" and not choices:
        choices = ("Y", "N", "U")
    elif f.fmt == "B" and not choices:
        choices = ("Y", "N")
    if choices:
        values: st.SearchStrategy[str] = st.sampled_from(choices)
    elif f.fmt == "N":  # numbers kept as text: zero-filled to the field, as CWR writes them
        values = st.integers(0, 10**f.size - 1).map(lambda n: str(n).zfill(f.size))
    else:
        values = text(f.size, min_size=1)
    return values if mandatory else st.just("") | values


def record_values(
    record_type: str, version: str, **fixed: Any
) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for a model record: every layout field drawn, ``fixed`` ones given."""
    layout = layout_set(version).layouts[record_type]
    drawn = {
        f.name: field_values(f)
        for f in layout.model_fields
        if f.name not in fixed and f.name not in STRUCTURE
    }
    return st.fixed_dictionaries(drawn).map(lambda d: {"record_type": record_type, **d, **fixed})


@st.composite
def party_number(draw: st.DrawFn, index: int, prefix: str) -> str:
    """A 9-character-or-shorter interested party number, unique by its index."""
    return draw(text(5, alphabet=IP_CHARACTERS)) + f"{prefix}{index:03d}"


@st.composite
def publishers(draw: st.DrawFn, version: str) -> tuple[Publisher, ...]:
    """0-3 publishers in 1-3 chains: SPUs collect in SPT territories, OPUs in OPT (2.2)."""
    count = draw(st.integers(0, 3))
    chain = 0
    out: list[Publisher] = []
    for index in range(count):
        if chain == 0 or draw(st.booleans()):
            chain += 1
        record_type = draw(st.sampled_from(["SPU", "OPU"]))
        ip = draw(party_number(index, "P"))
        territory_type = "SPT" if record_type == "SPU" else "OPT"
        territories: list[PublisherTerritory] = []
        if version == "2.2" or territory_type == "SPT":
            for sequence in range(1, draw(st.integers(0, 3)) + 1):
                values = draw(
                    record_values(
                        territory_type, version, interested_party_number=ip, sequence=sequence
                    )
                )
                territories.append(PublisherTerritory(**values))
        values = draw(
            record_values(
                record_type, version, publisher_sequence=chain, interested_party_number=ip
            )
        )
        out.append(Publisher(**values, territories=tuple(territories)))
    return tuple(out)


@st.composite
def writers(draw: st.DrawFn, version: str, chains: tuple[Publisher, ...]) -> tuple[Writer, ...]:
    """1-3 writers: SWRs with SWT territories and PWR links to the chains; OWRs with OWT (2.2)."""
    out: list[Writer] = []
    for index in range(draw(st.integers(1, 3))):
        record_type = draw(st.sampled_from(["SWR", "OWR"]))
        ip = draw(party_number(index, "W"))
        territory_type = "SWT" if record_type == "SWR" else "OWT"
        territories: list[WriterTerritory] = []
        if version == "2.2" or territory_type == "SWT":
            for sequence in range(1, draw(st.integers(0, 3)) + 1):
                values = draw(
                    record_values(
                        territory_type, version, interested_party_number=ip, sequence=sequence
                    )
                )
                territories.append(WriterTerritory(**values))
        links: list[PublisherForWriter] = []
        # PWR may follow an OWR only since 2.2.
        if chains and (record_type == "SWR" or version == "2.2"):
            for linked in draw(st.lists(st.sampled_from(chains), max_size=2)):
                fixed: dict[str, Any] = {
                    "publisher_ip_number": linked.interested_party_number,
                    "publisher_name": linked.name,
                    "writer_ip_number": ip,
                }
                if version == "2.2":
                    fixed["publisher_sequence"] = linked.publisher_sequence
                links.append(PublisherForWriter(**draw(record_values("PWR", version, **fixed))))
        values = draw(record_values(record_type, version, interested_party_number=ip))
        out.append(Writer(**values, territories=tuple(territories), publishers=tuple(links)))
    return tuple(out)


@st.composite
def works(draw: st.DrawFn, version: str = "2.2") -> Work:
    """A registration (NWR or REV) with parties, titles, performers and recordings.

    For 2.1 the work holds nothing 2.1 cannot carry: no OPT, OWT, XRF, PWR after an OWR, PWR
    publisher sequence or 2.2 REC fields (the 2.1 layouts simply do not draw them).
    """
    record_type = draw(st.sampled_from(["NWR", "REV"]))
    header = draw(record_values(record_type, version))
    chains = draw(publishers(version))
    parties = draw(writers(version, chains))
    alternate_titles = draw(
        st.lists(record_values("ALT", version).map(lambda v: AlternateTitle(**v)), max_size=3)
    )
    performers = draw(
        st.lists(record_values("PER", version).map(lambda v: Performer(**v)), max_size=3)
    )
    recordings = draw(
        st.lists(record_values("REC", version).map(lambda v: Recording(**v)), max_size=2)
    )
    cross_references: list[CrossReference] = []
    if version == "2.2":
        cross_references = draw(
            st.lists(record_values("XRF", version).map(lambda v: CrossReference(**v)), max_size=2)
        )
    return Work(
        **header,
        publishers=chains,
        writers=parties,
        alternate_titles=tuple(alternate_titles),
        performers=tuple(performers),
        recordings=tuple(recordings),
        cross_references=tuple(cross_references),
    )
