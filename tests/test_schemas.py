"""Tests of the gateway's XML schemas (schemas/) and their examples, in lxml and xmlschema alike."""

from __future__ import annotations

import re
import runpy
import shutil
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from gateway import codes, identifiers
from gateway.model.issue import LEVELS, REJECTIONS

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas"
EXAMPLES = REPO / "fixtures" / "xml"
DOC = REPO / "docs" / "xml-formats.md"
BUILDER = REPO / "tools" / "build_common_xsd.py"

XS = "http://www.w3.org/2001/XMLSchema"
COMMON_NS = "urn:society-exchange-gateway:common:1.0"
NAMESPACES = {
    "common": COMMON_NS,
    "ack": "urn:society-exchange-gateway:ack:1.0",
    "distribution": "urn:society-exchange-gateway:distribution:1.0",
}
XPATH_NS = {"c": COMMON_NS, "a": NAMESPACES["ack"], "d": NAMESPACES["distribution"]}
EXAMPLE_OF = {"ack": "ack-example.xml", "distribution": "distribution-example.xml"}
SCHEMA_FILES = sorted(SCHEMAS.glob("*.xsd"))

# No DTDs, entities or network: the way the gateway reads XML it did not write.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

Tree = etree._ElementTree
Change = Callable[[Tree], None]


@cache
def _lxml_schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path), PARSER))


@cache
def _xmlschema_schema(path: Path) -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(str(path), allow="sandbox")


def _verdicts(schema: Path, tree: Tree) -> tuple[bool, bool]:
    """Whether lxml and xmlschema find the document valid, in that order."""
    by_lxml = _lxml_schema(schema).validate(tree)
    resource = xmlschema.XMLResource(etree.tostring(tree), allow="none")
    return by_lxml, _xmlschema_schema(schema).is_valid(resource)


def _example(kind: str) -> Tree:
    return etree.parse(str(EXAMPLES / EXAMPLE_OF[kind]), PARSER)


def _elements(tree: Tree, xpath: str) -> list[etree._Element]:
    found = tree.xpath(xpath, namespaces=XPATH_NS)
    assert isinstance(found, list)
    elements = [node for node in found if isinstance(node, etree._Element)]
    assert elements, f"{xpath} matches nothing in the example"
    return elements


def set_text(xpath: str, text: str) -> Change:
    """A change that sets the text of every element the XPath matches."""

    def change(tree: Tree) -> None:
        for element in _elements(tree, xpath):
            element.text = text

    return change


def set_attribute(xpath: str, name: str, value: str) -> Change:
    """A change that sets an attribute on every element the XPath matches."""

    def change(tree: Tree) -> None:
        for element in _elements(tree, xpath):
            element.set(name, value)

    return change


def remove(xpath: str) -> Change:
    """A change that removes every element the XPath matches."""

    def change(tree: Tree) -> None:
        for element in _elements(tree, xpath):
            parent = element.getparent()
            assert parent is not None
            parent.remove(element)

    return change


def insert_after(xpath: str, fragment: str) -> Change:
    """A change that inserts an XML fragment after one element (prefix c: is declared for it)."""

    def change(tree: Tree) -> None:
        (element,) = _elements(tree, xpath)
        namespace = etree.QName(tree.getroot()).namespace
        wrapper = f'<X xmlns="{namespace}" xmlns:c="{COMMON_NS}">{fragment}</X>'
        element.addnext(etree.fromstring(wrapper)[0])

    return change


@dataclass(frozen=True, slots=True)
class Variant:
    """An example document changed in a few places."""

    name: str
    kind: str  # ack or distribution
    changes: tuple[Change, ...]

    def tree(self) -> Tree:
        """The changed document."""
        tree = deepcopy(_example(self.kind))
        for change in self.changes:
            change(tree)
        return tree


def _schema_path(kind: str) -> Path:
    return SCHEMAS / f"{kind}.xsd"


ACK_TX = "/a:Acknowledgement/a:Transaction"
LINE = "/d:DistributionStatement/d:Line"
HEADER = "/*/*[local-name()='MessageHeader']"

