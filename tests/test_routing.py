"""Routing: CWR file names, the partner registry and per-recipient routing decisions."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from pathlib import Path

import pytest
from builders import agreement, publisher, territory, work, writer
from conftest import FIXTURES
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.model import (
    Acknowledgement,
    AgreementTerritory,
    PublisherTerritory,
    Transaction,
    Work,
    WriterTerritory,
)
from gateway.routing import (
    UNROUTABLE_CODES,
    CwrFileName,
    FileNameError,
    Registry,
    RegistryError,
    Unroutable,
    ack_name_for,
    decide,
    load_registry,
    parse_registry,
    part_file_name,
    recipients_of,
    route,
    xml_file_name,
)

PARTNERS = FIXTURES / "partners"
DOCS = Path(__file__).resolve().parents[1] / "docs"
KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(range(1, 33))).decode()

# A PRS node with GEMA (Germany), SACEM (France), MCSC (China) and the MusicMark hub (707) that
# serves ASCAP 010, BMI 021 and SOCAN 101 and collects in the USA and Canada.
REGISTRY_TOML = f"""
[gateway]
society = "052"
name = "PRS for Music"

[[partner]]
society = "035"
name = "GEMA"
formats = ["cwr", "xml"]
receive_as = "xml"
cwr_version = "2.2"
transport = "sftp"
address = "sftp://127.0.0.1:8222/incoming"
rule_pack = "gema"
territories = ["276"]
[partner.credentials]
key_id = "gema-2026"
public_key = "{KEY}"
username = "prs"
password_env = "GW_GEMA_SFTP_PASSWORD"

[[partner]]
society = "058"
name = "SACEM"
formats = ["cwr"]
receive_as = "cwr"
cwr_version = "2.2"
transport = "folder"
address = "outbox/sacem"
rule_pack = "sacem"
territories = ["0250"]

[[partner]]
society = "119"
name = "MCSC"
formats = ["cwr"]
receive_as = "cwr"
cwr_version = "3.1"
transport = "http"
address = "https://127.0.0.1:8119/v1/submissions"
rule_pack = "cisac"
territories = ["0156"]

