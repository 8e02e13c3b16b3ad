"""CWR file names: parse and build them, and name the acknowledgement that answers one.

Three conventions, all upper-case in meaning; parsing accepts any case:

``CWyynnnnsss_rrr.Vxx`` (CWR 2.x, CWR 2.2 §3.1)
    yy year, nnnn the sender's sequence number, sss the sender and rrr the receiver (2-3
    letters or digits: a publisher code or a 3-digit society code; ``000`` = several
    receivers), Vxx the version (``V21``, ``V22``). Zipped: ``CWyynnnnsss_rrr.zip``, whose name
    does not say the version. A 2.x name does not tell a submission from an acknowledgement.
``CWYYnnnnSUB_REP_VM-m-r.EXT`` (CWR 3.x, CWR 3.1 §2.1)
    SUB and REP are 2-4 letter or digit transmitter codes (``000`` or ``0000`` = several),
    ``VM-m-r`` the version and revision (``V3-1-0``), EXT the file type: ``SUB``, ``ACK1``,
    ``ACK2``, ``ISR``/``ISA`` (ISWC service submission/acknowledgement as the 3.0 specification
    and real files name them) or ``ISWS``/``ISWA``. Zipped: ``CWYYnnnnSUB_REP_VM-m-r_EXT.zip``.
``CWyynnnnsss_rrr.xml`` and ``CWyynnnnsss_rrr_ACK.xml`` (the gateway's XML formats)
    The gateway's own convention: the 2.x fields (sender and receiver 2-4 characters, so 3.x
    transmitter codes fit), so a file keeps its year, sequence, sender and receiver whichever
    format it travels in; ``_ACK`` marks an acknowledgement. The version is inside the document.

Acknowledgements (``ack_name_for``) swap sender and receiver. CWR 2.x says nothing more; the
gateway keeps the submission's year and sequence by default, which is what receivers such as
DMP expect (``CW220001DMP_000.V21`` is answered by ``CW220001052_DMP.V21``). The 3.x example
answers ``CW170037SA_058_V3-0-0.SUB`` with ``CW170058058_SA_V3-0-0_ACK1.zip``, numbered from
the responder's own counter: pass ``sequence=`` to do the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from gateway.routing.errors import FileNameError

__all__ = [
    "CWR2_VERSIONS",
    "CWR3_KINDS",
    "CWR3_VERSIONS",
    "MAX_NAME_LENGTH",
    "CwrFileName",
    "FileNameError",
    "ack_name_for",
    "parse",
    "xml_file_name",
]

CWR2_VERSIONS = ("2.1", "2.2")
CWR3_VERSIONS = ("3.0", "3.1")
CWR3_KINDS = ("SUB", "ACK1", "ACK2", "ISR", "ISA", "ISWS", "ISWA")
XML_KINDS = ("SUB", "ACK")
# The acknowledgement file type answering each 3.x submission type.
_ACK_KIND = {"SUB": "ACK1", "ISR": "ISA", "ISWS": "ISWA"}
# Names arrive from HTTP queries and folders: refuse absurd ones before any regex runs.
MAX_NAME_LENGTH = 255

_CWR2 = re.compile(
    r"CW(?P<year>\d{2})(?P<sequence>\d{4})(?P<sender>[A-Z0-9]{2,3})_(?P<receiver>[A-Z0-9]{2,3})"
    r"\.(?:V(?P<version>\d\d)|(?P<zip>ZIP))"
)
_CWR3 = re.compile(
    r"CW(?P<year>\d{2})(?P<sequence>\d{4})(?P<sender>[A-Z0-9]{2,4})_(?P<receiver>[A-Z0-9]{2,4})"
    r"_V(?P<major>\d)-(?P<minor>\d)-(?P<revision>\d{1,3})"
    r"(?:\.(?P<kind>[A-Z0-9]+)|_(?P<zkind>[A-Z0-9]+)\.ZIP)"
)
_XML = re.compile(
    r"CW(?P<year>\d{2})(?P<sequence>\d{4})(?P<sender>[A-Z0-9]{2,4})_(?P<receiver>[A-Z0-9]{2,4})"
    r"(?P<ack>_ACK)?\.XML"
)
_PARTY = {"2": re.compile(r"[A-Z0-9]{2,3}"), "3": re.compile(r"[A-Z0-9]{2,4}")}
_PARTY["xml"] = _PARTY["3"]
_EXPECTED = {
    "2": "CWyynnnnsss_rrr.Vxx or CWyynnnnsss_rrr.zip (CWR 2.x, e.g. CW060001EMI_044.V21; "
    "sender and receiver 2-3 letters or digits)",
    "3": "CWYYnnnnSUB_REP_VM-m-r.EXT or CWYYnnnnSUB_REP_VM-m-r_EXT.zip (CWR 3.x, "
    "e.g. CW170037SA_058_V3-1-0.SUB; transmitter codes 2-4 letters or digits)",
    "xml": "CWyynnnnsss_rrr.xml or CWyynnnnsss_rrr_ACK.xml (gateway XML, e.g. CW260001052_035.xml)",
}


@dataclass(frozen=True, slots=True)
class CwrFileName:
    """The parts of a CWR (or gateway XML) file name.

    ``kind`` is the 3.x file type (``SUB``, ``ACK1`` ...), ``""`` for a 2.x name (which does not
    say), and ``SUB`` or ``ACK`` for a gateway XML name (``xml=True``). ``version`` is
    ``"2.1"``/``"2.2"``/``"3.0"``/``"3.1"``, or ``None`` where the name does not carry it (a
    zipped 2.x file, an XML file). Sender and receiver are kept upper-case.
    """

    year: int  # two digits, 0-99, as the name writes it
    sequence: int  # 0-9999
    sender: str
    receiver: str
    version: str | None
    kind: str = ""
    revision: int = 0  # 3.x only: the r of VM-m-r
    zipped: bool = False
    xml: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "sender", self.sender.strip().upper())
        object.__setattr__(self, "receiver", self.receiver.strip().upper())
        object.__setattr__(self, "kind", self.kind.strip().upper())
        self._check()

    @property
    def family(self) -> str:
        """``"2"``, ``"3"`` or ``"xml"``: which naming convention the name follows."""
        if self.xml:
            return "xml"
        return "3" if self.kind else "2"

    @property
    def several(self) -> bool:
        """True when the file is addressed to several receivers (``000`` / ``0000``)."""
        return self.receiver in {"000", "0000"}

    def format(self) -> str:
        """The file name, written exactly to its convention."""
        stem = f"CW{self.year:02d}{self.sequence:04d}{self.sender}_{self.receiver}"
        if self.xml:
            return f"{stem}{'_ACK' if self.kind == 'ACK' else ''}.xml"
        if self.kind:
            major, minor = (self.version or "").split(".")
            stem = f"{stem}_V{major}-{minor}-{self.revision}"
            return f"{stem}_{self.kind}.zip" if self.zipped else f"{stem}.{self.kind}"
        if self.zipped:
            return f"{stem}.zip"
        if self.version is None:
            raise FileNameError(f"{stem}: a 2.x file name needs its version unless it is zipped")
        return f"{stem}.V{self.version.replace('.', '')}"

    def unzipped(self, version: str | None = None) -> CwrFileName:
        """The name of the file inside this zip (a 2.x zip does not say its version: pass it)."""
        return replace(self, zipped=False, version=version or self.version)

    def _check(self) -> None:
        family = self.family
        where = f"CWR file name {self.sender}_{self.receiver}"
        if not 0 <= self.year <= 99:
            raise FileNameError(f"{where}: year {self.year} is not two digits")
        if not 0 <= self.sequence <= 9999:
            raise FileNameError(f"{where}: sequence {self.sequence} is not 0-9999")
        for role in ("sender", "receiver"):
            value = getattr(self, role)
            if not _PARTY[family].fullmatch(value):
                size = "2-3" if family == "2" else "2-4"
                raise FileNameError(f"{where}: {role} {value!r} is not {size} letters or digits")
        if family == "xml":
            if self.kind not in XML_KINDS:
                raise FileNameError(f"{where}: XML kind {self.kind!r} is not SUB or ACK")
        elif family == "3":
            if self.kind not in CWR3_KINDS:
                raise FileNameError(
                    f"{where}: file type {self.kind!r} is not one of {', '.join(CWR3_KINDS)}"
                )
            if self.version not in CWR3_VERSIONS:
                raise FileNameError(
                    f"{where}: version {self.version!r} is not one of {', '.join(CWR3_VERSIONS)}"
                )
            if not 0 <= self.revision <= 999:
                raise FileNameError(f"{where}: revision {self.revision} is not 0-999")
        elif self.version is not None and self.version not in CWR2_VERSIONS:
            raise FileNameError(
                f"{where}: version {self.version!r} is not one of {', '.join(CWR2_VERSIONS)}"
            )

    @classmethod
    def parse(cls, name: str) -> CwrFileName:
        """Read a file name (any case); raise ``FileNameError`` saying what is wrong."""
        return parse(name)


def parse(name: str) -> CwrFileName:
    """Read a CWR 2.x, 3.x or gateway XML file name, in any case.

    Raises ``FileNameError`` naming the file and what it should look like.
    """
    if len(name) > MAX_NAME_LENGTH:
        raise FileNameError(
            f"file name {name[:40]!r}... is {len(name)} characters; at most {MAX_NAME_LENGTH}"
        )
    text = name.strip().upper()
    if found := _XML.fullmatch(text):
        return CwrFileName(
            year=int(found["year"]),
            sequence=int(found["sequence"]),
            sender=found["sender"],
            receiver=found["receiver"],
            version=None,
            kind="ACK" if found["ack"] else "SUB",
            xml=True,
        )
    if found := _CWR3.fullmatch(text):
        return _parsed(name, found, family="3")
    if found := _CWR2.fullmatch(text):
        return _parsed(name, found, family="2")
    raise FileNameError(_diagnose(name, text))


def _parsed(name: str, found: re.Match[str], *, family: str) -> CwrFileName:
    version: str | None
    if family == "3":
        version = f"{found['major']}.{found['minor']}"
        kind = found["kind"] or found["zkind"]
        if version not in CWR3_VERSIONS:
            raise FileNameError(
                f"file name {name!r}: version V{found['major']}-{found['minor']} is not a CWR "
                f"version the gateway reads ({', '.join(CWR3_VERSIONS)})"
            )
        if kind not in CWR3_KINDS:
            raise FileNameError(
                f"file name {name!r}: file type {kind!r} is not one of {', '.join(CWR3_KINDS)}"
            )
        revision, zipped = int(found["revision"]), found["zkind"] is not None
    else:
        digits = found["version"]
        version = None if digits is None else f"{digits[0]}.{digits[1]}"
        if version is not None and version not in CWR2_VERSIONS:
            raise FileNameError(
                f"file name {name!r}: version V{digits} is not a CWR 2.x version the gateway "
                "reads (V21, V22)"
            )
        kind, revision, zipped = "", 0, found["zip"] is not None
    return CwrFileName(
        year=int(found["year"]),
        sequence=int(found["sequence"]),
        sender=found["sender"],
        receiver=found["receiver"],
        version=version,
        kind=kind,
        revision=revision,
        zipped=zipped,
    )


def _diagnose(name: str, text: str) -> str:
    if not text.startswith("CW"):
        return f"file name {name!r} is not a CWR file name: it does not start with 'CW'"
    if text.endswith(".XML"):
        family = "xml"
    elif re.search(r"_V\d-", text):
        family = "3"
    else:
        family = "2"
    return f"file name {name!r} is not a CWR file name: expected {_EXPECTED[family]}"


def xml_file_name(
    year: int, sequence: int, sender: str, receiver: str, *, ack: bool = False
) -> str:
    """The gateway XML file name ``CWyynnnnsss_rrr.xml`` (``..._ACK.xml`` for an ACK)."""
    return CwrFileName(
        year=year,
        sequence=sequence,
        sender=sender,
        receiver=receiver,
        version=None,
        kind="ACK" if ack else "SUB",
        xml=True,
    ).format()


def ack_name_for(
    submission: CwrFileName,
    *,
    responder: str | None = None,
    sequence: int | None = None,
    year: int | None = None,
    version: str | None = None,
    zipped: bool | None = None,
    claim: bool = False,
) -> CwrFileName:
    """The name of the acknowledgement answering ``submission``: sender and receiver swapped.

    ``responder`` is who answers; it defaults to the submission's receiver and must be given
    when that is ``000`` (several). Year, sequence, version and zipping default to the
    submission's (a zipped 2.x submission does not say its version: pass ``version``).
    ``claim=True`` names a 3.x ACK2 (claim acknowledgement) rather than the ACK1.
    """
    where = f"cannot name the acknowledgement of {submission.format()}"
    if submission.several and responder is None:
        raise FileNameError(f"{where}: it went to several receivers; say which one answers")
    kind = submission.kind
    if submission.family == "3":
        if kind not in _ACK_KIND:
            raise FileNameError(f"{where}: a {kind} file is an acknowledgement, not a submission")
        kind = "ACK2" if claim and kind == "SUB" else _ACK_KIND[kind]
    elif submission.family == "xml":
        if kind == "ACK":
            raise FileNameError(f"{where}: it is an acknowledgement, not a submission")
        kind = "ACK"
    answer_version = version or submission.version
    answer_zipped = submission.zipped if zipped is None else zipped
    if submission.family == "2" and answer_version is None and not answer_zipped:
        raise FileNameError(f"{where}: a zipped 2.x name does not say its version; pass version")
    return replace(
        submission,
        sender=responder or submission.receiver,
        receiver=submission.sender,
        year=submission.year if year is None else year,
        sequence=submission.sequence if sequence is None else sequence,
        version=answer_version,
        kind=kind,
        zipped=answer_zipped,
    )