INVALID = (
    Variant("ack: ISWC one digit short", "ack", (set_text(f"{ACK_TX}[1]/a:Iswc", "T034524680"),)),
    Variant("ack: ISWC in lower case", "ack", (set_text(f"{ACK_TX}[1]/a:Iswc", "t0345246801"),)),
    Variant("ack: unknown society", "ack", (set_text(f"{HEADER}/c:Sender/c:SocietyCode", "998"),)),
    Variant(
        "ack: society without zero padding",
        "ack",
        (set_text(f"{HEADER}/c:Sender/c:SocietyCode", "52"),),
    ),
    Variant("ack: edit id, bad level", "ack", (set_text("//a:EditId", "NWR X 004"),)),
    Variant("ack: edit id, no spaces", "ack", (set_text("//a:EditId", "NWRT004"),)),
    Variant("ack: edit id, lower case", "ack", (set_text("//a:EditId", "nwr T 004"),)),
    Variant("ack: unknown status", "ack", (set_text(f"{ACK_TX}[1]/a:Status", "ZZ"),)),
    Variant("ack: unknown rejection", "ack", (set_text("//a:Rejection", "XR"),)),
    Variant("ack: missing Summary", "ack", (remove("/a:Acknowledgement/a:Summary"),)),
    Variant("ack: missing Status", "ack", (remove(f"{ACK_TX}[2]/a:Status"),)),
    Variant("ack: missing MessageId", "ack", (remove(f"{HEADER}/c:MessageId"),)),
    Variant("ack: missing EditId", "ack", (remove(f"{ACK_TX}[4]/a:Message[1]/a:EditId"),)),
    Variant("ack: no Recipient", "ack", (remove(f"{HEADER}/c:Recipient"),)),
    Variant("ack: negative count", "ack", (set_text("//a:TransactionCount", "-1"),)),
    Variant("ack: group id 0", "ack", (set_text(f"{ACK_TX}[1]/a:OriginalGroupId", "0"),)),
    Variant("ack: group id 100000", "ack", (set_text(f"{ACK_TX}[1]/a:OriginalGroupId", "100000"),)),
    Variant(
        "ack: created without zone",
        "ack",
        (set_text(f"{HEADER}/c:Created", "2026-11-24T08:04:37"),),
    ),
    Variant(
        "ack: file name with a folder", "ack", (set_text("//a:FileName", "../CW260001119_052.V21"),)
    ),
    Variant("ack: empty title", "ack", (set_text(f"{ACK_TX}[1]/a:Title", "   "),)),
    Variant("ack: unknown format", "ack", (set_text("//a:Format", "pdf"),)),
    Variant("ack: bad format version", "ack", (set_text(f"{HEADER}/c:FormatVersion", "v1"),)),
    Variant(
        "ack: element out of order", "ack", (insert_after("//a:Summary", "<Status>RA</Status>"),)
    ),
    Variant(
        "distribution: share 100.01", "distribution", (set_text(f"{LINE}[3]//d:Share", "100.01"),)
    ),
    Variant(
        "distribution: share 3 decimals",
        "distribution",
        (set_text(f"{LINE}[1]//d:Share", "50.005"),),
    ),
    Variant(
        "distribution: share negative", "distribution", (set_text(f"{LINE}[1]//d:Share", "-1"),)
    ),
    Variant("distribution: unknown currency", "distribution", (set_text("//d:Currency", "EUX"),)),
    Variant(
        "distribution: gold is no currency", "distribution", (set_text("//d:Currency", "XAU"),)
    ),
    Variant(
        "distribution: unknown society",
        "distribution",
        (set_text(f"{HEADER}/c:Recipient/c:SocietyCode", "999"),),
    ),
    Variant(
        "distribution: TIS not padded", "distribution", (set_text(f"{LINE}[1]/d:Territory", "276"),)
    ),
    Variant(
        "distribution: unknown TIS", "distribution", (set_text(f"{LINE}[1]/d:Territory", "9999"),)
    ),
    Variant("distribution: unknown role", "distribution", (set_text(f"{LINE}[1]//d:Role", "ZZ"),)),
    Variant(
        "distribution: amount 5 decimals",
        "distribution",
        (set_text(f"{LINE}[1]/d:Gross", "1.23456"),),
    ),
    Variant(
        "distribution: amount with comma", "distribution", (set_text(f"{LINE}[1]/d:Net", "962,95"),)
    ),
    Variant(
        "distribution: negative line count", "distribution", (set_text("//d:LineCount", "-1"),)
    ),
    Variant("distribution: missing Totals", "distribution", (remove("//d:Totals"),)),
    Variant("distribution: missing Net", "distribution", (remove(f"{LINE}[2]/d:Net"),)),
    Variant(
        "distribution: missing period end",
        "distribution",
        (remove("/d:DistributionStatement/d:Period/d:End"),),
    ),
    Variant(
        "distribution: IPI name 10 digits",
        "distribution",
        (set_text(f"{LINE}[1]//d:IpiNameNumber", "0028475613"),),
    ),
    Variant(
        "distribution: ISRC with dashes",
        "distribution",
        (set_text(f"{LINE}[3]//d:Isrc", "GB-AYE-25-00123"),),
    ),
    Variant(
        "distribution: unknown deduction type",
        "distribution",
        (set_attribute(f"{LINE}[1]//d:Deduction[1]", "Type", "Commission"),),
    ),
    Variant(
        "distribution: deduction without type",
        "distribution",
        (set_attribute(f"{LINE}[1]//d:Deduction[1]", "Type", ""),),
    ),
    Variant(
        "distribution: empty Deductions",
        "distribution",
        (remove(f"{LINE}[1]/d:Deductions/d:Deduction"),),
    ),
    Variant(
        "distribution: id with a space",
        "distribution",
        (set_text("//d:DistributionId", "GEMA 2025"),),
    ),
    Variant(
        "distribution: unknown right type", "distribution", (set_text("//d:RightType", "PRF"),)
    ),
)

