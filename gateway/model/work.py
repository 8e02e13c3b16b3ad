"""Musical works and everything a registration says about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from gateway.model.base import Record
from gateway.model.parties import IswcWriter, Publisher, Writer, WriterNonRomanName


@dataclass(frozen=True, slots=True, kw_only=True)
class Work(Record):
    """A musical work: NWR / REV / ISW / EXC in 2.x (new, revised, ISWC notice, conflict)."""

    title: str = ""
    language_code: str = ""
    submitter_work_number: str = ""
    iswc: str = ""
    copyright_date: date | None = None
    copyright_number: str = ""
    distribution_category: str = ""
    duration: time | None = None
    recorded_indicator: str = ""
    text_music_relationship: str = ""
    composite_type: str = ""
    version_type: str = ""
    excerpt_type: str = ""
    music_arrangement: str = ""
    lyric_adaptation: str = ""
    contact_name: str = ""
    contact_id: str = ""
    cwr_work_type: str = ""
    grand_rights_indicator: str = ""
    composite_component_count: int | None = None
    printed_edition_publication_date: date | None = None
    exceptional_clause: str = ""
    opus_number: str = ""
    catalogue_number: str = ""
    priority_flag: str = ""
    retraction_reason: str = ""
    iswc_preferred_indicator: str = ""
    publishers: tuple[Publisher, ...] = ()
    writers: tuple[Writer, ...] = ()
    alternate_titles: tuple[AlternateTitle, ...] = ()
    non_roman_titles: tuple[NonRomanTitle, ...] = ()
    entire_work: SourceWork | None = None
    original_work: SourceWork | None = None
    performers: tuple[Performer, ...] = ()
    non_roman_performers: tuple[NonRomanPerformer, ...] = ()
    recordings: tuple[Recording, ...] = ()
    origins: tuple[Origin, ...] = ()
    instrumentation: tuple[Instrumentation, ...] = ()
    instruments: tuple[InstrumentDetail, ...] = ()
    components: tuple[SourceWork, ...] = ()
    additional_info: tuple[AdditionalInfo, ...] = ()
    cross_references: tuple[CrossReference, ...] = ()
    original_works: tuple[SourceWork, ...] = ()
    non_roman_recordings: tuple[NonRomanRecording, ...] = ()
    audio_visual_productions: tuple[AudioVisualProduction, ...] = ()
    iswc_writers: tuple[IswcWriter, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AlternateTitle(Record):
    """ALT (alternate title)."""

    title: str = ""
    title_type: str = ""
    language_code: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class NonRomanTitle(Record):
    """A non-Roman title: NAT (work), NET (entire work), NVT (version), NCT (component)."""

    title: str = ""
    title_type: str = ""
    language_code: str = ""
    script_code: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceWork(Record):
    """Another work this one uses: EWT (entire work), VER (original work), COM (component)."""

    title: str = ""
    iswc: str = ""
    language_code: str = ""
    writer_1_last_name: str = ""
    writer_1_first_name: str = ""
    source: str = ""
    writer_1_ipi_name_number: str = ""
    writer_1_ipi_base_number: str = ""
    writer_2_last_name: str = ""
    writer_2_first_name: str = ""
    writer_2_ipi_name_number: str = ""
    writer_2_ipi_base_number: str = ""
    submitter_work_number: str = ""
    duration: time | None = None
    opus_number: str = ""
    catalogue_number: str = ""
    non_roman_titles: tuple[NonRomanTitle, ...] = ()
    non_roman_writers: tuple[WriterNonRomanName, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Performer(Record):
    """PER (performing artist)."""

    last_name: str = ""
    first_name: str = ""
    ipi_name_number: str = ""
    ipi_base_number: str = ""
    isni: str = ""
    performance_language: str = ""
    performance_dialect: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class NonRomanPerformer(Record):
    """NPR (performing artist name in non-roman alphabet)."""

    last_name: str = ""
    first_name: str = ""
    ipi_name_number: str = ""
    ipi_base_number: str = ""
    language_code: str = ""
    performance_language: str = ""
    performance_dialect: str = ""
    isni: str = ""
    script_code: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording(Record):
    """REC (recording detail)."""

    first_release_date: date | None = None
    first_release_duration: time | None = None
    first_album_title: str = ""
    first_album_label: str = ""
    first_release_catalog_number: str = ""
    ean: str = ""
    isrc: str = ""
    recording_format: str = ""
    recording_technique: str = ""
    media_type: str = ""
    recording_title: str = ""
    version_title: str = ""
    display_artist: str = ""
    record_label: str = ""
    isrc_validity: str = ""
    submitter_recording_identifier: str = ""
    display_artist_ipi_name_number: str = ""
    display_artist_isni: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class NonRomanRecording(Record):
    """NRC (non-roman alphabet recording detail, 3.x)."""

    first_release_date: date | None = None
    first_release_duration: time | None = None
    isrc: str = ""
    recording_title: str = ""
    version_title: str = ""
    display_artist: str = ""
    display_artist_ipi_name_number: str = ""
    display_artist_isni: str = ""
    record_label: str = ""
    isrc_validity: str = ""
    submitter_recording_identifier: str = ""
    language_code: str = ""
    script_code: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Origin(Record):
    """ORN (work origin)."""

    intended_purpose: str = ""
    production_title: str = ""
    cd_identifier: str = ""
    cut_number: int | None = None
    library: str = ""
    bltvr: str = ""
    v_isan: str = ""
    production_number: str = ""
    episode_title: str = ""
    episode_number: str = ""
    year_of_production: int | None = None
    avi_society_code: str = ""
    audio_visual_number: str = ""
    isan: str = ""
    isan_episode: str = ""
    isan_check_digit_1: str = ""
    isan_version: str = ""
    isan_check_digit_2: str = ""
    eidr: str = ""
    eidr_check_digit: str = ""
    version_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioVisualProduction(Record):
    """FTV (audio-visual production the work is licensed into, 3.x)."""

    intended_purpose: str = ""
    production_title: str = ""
    production_number: str = ""
    episode_title: str = ""
    episode_number: str = ""
    year_of_production: int | None = None
    avi_society_code: str = ""
    audio_visual_number: str = ""
    isan: str = ""
    isan_episode: str = ""
    isan_check_digit_1: str = ""
    isan_version: str = ""
    isan_check_digit_2: str = ""
    eidr: str = ""
    eidr_check_digit: str = ""
    version_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Instrumentation(Record):
    """INS (instrumentation summary)."""

    number_of_voices: int | None = None
    standard_instrumentation_type: str = ""
    instrumentation_description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class InstrumentDetail(Record):
    """IND (instrumentation detail)."""

    instrument_code: str = ""
    number_of_players: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AdditionalInfo(Record):
    """ARI (additional related information)."""

    society_code: str = ""
    work_number: str = ""
    right_type: str = ""
    subject_code: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CrossReference(Record):
    """XRF (work id cross reference)."""

    organisation_code: str = ""
    identifier: str = ""
    identifier_type: str = ""
    validity: str = ""
