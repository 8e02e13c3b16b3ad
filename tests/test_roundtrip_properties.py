"""Property: any canonical work the strict writer writes, the reader reads back unchanged."""

from __future__ import annotations

import io
from dataclasses import fields

from builders import cwr_bytes
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import CWR_CHARACTERS, works

from gateway.formats.cwr.events import TransactionRead
from gateway.formats.cwr.layouts import layout_set
from gateway.formats.cwr.reader import read_cwr
from gateway.model import Issue, Record, Work


def round_trip(record: Work, version: str) -> tuple[Work, list[Issue], bytes]:
    """The work as read back from the file the strict writer makes of it, and the read issues."""
    data = cwr_bytes([record], version)
    events = list(read_cwr(io.BytesIO(data)))
    (read,) = [e for e in events if isinstance(e, TransactionRead)]
    back = read.transaction.record
    assert isinstance(back, Work)
    return back, [i for e in events for i in e.issues], data


def has_22_only_data(record: Work) -> bool:
    """Whether the work holds anything CWR 2.1 has no place for."""
    pwr_chains = any(
        link.publisher_sequence is not None for w in record.writers for link in w.publishers
    )
    other_collection = any(
        t.record_type == "OPT" for p in record.publishers for t in p.territories
    ) or any(t.record_type == "OWT" for w in record.writers for t in w.territories)
    owr_links = any(w.record_type == "OWR" and w.publishers for w in record.writers)
    rec_22 = any(
        r.recording_title
        or r.version_title
        or r.display_artist
        or r.record_label
        or r.isrc_validity
        or r.submitter_recording_identifier
        for r in record.recordings
    )
    return bool(pwr_chains or other_collection or owr_links or rec_22 or record.cross_references)


@settings(max_examples=200, deadline=None)
@given(works("2.2"))
def test_22_round_trip(record: Work) -> None:
    """A work written as CWR 2.2 reads back as an equal Work."""
    back, _, _ = round_trip(record, "2.2")
    assert back == record


@settings(max_examples=200, deadline=None)
@given(works("2.1"))
def test_21_round_trip(record: Work) -> None:
    """A work without 2.2-only data written as CWR 2.1 reads back as an equal Work."""
    assert not has_22_only_data(record)
    back, _, _ = round_trip(record, "2.1")
    assert back == record


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["2.1", "2.2"]).flatmap(lambda v: st.tuples(st.just(v), works(v))))
def test_written_file_is_well_formed(case: tuple[str, Work]) -> None:
    """The file has full-length CRLF records, in upper case, with no envelope or sequence fault."""
    version, record = case
    _, issues, data = round_trip(record, version)
    layouts = layout_set(version).layouts
    text = data.decode("latin-1")
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    for line in lines:
        assert len(line) == layouts[line[:3]].length
        assert line == line.upper()
    assert [i.edit for i in issues if i.edit[:3] in ("FIL", "GRH", "GRT", "TRL")] == []
    assert [i for i in issues if i.edit == "GW F 001"] == []  # nothing in lower case


@settings(max_examples=200, deadline=None)
@given(works("2.2"))
def test_every_record_keeps_its_place(record: Work) -> None:
    """Territories and PWR links come back under the party they were written under."""
    back, _, _ = round_trip(record, "2.2")
    assert [p.interested_party_number for p in back.publishers] == [
        p.interested_party_number for p in record.publishers
    ]
    for old_p, new_p in zip(record.publishers, back.publishers, strict=True):
        assert {t.interested_party_number for t in new_p.territories} <= {
            old_p.interested_party_number
        }
        assert new_p.territories == old_p.territories
    for old_w, new_w in zip(record.writers, back.writers, strict=True):
        assert new_w.territories == old_w.territories
        assert new_w.publishers == old_w.publishers
        assert {link.writer_ip_number for link in new_w.publishers} <= {
            old_w.interested_party_number
        }


@settings(max_examples=200, deadline=None)
@given(works("2.2"))
def test_generated_text_fits_the_character_set(record: Work) -> None:
    """The strategy keeps to the CWR character set in upper case and to each field's size."""
    layouts = layout_set("2.2").layouts

    def check(r: Record) -> None:
        layout = layouts[r.record_type]
        for f in layout.model_fields:
            value = getattr(r, f.name)
            if isinstance(value, str):
                assert len(value) <= f.size
                assert set(value) <= set(CWR_CHARACTERS)
                assert value == value.rstrip()
        for attribute in fields(r):
            child = getattr(r, attribute.name)
            for item in child if isinstance(child, tuple) else ():
                if isinstance(item, Record):
                    check(item)

    check(record)