VALID = (
    Variant(
        "ack: file-level message before the transactions",
        "ack",
        (
            insert_after(
                "/a:Acknowledgement/a:Summary",
                "<Message><Level>F</Level><Rejection>FR</Rejection><RecordType>HDR</RecordType>"
                "<Line>1</Line><Field>sender_name</Field><EditId>GW F 001</EditId>"
                "<Text>contains lower-case letters; CWR text is upper case</Text>"
                "<Value>Mcsc</Value></Message>",
            ),
        ),
    ),
    Variant(
        "ack: AGR transaction without title or work number",
        "ack",
        (
            set_text(f"{ACK_TX}[2]/a:OriginalTransactionType", "AGR"),
            remove(f"{ACK_TX}[2]/a:Title"),
            remove(f"{ACK_TX}[2]/a:SubmitterWorkNumber"),
        ),
    ),
    Variant(
        "ack: second ACK statuses and a CWR 3.1 original",
        "ack",
        (set_text(f"{ACK_TX}/a:Status", "AS"), set_text("//a:Version", "3.1")),
    ),
    Variant(
        "ack: zone as offset",
        "ack",
        (set_text(f"{HEADER}/c:Created", "2026-11-24T13:34:37+05:30"),),
    ),
    Variant(
        "ack: several recipients",
        "ack",
        (
            insert_after(
                f"{HEADER}/c:Recipient",
                "<c:Recipient><c:SocietyCode>707</c:SocietyCode></c:Recipient>",
            ),
        ),
    ),
    Variant("distribution: share 100", "distribution", (set_text(f"{LINE}[1]//d:Share", "100"),)),
    Variant("distribution: share 0", "distribution", (set_text(f"{LINE}[1]//d:Share", "0"),)),
    Variant(
        "distribution: publisher roles", "distribution", (set_text(f"{LINE}[2]//d:Role", "SE"),)
    ),
    Variant(
        "distribution: 4 decimals, negative",
        "distribution",
        (set_text(f"{LINE}[1]/d:Gross", "-0.0001"),),
    ),
    Variant(
        "distribution: no lines",
        "distribution",
        (remove(LINE), set_text("//d:LineCount", "0"), remove("//d:Totals/d:Deductions")),
    ),
    Variant(
        "distribution: line without deductions",
        "distribution",
        (remove(f"{LINE}[1]/d:Deductions"),),
    ),
    Variant(
        "distribution: paying and source society",
        "distribution",
        (
            insert_after(
                "//d:Currency",
                "<PayingSociety><c:SocietyCode>319</c:SocietyCode></PayingSociety>",
            ),
        ),
    ),
    Variant("distribution: 3-decimal currency", "distribution", (set_text("//d:Currency", "BHD"),)),
    Variant(
        "distribution: other deduction described",
        "distribution",
        (
            set_attribute(f"{LINE}[1]//d:Deduction[2]", "Type", "Other"),
            set_attribute(f"{LINE}[1]//d:Deduction[2]", "Description", "Music in schools fund"),
        ),
    ),
)