[[partner]]
society = "707"
name = "MusicMark"
formats = ["cwr"]
receive_as = "cwr"
cwr_version = "2.1"
transport = "http"
address = "http://127.0.0.1:8707/v1/submissions"
rule_pack = "cisac"
territories = ["0840", "0124"]
serves = ["010", "021", "101"]
"""


@pytest.fixture(scope="module")
def registry() -> Registry:
    return parse_registry(REGISTRY_TOML, "test.toml")


# ---------------------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("name", "fields", "written"),
    [
        (
            "CW060001EMI_044.V21",
            {"year": 6, "sequence": 1, "sender": "EMI", "receiver": "044", "version": "2.1"},
            "CW060001EMI_044.V21",
        ),
        (
            "cw260012sa_000.v22",
            {"sender": "SA", "receiver": "000", "version": "2.2", "kind": "", "zipped": False},
            "CW260012SA_000.V22",
        ),
        (
            "CW060001EMI_044.zip",
            {"version": None, "zipped": True, "kind": ""},
            "CW060001EMI_044.zip",
        ),
        (
            "CW170037SA_058_V3-0-0.SUB",
            {"sender": "SA", "receiver": "058", "version": "3.0", "kind": "SUB", "revision": 0},
            "CW170037SA_058_V3-0-0.SUB",
        ),
        (
            "cw170058058_sa_v3-1-2_ack1.ZIP",
            {"sequence": 58, "sender": "058", "kind": "ACK1", "version": "3.1", "revision": 2},
            "CW170058058_SA_V3-1-2_ACK1.zip",
        ),
        (
            "CW220002DMP_0000_V3-0-0.SUB",
            {"sender": "DMP", "receiver": "0000", "kind": "SUB"},
            "CW220002DMP_0000_V3-0-0.SUB",
        ),
        ("CW190008MPC_0000_V3-0-0.ISR", {"kind": "ISR"}, "CW190008MPC_0000_V3-0-0.ISR"),
        ("CW190008MPC_0000_V3-1-0.iswa", {"kind": "ISWA"}, "CW190008MPC_0000_V3-1-0.ISWA"),
        ("CW260001052_035.XML", {"xml": True, "kind": "SUB"}, "CW260001052_035.xml"),
        ("CW260001035_052_ack.xml", {"xml": True, "kind": "ACK"}, "CW260001035_052_ACK.xml"),
    ],
)
def test_file_names_parse_in_any_case_and_format_to_the_convention(
    name: str, fields: dict[str, object], written: str
) -> None:
    """Each convention parses case-insensitively and writes back in its canonical form."""
    parsed = CwrFileName.parse(name)
    for key, value in fields.items():
        assert getattr(parsed, key) == value, key
    assert parsed.format() == written
    assert CwrFileName.parse(written) == parsed


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "does not start with 'CW'"),
        ("XX060001EMI_044.V21", "does not start with 'CW'"),
        ("CW0601EMI_044.V21", r"expected CWyynnnnsss_rrr\.Vxx"),
        ("CW060001EMI044.V21", r"expected CWyynnnnsss_rrr\.Vxx"),
        ("CW060001EMIX_044.V21", r"expected CWyynnnnsss_rrr\.Vxx"),
        ("CW060001EMI_044.txt", r"expected CWyynnnnsss_rrr\.Vxx"),
        ("CW060001EMI_044.V23", "V23 is not a CWR 2.x version"),
        ("CW170037SA_058_V3-2-0.SUB", "V3-2 is not a CWR version"),
        ("CW170037SA_058_V3-0-0.LIC", "file type 'LIC' is not one of"),
        ("CW170037SA_058_V3-0.SUB", r"expected CWYYnnnnSUB_REP_VM-m-r\.EXT"),
        ("CW2601052_035.xml", r"expected CWyynnnnsss_rrr\.xml"),
        ("CW060001EMI_044.V21" + "X" * 300, "at most 255"),
    ],
)
def test_bad_file_names_are_refused_with_what_was_expected(name: str, message: str) -> None:
    """A name off the convention raises FileNameError naming the file and the expected shape."""
    with pytest.raises(FileNameError, match=message) as caught:
        CwrFileName.parse(name)
    assert name[:20] in str(caught.value)


def test_file_name_parts_are_checked_when_built() -> None:
    """Building a name with out-of-range parts fails as parsing would."""
    with pytest.raises(FileNameError, match="sequence 10000"):
        CwrFileName(year=26, sequence=10000, sender="052", receiver="035", version="2.2")
    with pytest.raises(FileNameError, match="sender 'ABCD' is not 2-3"):
        CwrFileName(year=26, sequence=1, sender="ABCD", receiver="035", version="2.2")
    with pytest.raises(FileNameError, match=r"version '2\.3'"):
        CwrFileName(year=26, sequence=1, sender="052", receiver="035", version="2.3")
    with pytest.raises(FileNameError, match="needs its version"):
        CwrFileName(year=26, sequence=1, sender="052", receiver="035", version=None).format()


def test_a_zip_names_the_file_inside_it() -> None:
    """A 2.x zip does not say its version; the name inside it does."""
    inner = CwrFileName.parse("CW060001EMI_044.zip").unzipped("2.1")
    assert inner.format() == "CW060001EMI_044.V21"
    assert CwrFileName.parse("CW170037SA_058_V3-0-0_SUB.zip").unzipped().format() == (
        "CW170037SA_058_V3-0-0.SUB"
    )


def test_a_2x_ack_swaps_sender_and_receiver_and_keeps_the_sequence() -> None:
    """``CW060001EMI_044.V21`` is answered by ``CW060001044_EMI.V21``."""
    answer = ack_name_for(CwrFileName.parse("CW060001EMI_044.V21"))
    assert answer.format() == "CW060001044_EMI.V21"


def test_an_ack_of_a_file_for_several_names_its_responder() -> None:
    """A submission to 000 is answered by the society that says so (as DMP expects)."""
    submission = CwrFileName.parse("CW220001DMP_000.V21")
    assert ack_name_for(submission, responder="052").format() == "CW220001052_DMP.V21"
    with pytest.raises(FileNameError, match="several receivers"):
        ack_name_for(submission)


def test_a_3x_ack_follows_the_specification_example() -> None:
    """The 3.0 spec answers CW170037SA_058_V3-0-0.SUB with CW170058058_SA_V3-0-0_ACK1.zip."""
    submission = CwrFileName.parse("CW170037SA_058_V3-0-0.SUB")
    ack1 = ack_name_for(submission, sequence=58, zipped=True)
    assert ack1.format() == "CW170058058_SA_V3-0-0_ACK1.zip"
    assert ack_name_for(submission, claim=True).format() == "CW170037058_SA_V3-0-0.ACK2"
    isr = CwrFileName.parse("CW190008MPC_058_V3-0-0.ISR")
    assert ack_name_for(isr).kind == "ISA"
    with pytest.raises(FileNameError, match="ACK1 file is an acknowledgement"):
        ack_name_for(ack1)


def test_xml_names_and_their_acks() -> None:
    """Gateway XML files keep the CWR fields; their acknowledgement ends in _ACK.xml."""
    name = xml_file_name(26, 1, "052", "035")
    assert name == "CW260001052_035.xml"
    answer = ack_name_for(CwrFileName.parse(name))
    assert answer.format() == "CW260001035_052_ACK.xml"
    with pytest.raises(FileNameError, match="not a submission"):
        ack_name_for(answer)
    assert xml_file_name(26, 2, "052", "0000", ack=True) == "CW260002052_0000_ACK.xml"


def test_a_zipped_2x_submission_needs_the_version_of_its_ack() -> None:
    """The version a zipped 2.x name lacks must be given to name an unzipped ACK."""
    zipped = CwrFileName.parse("CW060001EMI_044.zip")
    assert ack_name_for(zipped).format() == "CW060001044_EMI.zip"
    with pytest.raises(FileNameError, match="pass version"):
        ack_name_for(zipped, zipped=False)
    assert ack_name_for(zipped, zipped=False, version="2.2").format() == "CW060001044_EMI.V22"


_PARTY_CODE = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=3)


@given(
    year=st.integers(0, 99),
    sequence=st.integers(0, 9999),
    sender=_PARTY_CODE,
    receiver=_PARTY_CODE,
    choice=st.sampled_from(
        [("2.1", ""), ("2.2", ""), (None, ""), ("3.0", "SUB"), ("3.1", "ACK2"), ("3.1", "ISWS")]
    ),
    zipped=st.booleans(),
)
def test_any_name_the_gateway_writes_parses_back(
    *,
    year: int,
    sequence: int,
    sender: str,
    receiver: str,
    choice: tuple[str | None, str],
    zipped: bool,
) -> None:
    """Formatting then parsing gives the same name, whatever its parts."""
    version, kind = choice
    name = CwrFileName(
        year=year,
        sequence=sequence,
        sender=sender,
        receiver=receiver,
        version=version,
        kind=kind,
        zipped=zipped or version is None,
    )
    parsed = CwrFileName.parse(name.format())
    expected = replace(name, version=None) if name.family == "2" and name.zipped else name
    assert parsed == expected


# ------------------------------------------------------------------------------------ registry


def test_the_demo_registries_load_and_name_each_other() -> None:
    """Each demo node lists the other two, with the public key of the other's private key file."""
    registries = {path.stem: load_registry(path) for path in sorted(PARTNERS.glob("*.toml"))}
    assert {name: r.node.society for name, r in registries.items()} == {
        "gema": "035",
        "mcsc": "119",
        "prs": "052",
    }
    public = {}
    for reg in registries.values():
        key_file = Path(reg.node.private_key_file)
        assert key_file.parent == PARTNERS / "keys"
        private = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        assert isinstance(private, Ed25519PrivateKey)
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        public[reg.node.society] = (reg.node.key_id, raw)
    for reg in registries.values():
        others = set(public) - {reg.node.society}
        assert set(reg.partners) == others
        for code in others:
            partner = reg.partners[code]
            assert (partner.credentials.key_id, partner.credentials.public_key) == public[code]
            assert "127.0.0.1" in partner.address
    prs, gema = registries["prs"], registries["gema"]
    assert (gema.partners["052"].receive_as, gema.partners["052"].cwr_version) == ("cwr", "2.2")
    assert gema.partners["052"].address == "http://127.0.0.1:8052/v1/submissions"
    assert (prs.partners["035"].receive_as, prs.partners["035"].transport) == ("xml", "sftp")
    assert prs.partners["035"].address == "sftp://127.0.0.1:8222/incoming"
    assert prs.partners["119"].address == "http://127.0.0.1:8119/v1/submissions"