# --- common.xsd is generated ------------------------------------------------------------------


def test_common_xsd_equals_a_fresh_build() -> None:
    """The committed common.xsd is byte for byte what the generator writes from gateway.codes."""
    built = runpy.run_path(str(BUILDER))["build"]()
    assert built == (SCHEMAS / "common.xsd").read_bytes(), "run tools/build_common_xsd.py"


def test_generator_check_reports_a_stale_file(tmp_path: Path) -> None:
    """--check exits 1 for a stale file and 0 once the file has been written."""
    main = runpy.run_path(str(BUILDER))["main"]
    out = tmp_path / "common.xsd"
    out.write_text("<stale/>")
    assert main(["--check", "--out", str(out)]) == 1
    assert main(["--out", str(out)]) == 0
    assert main(["--check", "--out", str(out)]) == 0
    assert out.read_bytes() == (SCHEMAS / "common.xsd").read_bytes()


def _enumeration(name: str) -> list[str]:
    tree = etree.parse(str(SCHEMAS / "common.xsd"), PARSER)
    found = tree.xpath(
        f"/xs:schema/xs:simpleType[@name='{name}']/xs:restriction/xs:enumeration/@value",
        namespaces={"xs": XS},
    )
    assert isinstance(found, list)
    return [str(value) for value in found]


@pytest.mark.parametrize(
    ("type_name", "table"),
    [
        ("SocietyCode", "society"),
        ("TisCode", "tis"),
        ("LanguageCode", "language"),
        ("RightType", "right_type"),
        ("WriterDesignation", "writer_designation"),
        ("PublisherType", "publisher_type"),
        ("TransactionType", "transaction_type"),
        ("TitleType", "title_type"),
        ("TransactionStatus", "transaction_status"),
        ("MessageLevel", "message_level"),
        ("MessageType", "message_type"),
    ],
)
def test_code_list_enumerates_its_table(type_name: str, table: str) -> None:
    """Each code-list type enumerates exactly the codes of its gateway.codes table."""
    values = _enumeration(type_name)
    assert len(values) == len(set(values))
    assert set(values) == codes.lookup(table)


def test_currency_codes_are_the_iso_currencies_with_minor_units() -> None:
    """CurrencyCode lists every ISO 4217 code with minor units, and nothing else (XAU is out)."""

    def has_minor_units(code: str) -> bool:
        try:
            codes.minor_units(code)
        except ValueError:
            return False
        return True

    expected = {code for code in codes.lookup("currency") if has_minor_units(code)}
    assert set(_enumeration("CurrencyCode")) == expected
    assert {"EUR", "GBP", "JPY", "BHD"} <= expected
    assert "XAU" not in expected


def test_levels_follow_cisac_order() -> None:
    """MessageLevel and RejectionLevel are listed widest first, as the model names them."""
    assert tuple(_enumeration("MessageLevel")) == LEVELS
    assert tuple(_enumeration("RejectionLevel")) == REJECTIONS


# --- every schema loads, safely ------------------------------------------------------------------


def test_the_three_schemas_exist() -> None:
    """common, ack and distribution are present in schemas/."""
    assert {p.name for p in SCHEMA_FILES} >= {"common.xsd", "ack.xsd", "distribution.xsd"}


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_loads_in_lxml(path: Path) -> None:
    """lxml compiles the schema (and what it imports)."""
    assert isinstance(_lxml_schema(path), etree.XMLSchema)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_loads_in_xmlschema_sandboxed(path: Path) -> None:
    """xmlschema builds the schema as XSD 1.0 with access limited to schemas/."""
    schema = _xmlschema_schema(path)
    assert schema.XSD_VERSION == "1.0"
    assert schema.built


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_has_no_identity_constraints(path: Path) -> None:
    """No xs:key, xs:unique or xs:keyref: they make lxml's memory grow with the document."""
    tree = etree.parse(str(path), PARSER)
    found = [
        etree.QName(e).localname
        for e in tree.iter(f"{{{XS}}}key", f"{{{XS}}}unique", f"{{{XS}}}keyref")
    ]
    assert found == []


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_imports_only_local_files(path: Path) -> None:
    """Every import or include names a file beside it in schemas/, never a URL."""
    tree = etree.parse(str(path), PARSER)
    tags = [f"{{{XS}}}{tag}" for tag in ("import", "include", "redefine", "override")]
    for reference in tree.iter(*tags):
        location = reference.get("schemaLocation")
        assert location, f"{path.name}: {etree.QName(reference).localname} without schemaLocation"
        assert not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", location), location
        assert "/" not in location
        assert "\\" not in location
        assert (SCHEMAS / location).is_file(), location


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_qualifies_its_elements(path: Path) -> None:
    """Every schema sets elementFormDefault="qualified"."""
    root = etree.parse(str(path), PARSER).getroot()
    assert root.get("elementFormDefault") == "qualified"


@pytest.mark.parametrize("kind", sorted(NAMESPACES))
def test_schema_has_its_fixed_namespace(kind: str) -> None:
    """common, ack and distribution declare the namespaces other schemas rely on."""
    root = etree.parse(str(_schema_path(kind)), PARSER).getroot()
    assert root.get("targetNamespace") == NAMESPACES[kind]


# --- examples, and variants the schemas must refuse or accept -------------------------------------


@pytest.mark.parametrize("kind", sorted(EXAMPLE_OF))
def test_example_is_valid_in_both_validators(kind: str) -> None:
    """Each example document is valid in lxml and in xmlschema."""
    assert _verdicts(_schema_path(kind), _example(kind)) == (True, True)


@pytest.mark.parametrize("kind", sorted(EXAMPLE_OF))
def test_example_has_no_doctype_or_schema_location(kind: str) -> None:
    """Examples carry no DOCTYPE and no xsi:schemaLocation a reader might be tempted to follow."""
    text = (EXAMPLES / EXAMPLE_OF[kind]).read_text(encoding="utf-8")
    assert "<!DOCTYPE" not in text
    assert "schemaLocation" not in text


@pytest.mark.parametrize("variant", [pytest.param(v, id=v.name) for v in INVALID])
def test_invalid_variant_is_refused_by_both(variant: Variant) -> None:
    """Each broken variant of an example is invalid in lxml and in xmlschema alike."""
    assert _verdicts(_schema_path(variant.kind), variant.tree()) == (False, False)


@pytest.mark.parametrize("variant", [pytest.param(v, id=v.name) for v in VALID])
def test_valid_variant_is_accepted_by_both(variant: Variant) -> None:
    """Each allowed variation of an example is valid in lxml and in xmlschema alike."""
    assert _verdicts(_schema_path(variant.kind), variant.tree()) == (True, True)


def test_lxml_error_names_the_line_and_the_element() -> None:
    """A refused document gets an error that says where and what, not a bare failure."""
    tree = INVALID[0].tree()
    schema = _lxml_schema(_schema_path("ack"))
    assert not schema.validate(tree)
    error = schema.error_log.last_error
    assert error is not None
    assert error.line > 0
    assert "Iswc" in error.message


# --- the common types, one by one -----------------------------------------------------------------