def test_the_registry_holds_partners_normalised(registry: Registry) -> None:
    """Codes are zero-padded, secrets are references, and a key id is found again."""
    gema = registry.partners["035"]
    assert gema.territories == ("0276",)
    assert gema.credentials.public_key == bytes(range(32))
    assert (gema.credentials.username, gema.credentials.password_env) == (
        "prs",
        "GW_GEMA_SFTP_PASSWORD",
    )
    assert registry.partner_by_key_id("gema-2026") is gema
    assert registry.partner_by_key_id("nobody") is None
    assert registry.partners["707"].is_hub
    assert not gema.is_hub
    assert registry.partners["058"].address == "outbox/sacem"


def test_a_hub_receives_for_the_societies_it_serves(registry: Registry) -> None:
    """partner_for finds direct partners and hub-served societies in any padding, nothing else."""
    assert registry.partner_for("035") is registry.partners["035"]
    for code in ("010", "21", " 101", "707"):
        partner = registry.partner_for(code)
        assert partner is not None
        assert partner.society == "707"
    assert registry.partner_for("044") is None
    assert registry.partner_for("EMI") is None


def test_a_key_id_defaults_to_the_key_fingerprint() -> None:
    """Without key_id, a partner's key is listed under sha256: and its raw bytes' digest."""
    text = REGISTRY_TOML.replace('key_id = "gema-2026"\n', "")
    gema = parse_registry(text).partners["035"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", gema.credentials.key_id)


def test_relative_files_resolve_against_the_registry_folder(tmp_path: Path) -> None:
    """Key, password and folder paths written relative are relative to the registry file."""
    text = REGISTRY_TOML.replace(
        'name = "PRS for Music"\n', 'name = "PRS for Music"\nprivate_key_file = "keys/prs.key"\n', 1
    ).replace('password_env = "GW_GEMA_SFTP_PASSWORD"', 'password_file = "secrets/gema"')
    path = tmp_path / "registry.toml"
    path.write_text(text)
    loaded = load_registry(path)
    assert loaded.node.private_key_file == str(tmp_path / "keys" / "prs.key")
    assert loaded.partners["035"].credentials.password_file == str(tmp_path / "secrets" / "gema")
    assert loaded.partners["058"].address == str(tmp_path / "outbox" / "sacem")


def test_a_missing_registry_file_is_a_registry_error(tmp_path: Path) -> None:
    """A registry that cannot be read names its path."""
    with pytest.raises(RegistryError, match="cannot read") as caught:
        load_registry(tmp_path / "absent.toml")
    assert caught.value.source.endswith("absent.toml")


def _edit(old: str, new: str, *, count: int = 1) -> str:
    assert old in REGISTRY_TOML, old
    return REGISTRY_TOML.replace(old, new, count)


_SFTP_LINES = 'username = "prs"\npassword_env = "GW_GEMA_SFTP_PASSWORD"\n'
_SACEM = 'society = "058"\nname = "SACEM"'

REGISTRY_ERRORS = [
    ("bad_toml", _edit("[gateway]", "[gateway"), "", "", "not valid TOML"),
    ("top_key", "colour = 1\n" + REGISTRY_TOML, "", "colour", "unknown key"),
    ("other_table", _edit("[gateway]", "[elsewhere]"), "", "elsewhere", "unknown key"),
    ("no_node", "[[partner]]" + REGISTRY_TOML.split("[[partner]]", 1)[1], "",
     "[gateway]", "missing"),
    ("node_society", _edit('society = "052"', 'society = "999"'), "[gateway]", "society", "999"),
    ("node_key", _edit('name = "PRS for Music"', 'name = "PRS"\nport = 1'), "[gateway]", "port",
     "unknown key"),
    ("unknown_key", _edit('name = "GEMA"', 'name = "GEMA"\ncolour = "red"'), "035", "colour",
     "unknown key"),
    ("password", _edit(_SFTP_LINES, 'username = "prs"\npassword = "x"\n'), "035",
     "credentials.password", "secrets never go in the registry"),
    ("unknown_society", _edit(_SACEM, 'society = "999"\nname = "SACEM"'), "partner[1]",
     "society", "not a known CISAC society"),
    ("society_000", _edit(_SACEM, 'society = "000"\nname = "SACEM"'), "partner[1]", "society",
     "is a CWR code"),
    ("not_digits", _edit(_SACEM, 'society = "SACEM"\nname = "SACEM"'), "partner[1]", "society",
     "not a 3-digit"),
    ("is_node", _edit(_SACEM, 'society = "52"\nname = "SACEM"'), "partner[1]", "society",
     "this gateway's own society"),
    ("duplicate", _edit(_SACEM, 'society = "35"\nname = "SACEM"'), "partner[1]", "society",
     "listed twice"),
    ("missing", _edit('address = "outbox/sacem"\n', ""), "058", "address", "missing"),
    ("format", _edit('formats = ["cwr", "xml"]', 'formats = ["cwr", "pdf"]'), "035", "formats",
     "'pdf' is not one of cwr, xml"),
    ("formats_type", _edit('formats = ["cwr", "xml"]', 'formats = "cwr"'), "035", "formats",
     "list of strings"),
    ("formats_empty", _edit('formats = ["cwr", "xml"]', "formats = []"), "035", "formats",
     "at least one"),
    ("receive_as", _edit('receive_as = "xml"', 'receive_as = "csv"'), "035", "receive_as",
     "not one of"),
    ("receive_as_unlisted", _edit('formats = ["cwr"]\nreceive_as = "cwr"',
                                  'formats = ["cwr"]\nreceive_as = "xml"'), "058",
     "receive_as", "not among its formats"),
    ("version", _edit('cwr_version = "2.2"', 'cwr_version = "2.3"'), "035", "cwr_version",
     "'2.3' is not one of 2.1, 2.2, 3.0, 3.1"),
    ("version_type", _edit('cwr_version = "2.2"', "cwr_version = 2.2"), "035", "cwr_version",
     "non-empty string"),
    ("transport", _edit('transport = "sftp"', 'transport = "ftp"'), "035", "transport",
     "'ftp' is not one of http, sftp, folder"),
    ("sftp_address", _edit('address = "sftp://127.0.0.1:8222/incoming"',
                           'address = "http://127.0.0.1:8222/"'), "035", "address",
     "not a sftp address"),
    ("http_address", _edit('address = "https://127.0.0.1:8119/v1/submissions"',
                           'address = "127.0.0.1:8119"'), "119", "address", "not a http"),
    ("bad_port", _edit('address = "https://127.0.0.1:8119/v1/submissions"',
                       'address = "https://127.0.0.1:99999/"'), "119", "address",
     "is not a URL"),
    ("folder_url", _edit('address = "outbox/sacem"', 'address = "file:///outbox"'), "058",
     "address", "takes a path"),
    ("rule_pack", _edit('rule_pack = "sacem"', 'rule_pack = "nobody"'), "058", "rule_pack",
     "no rule pack for 'nobody'"),
    ("territory", _edit('territories = ["0250"]', 'territories = ["9999"]'), "058",
     "territories", "'9999' is not a known TIS territory"),
    ("territory_twice", _edit('territories = ["0250"]', 'territories = ["0250", "0250"]'),
     "058", "territories", "listed twice"),
    ("hub_unknown", _edit('serves = ["010", "021", "101"]', 'serves = ["010", "999"]'), "707",
     "serves", "'999' is not a known CISAC society"),
    ("hub_partner", _edit('serves = ["010", "021", "101"]', 'serves = ["010", "035"]'), "707",
     "serves", "035 is a partner itself"),
    ("hub_node", _edit('serves = ["010", "021", "101"]', 'serves = ["052"]'), "707", "serves",
     "this gateway's own society"),
    ("hub_self", _edit('serves = ["010", "021", "101"]', 'serves = ["707"]'), "707", "serves",
     "does not serve itself"),
    ("two_hubs", _edit('territories = ["0156"]', 'territories = ["0156"]\nserves = ["021"]'),
     "707", "serves", "021 is served by 119 already"),
    ("key_base64", _edit(f'public_key = "{KEY}"', 'public_key = "not base64!"'), "035",
     "credentials.public_key", "not base64"),
    ("key_length", _edit(f'public_key = "{KEY}"', 'public_key = "AAAA"'), "035",
     "credentials.public_key", "3 bytes"),
    ("key_id_alone", _edit(f'public_key = "{KEY}"\n', ""), "035", "credentials.key_id",
     "needs its public_key"),
    ("key_id_twice", _edit('territories = ["0250"]\n',
                           'territories = ["0250"]\n[partner.credentials]\nkey_id = "gema-2026"\n'
                           f'public_key = "{OTHER_KEY}"\n'), "058", "credentials.key_id",
     "already 035's"),
    ("both_secrets", _edit(_SFTP_LINES, _SFTP_LINES + 'password_file = "x"\n'), "035",
     "credentials.password_file", "not both"),
    ("env_name", _edit("GW_GEMA_SFTP_PASSWORD", "GW GEMA"), "035", "credentials.password_env",
     "not an environment variable name"),
    ("sftp_user", _edit('username = "prs"\n', ""), "035", "credentials.username",
     "needs the username"),
    ("credentials_type", _edit('territories = ["0250"]\n',
                               'territories = ["0250"]\ncredentials = "secret"\n'), "058",
     "credentials", "must be a table"),
    ("partner_type", "partner = 1\n" + REGISTRY_TOML.split("[[partner]]", maxsplit=1)[0], "",
     "partner", "array of tables"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "text", "partner", "key", "message"),
    REGISTRY_ERRORS,
    ids=[case[0] for case in REGISTRY_ERRORS],
)
def test_every_registry_error_names_file_partner_and_key(
    case: str, text: str, partner: str, key: str, message: str
) -> None:
    """A wrong registry raises RegistryError naming the file, the partner and the key."""
    with pytest.raises(RegistryError) as caught:
        parse_registry(text, "test.toml")
    error = caught.value
    assert message in str(error), str(error)
    assert error.source == "test.toml"
    assert str(error).startswith("test.toml: ")
    assert partner in error.partner
    assert error.key == key


# ---------------------------------------------------------------------------------- recipients


def _no_territories(
    *, writer_pr: str = "052", publisher_pr: str = "052", publisher_mr: str = "052"
) -> Work:
    """A work whose parties are affiliated as given (PRS otherwise) and collect nowhere."""
    pub = publisher(territories=(), pr_society=publisher_pr, mr_society=publisher_mr)
    wri = writer(territories=(), pr_society=writer_pr)
    return work(publishers=(pub,), writers=(wri,))


def _collecting(*places: tuple[str, str, int]) -> Work:
    """A PRS work whose publisher collects (flag, TIS code, PR share) in these places."""
    spts = tuple(
        territory(
            PublisherTerritory,
            "SPT",
            "P000001",
            (share, 0, 0),
            inclusion_exclusion=flag,
            tis_code=code,
            sequence=n,
        )
        for n, (flag, code, share) in enumerate(places, 1)
    )
    return work(publishers=(publisher(territories=spts),), writers=(writer(territories=()),))


def test_recipients_by_affiliation(registry: Registry) -> None:
    """Societies named in PR/MR/SR affiliations are entitled, in any padding."""
    assert recipients_of(_no_territories(writer_pr="35"), registry, sender="EMI") == {"035"}
    both = _no_territories(writer_pr="035", publisher_mr=" 58")
    assert recipients_of(both, registry, sender="EMI") == {"035", "058"}
    assert recipients_of(_no_territories(), registry, sender="EMI") == frozenset()


def test_recipients_by_affiliation_through_a_hub(registry: Registry) -> None:
    """An ASCAP or BMI writer makes the MusicMark hub a recipient, once."""
    found = recipients_of(
        _no_territories(writer_pr="010", publisher_pr="021"), registry, sender="EMI"
    )
    assert found == {"707"}


def test_the_sender_and_cwr_codes_are_never_recipients(registry: Registry) -> None:
    """The sender's own society, 000 (public domain) and 099 (no society) entitle nobody."""
    gema_work = _no_territories(writer_pr="035", publisher_pr="058")
    assert recipients_of(gema_work, registry, sender="35") == {"058"}
    hub_work = _no_territories(writer_pr="010")
    assert recipients_of(hub_work, registry, sender="707") == frozenset()
    cwr_codes = _no_territories(writer_pr="000", publisher_pr="099")
    assert recipients_of(cwr_codes, registry, sender="EMI") == frozenset()


def test_recipients_by_territory_world(registry: Registry) -> None:
    """Collecting in 2136 (world) entitles every partner with a territory."""
    found = recipients_of(_collecting(("I", "2136", 5000)), registry, sender="EMI")
    assert found == {"035", "058", "119", "707"}


def test_recipients_by_territory_group(registry: Registry) -> None:
    """Collecting in 2120 (Europe) entitles GEMA and SACEM, not MCSC or MusicMark."""
    assert recipients_of(_collecting(("I", "2120", 5000)), registry, sender="EMI") == {
        "035",
        "058",
    }


def test_an_exclusion_removes_a_territory(registry: Registry) -> None:
    """World but Germany leaves GEMA out; a later inclusion brings it back."""
    without = _collecting(("I", "2136", 5000), ("E", "0276", 0))
    assert recipients_of(without, registry, sender="EMI") == {"058", "119", "707"}
    back = _collecting(("I", "2136", 5000), ("E", "0276", 0), ("I", "0276", 2500))
    assert "035" in recipients_of(back, registry, sender="EMI")


def test_a_territory_without_a_collection_share_entitles_nobody(registry: Registry) -> None:
    """An inclusion with zero PR, MR and SR collection shares covers nothing."""
    assert recipients_of(_collecting(("I", "0276", 0)), registry, sender="EMI") == frozenset()
    assert recipients_of(_collecting(("I", "9998", 5000)), registry, sender="EMI") == frozenset()


def test_writer_territories_count_too(registry: Registry) -> None:
    """A writer collecting in Canada entitles the hub that collects there."""
    swt = territory(WriterTerritory, "SWT", "W000001", (5000, 0, 0), tis_code="0124")
    found = recipients_of(
        work(publishers=(publisher(territories=()),), writers=(writer(territories=(swt,)),)),
        registry,
        sender="EMI",
    )
    assert found == {"707"}


def test_a_3x_territory_society_counts_as_an_affiliation(registry: Registry) -> None:
    """A society named on an included territory record (3.x SPT) is entitled."""
    spt = territory(PublisherTerritory, "SPT", "P000001", (0, 0, 0), pr_society="058")
    assert recipients_of(
        work(publishers=(publisher(territories=(spt,)),), writers=(writer(territories=()),)),
        registry,
        sender="EMI",
    ) == {"058"}


def test_agreements_are_routed_by_parties_and_territories(registry: Registry) -> None:
    """An agreement goes to its parties' societies and to partners in its territories."""
    germany = (AgreementTerritory(record_type="TER", inclusion_exclusion="I", tis_code="0276"),)
    assert recipients_of(agreement(territories=germany), registry, sender="EMI") == {"035"}
    world = recipients_of(agreement(), registry, sender="EMI")
    assert world == {"035", "058", "119", "707"}


# -------------------------------------------------------------------------------------- routing


def _txs(*records: Work) -> list[Transaction]:
    return [Transaction(1, n, record) for n, record in enumerate(records)]


def test_a_submission_for_several_societies_is_split_per_recipient(registry: Registry) -> None:
    """Receiver 000: each work goes to its recipients, in the file's order; others are listed."""
    gema = _no_territories(writer_pr="035")
    sacem = _no_territories(publisher_pr="058")
    both = _no_territories(writer_pr="035", publisher_pr="058")
    nobody = _no_territories(writer_pr="044")
    txs = _txs(gema, sacem, both, nobody)
    plan = route("000", iter(txs), registry, sender="EMI")
    assert plan.recipients == ("035", "058")
    assert plan.parts["035"].transactions == (txs[0], txs[2])
    assert plan.parts["058"].transactions == (txs[1], txs[2])
    assert plan.parts["035"].partner.receive_as == "xml"
    assert plan.parts["058"].partner.cwr_version == "2.2"
    assert plan.parts["035"].recipient == "035"
    [lost] = plan.unroutable
    assert lost.transaction is txs[3]
    assert lost.code == "no_recipient"
    assert "044 (not a partner)" in lost.reason
    assert "052 (this gateway)" in lost.reason
    assert "NWR group 1 transaction 3" in lost.reason


def test_a_3x_submission_to_0000_is_split_too(registry: Registry) -> None:
    """3.0's several-receivers code 0000 means the same as 000."""
    plan = route("0000", _txs(_no_territories(writer_pr="119")), registry, sender="SA")
    assert plan.recipients == ("119",)
    assert plan.receiver == "000"


def test_a_named_receiver_gets_the_whole_file(registry: Registry) -> None:
    """A file for 035 goes to GEMA whole, entitled or not, acknowledgements included."""
    ack = Acknowledgement(record_type="ACK", transaction_status="AS")
    txs = [*_txs(_no_territories(), _collecting(("I", "0156", 5000))), Transaction(2, 0, ack)]
    plan = route("35", txs, registry, sender="EMI")
    assert plan.recipients == ("035",)
    assert plan.parts["035"].transactions == tuple(txs)
    assert plan.unroutable == ()


def test_a_receiver_served_by_a_hub_goes_to_the_hub(registry: Registry) -> None:
    """A file for BMI (021) is delivered to MusicMark (707)."""
    plan = route("021", _txs(_no_territories()), registry, sender="EMI")
    assert plan.recipients == ("707",)


@pytest.mark.parametrize(
    ("receiver", "sender", "code", "detail"),
    [
        ("044", "EMI", "unknown_receiver", "receiver 044 is not in the partner registry"),
        ("EMI", "052", "unknown_receiver", "receiver EMI"),
        ("052", "EMI", "receiver_is_node", "addressed to us (052)"),
        ("035", "35", "receiver_is_sender", "035 sent it to itself"),
    ],
)
def test_unroutable_receivers_say_why(
    registry: Registry, receiver: str, sender: str, code: str, detail: str
) -> None:
    """Every transaction of a file for nobody we can reach is unroutable, with its reason."""
    txs = _txs(_no_territories(writer_pr="035"), _no_territories())
    plan = route(receiver, txs, registry, sender=sender)
    assert plan.parts == {}
    assert [u.transaction for u in plan.unroutable] == txs
    assert {u.code for u in plan.unroutable} == {code}
    assert all(detail in u.reason for u in plan.unroutable)


def test_an_acknowledgement_is_not_split(registry: Registry) -> None:
    """An ACK in a file for several societies cannot be placed by shares."""
    ack = Transaction(1, 0, Acknowledgement(record_type="ACK"))
    decision = decide(ack, "000", registry, sender="EMI")
    assert isinstance(decision, Unroutable)
    assert decision.code == "not_splittable"


def test_parts_are_named_in_each_recipients_format(registry: Registry) -> None:
    """GEMA gets gateway XML, SACEM CWR 2.2, MCSC CWR 3.1, MusicMark CWR 2.1."""
    names = {
        code: part_file_name(partner, year=26, sequence=7, sender="052")
        for code, partner in registry.partners.items()
    }
    assert names == {
        "035": "CW260007052_035.xml",
        "058": "CW260007052_058.V22",
        "119": "CW260007052_119_V3-1-0.SUB",
        "707": "CW260007052_707.V21",
    }


def test_every_unroutable_code_is_documented() -> None:
    """docs/partners.md lists each unroutable code the router can give."""
    text = (DOCS / "partners.md").read_text(encoding="utf-8")
    for code in UNROUTABLE_CODES:
        assert f"`{code}`" in text


# ------------------------------------------------------------------------------------- property

_SOCIETIES = st.sampled_from(["035", "58", "119", "010", "021", "052", "044", "000", "099", ""])
_PLACES = st.tuples(
    st.sampled_from(["I", "E"]),
    st.sampled_from(["2136", "2120", "0276", "0250", "0156", "0840", "0826", "2100"]),
    st.sampled_from([0, 1, 5000]),
)


@st.composite
def _works(draw: st.DrawFn) -> Work:
    spts = tuple(
        territory(PublisherTerritory, "SPT", "P000001", (share, 0, 0), inclusion_exclusion=flag,
                  tis_code=code)
        for flag, code, share in draw(st.lists(_PLACES, max_size=3))
    )  # fmt: skip
    pub = publisher(pr_society=draw(_SOCIETIES), mr_society=draw(_SOCIETIES), territories=spts)
    wri = writer(pr_society=draw(_SOCIETIES), territories=())
    return work(publishers=(pub,), writers=(wri,))


@settings(max_examples=150, deadline=None)
@given(
    works=st.lists(_works(), max_size=6),
    receiver=st.sampled_from(["000", "0000", "035", "021", "707", "052", "044", "EMI"]),
    sender=st.sampled_from(["EMI", "035", "052", "010"]),
)
def test_every_transaction_is_routed_or_unroutable(
    registry: Registry, works: list[Work], receiver: str, sender: str
) -> None:
    """Each transaction lands in at least one part or among the unroutable, never both."""
    txs = _txs(*works)
    plan = route(receiver, txs, registry, sender=sender)
    lost = [u.transaction for u in plan.unroutable]
    for tx in txs:
        in_parts = sum(tx in part.transactions for part in plan.parts.values())
        assert (in_parts >= 1) != (tx in lost)
    for code, part in plan.parts.items():
        assert code in registry.partners
        assert code != plan.sender
        assert part.transactions
        positions = [txs.index(tx) for tx in part.transactions]
        assert positions == sorted(positions)
    assert all(u.code in UNROUTABLE_CODES for u in plan.unroutable)