PROBE_NS = "urn:test:probe"
PROBED_TYPES = (
    "Iswc",
    "IpiNameNumber",
    "IpiBaseNumber",
    "Isrc",
    "Isni",
    "EditId",
    "Share",
    "Amount",
    "NonNegativeAmount",
    "Identifier",
    "Token20",
    "Text1000",
    "FormatVersion",
    "Timestamp",
    "Role",
    "SocietyCode",
    "TisCode",
    "CurrencyCode",
    "LanguageCode",
    "RejectionLevel",
)


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A schema beside a copy of common.xsd with one element per common type, named after it."""
    folder = tmp_path_factory.mktemp("probe")
    shutil.copy(SCHEMAS / "common.xsd", folder / "common.xsd")
    elements = "".join(f'<xs:element name="{t}" type="c:{t}"/>' for t in PROBED_TYPES)
    (folder / "probe.xsd").write_text(
        f'<xs:schema xmlns:xs="{XS}" xmlns:c="{COMMON_NS}" targetNamespace="{PROBE_NS}" '
        f'elementFormDefault="qualified"><xs:import namespace="{COMMON_NS}" '
        f'schemaLocation="common.xsd"/>{elements}</xs:schema>',
        encoding="utf-8",
    )
    return folder / "probe.xsd"


@pytest.mark.parametrize(
    ("type_name", "value", "valid"),
    [
        ("Iswc", "T0345246801", True),
        ("Iswc", "T-034.524.680-1", False),
        ("Iswc", "T03452468012", False),
        ("IpiNameNumber", "00014107338", True),
        ("IpiNameNumber", "14107338", False),
        ("IpiBaseNumber", "I-000000229-7", True),
        ("IpiBaseNumber", "I0000002297", False),
        ("Isrc", "USSKG1912345", True),
        ("Isrc", "US-SKG-19-12345", False),
        ("Isrc", "USSKG191234", False),
        ("Isni", "000000012281955X", True),
        ("Isni", "0000 0001 2281 955X", False),
        ("Isni", "000000012281955Y", False),
        ("EditId", "NWR T 015", True),
        ("EditId", "GW F 001", True),
        ("EditId", "FIL E 001", True),
        ("EditId", "WRK T 024", True),
        ("EditId", "NWR T 15", False),
        ("EditId", "NWRS T 015", False),
        ("Share", "100", True),
        ("Share", "100.00", True),
        ("Share", "0.01", True),
        ("Share", "100.01", False),
        ("Share", "33.333", False),
        ("Share", "+50", False),
        ("Amount", "-12345678901234.1234", True),
        ("Amount", "0.12345", False),
        ("Amount", "123456789012345", False),
        ("Amount", "1e3", False),
        ("NonNegativeAmount", "0", True),
        ("NonNegativeAmount", "-0.01", False),
        ("Identifier", "x" * 64, True),
        ("Identifier", "x" * 65, False),
        ("Identifier", "", False),
        ("Token20", "  SW  0001  ", True),
        ("Token20", "x" * 21, False),
        ("Text1000", "x" * 1000, True),
        ("Text1000", "x" * 1001, False),
        ("FormatVersion", "1.0", True),
        ("FormatVersion", "1", False),
        ("Timestamp", "2026-01-01T00:00:00Z", True),
        ("Timestamp", "2026-01-01T00:00:00-05:00", True),
        ("Timestamp", "2026-01-01T00:00:00", False),
        ("Timestamp", "2026-02-30T00:00:00Z", False),
        ("Role", "CA", True),
        ("Role", "E", True),
        ("Role", "PA", True),
        ("Role", "ca", False),
        ("SocietyCode", "035", True),
        ("SocietyCode", "35", False),
        ("TisCode", "2136", True),
        ("TisCode", "0826", True),
        ("CurrencyCode", "JPY", True),
        ("CurrencyCode", "eur", False),
        ("LanguageCode", "EN", True),
        ("LanguageCode", "ENG", False),
        ("RejectionLevel", "FR", True),
        ("RejectionLevel", "F", False),
    ],
)
def test_common_type_verdict(probe: Path, type_name: str, value: str, valid: bool) -> None:
    """Each common type accepts or refuses a value, and both validators agree."""
    element = etree.Element(f"{{{PROBE_NS}}}{type_name}")
    element.text = value
    tree = etree.ElementTree(element)
    assert _verdicts(probe, tree) == (valid, valid)


# --- the examples are realistic -------------------------------------------------------------------


def _amount(element: etree._Element, path: str) -> Decimal:
    return Decimal(str(element.findtext(path, namespaces=XPATH_NS)))


def _deductions(element: etree._Element) -> dict[str, Decimal]:
    found = element.findall("d:Deductions/d:Deduction", namespaces=XPATH_NS)
    return {str(d.get("Type")): Decimal(str(d.text)) for d in found}


def test_distribution_example_adds_up() -> None:
    """Each line's net is gross less deductions, and the totals are the sums of the lines."""
    root = _example("distribution").getroot()
    lines = root.findall("d:Line", namespaces=XPATH_NS)
    assert 5 <= len(lines) <= 8
    totals = root.find("d:Totals", namespaces=XPATH_NS)
    assert totals is not None
    summed: dict[str, Decimal] = {}
    for line in lines:
        deductions = _deductions(line)
        assert _amount(line, "d:Net") == _amount(line, "d:Gross") - sum(deductions.values())
        for kind, value in deductions.items():
            summed[kind] = summed.get(kind, Decimal(0)) + value
    assert int(str(totals.findtext("d:LineCount", namespaces=XPATH_NS))) == len(lines)
    assert _amount(totals, "d:Gross") == sum(_amount(line, "d:Gross") for line in lines)
    assert _amount(totals, "d:Net") == sum(_amount(line, "d:Net") for line in lines)
    assert _deductions(totals) == summed


def test_example_identifiers_have_valid_check_digits() -> None:
    """ISWCs, IPI numbers and ISRCs in the examples pass the gateway's identifier checks."""
    checks: dict[str, Callable[[str], bool]] = {
        "Iswc": identifiers.iswc_is_valid,
        "IpiNameNumber": identifiers.ipi_name_number_is_valid,
        "IpiBaseNumber": identifiers.ipi_base_number_is_valid,
        "Isrc": identifiers.isrc_is_valid,
    }
    seen = 0
    for kind in EXAMPLE_OF:
        for element in _example(kind).iter():
            check = checks.get(etree.QName(element).localname)
            if check is not None:
                seen += 1
                assert check(str(element.text)), element.text
    assert seen >= 10


def test_ack_example_summary_agrees_with_its_transactions() -> None:
    """The summary counts match the transactions and messages listed."""
    root = _example("ack").getroot()
    transactions = root.findall("a:Transaction", namespaces=XPATH_NS)
    statuses = [t.findtext("a:Status", namespaces=XPATH_NS) for t in transactions]
    messages = root.findall(".//a:Message", namespaces=XPATH_NS)

    def count(name: str) -> int:
        return int(str(root.findtext(f"a:Summary/a:{name}", namespaces=XPATH_NS)))

    assert count("TransactionCount") == len(transactions)
    assert count("RejectedCount") == statuses.count("RJ")
    assert count("AcceptedCount") == len(statuses) - statuses.count("RJ") - statuses.count("NP")
    assert count("MessageCount") == len(messages)


# --- docs/xml-formats.md --------------------------------------------------------------------------


def _declared_names(path: Path) -> set[str]:
    tree = etree.parse(str(path), PARSER)
    found = tree.xpath("//xs:element/@name | //xs:attribute/@name", namespaces={"xs": XS})
    assert isinstance(found, list)
    return {str(name) for name in found}


def _type_names(path: Path) -> set[str]:
    tree = etree.parse(str(path), PARSER)
    found = tree.xpath(
        "/xs:schema/*[self::xs:simpleType or self::xs:complexType]/@name", namespaces={"xs": XS}
    )
    assert isinstance(found, list)
    return {str(name) for name in found}


@pytest.mark.parametrize("kind", sorted(NAMESPACES))
def test_docs_name_every_element_and_type(kind: str) -> None:
    """docs/xml-formats.md mentions, in backticks, every element, attribute and type declared."""
    text = DOC.read_text(encoding="utf-8")
    path = _schema_path(kind)
    missing = sorted(n for n in _declared_names(path) | _type_names(path) if f"`{n}`" not in text)
    assert missing == []


def test_docs_have_a_section_per_schema() -> None:
    """The document has a section for the common types, the acknowledgement and the statement."""
    headings = re.findall(r"^## (.+)$", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert "Common types" in headings
    assert "Acknowledgement" in headings
    assert "Distribution statement" in headings
