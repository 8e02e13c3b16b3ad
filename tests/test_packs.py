"""Rule packs load strictly and switch the right CISAC and society edits on, off and to NP."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.validation.catalogue import EditId, catalogue
from gateway.validation.packs import PackError, RulePack, _load_path, load_pack, packs

SHIPPED = ("ascap", "bmi", "cisac", "gema", "ice", "prs", "sacem", "sgae")
FAMILIES = ("2", "2.1", "2.2", "3", "3.0", "3.1")
# Generic edits that only apply to receivers requiring society-assigned agreement numbers.
AGREEMENT_NUMBER_EDITS = {
    "2": {"SPU F 041", "SPU F 042", "SPU F 043", "SPU F 044"},
    "3": {"SPT F 026", "SPT F 027", "SPT F 028", "SPT F 029"},
}


def _write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_packs() -> None:
    assert packs() == SHIPPED


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("key", SHIPPED)
def test_every_shipped_pack_loads(key: str, family: str) -> None:
    pack = load_pack(key, family)
    assert isinstance(pack, RulePack)
    assert pack.key == key
    assert pack.family == family
    assert pack.levels
    assert pack.no_participation <= set(pack.levels)
    assert set(pack.levels) <= set(catalogue(pack.catalogue_family))


# The cisac pack's one relevel: record length (trimmed records) is reported, not fatal.
LENIENT = {"2": {"FIL F 009": "FR"}, "3": {"FIL F 019": "FR"}}


@pytest.mark.parametrize("family", ["2", "3"])
def test_cisac_enables_generic_and_disables_society_edits(family: str) -> None:
    pack = load_pack("cisac", family)
    assert pack.societies == ()
    assert pack.extends is None
    for edit_id, rows in catalogue(family).items():
        has_generic = any(row.generic for row in rows)
        wanted = has_generic and str(edit_id) not in AGREEMENT_NUMBER_EDITS[family]
        assert pack.enabled(edit_id) is wanted, edit_id
        if wanted:
            expected = LENIENT.get(family, {}).get(str(edit_id), rows[0].rejection)
            assert pack.rejection(edit_id) == expected
        else:
            assert pack.rejection(edit_id) is None
    assert not pack.no_participation


def test_cisac_levels_of_known_edits() -> None:
    pack = load_pack("cisac")
    assert pack.rejection("NWR F 005") == "FR"
    assert pack.rejection("FIL E 001") == "ER"
    assert not pack.enabled("NWR T 030")
    assert pack.rejection(EditId.parse("NWR T 030")) is None


def test_gema_enables_its_edits_and_no_participation() -> None:
    pack = load_pack("gema")
    assert pack.name == "GEMA"
    assert pack.societies == ("035",)
    assert pack.enabled("NWR T 030")
    assert pack.rejection("NWR T 030") == "TR"
    assert pack.gives_no_participation("NWR T 030")
    assert EditId.parse("NWR T 030") in pack.no_participation
    assert pack.gives_no_participation("NWR T 031")
    assert not pack.gives_no_participation("NWR T 024")
    assert pack.enabled("NWR T 024")  # inherited from cisac
    assert not pack.enabled("NWR T 041")  # SACEM's


def test_gema_version_tables() -> None:
    assert load_pack("gema", "2.1").enabled("NWR F 026")
    assert not load_pack("gema", "2.2").enabled("NWR F 026")  # 2.2 Rev 2 §7.4: removed
    pack_3 = load_pack("gema", "3")
    assert pack_3.enabled("WRK T 012")
    assert pack_3.no_participation == {EditId.parse("WRK T 012"), EditId.parse("WRK T 013")}


def test_lookup_by_name_or_society_code() -> None:
    assert load_pack("035").key == "gema"
    assert load_pack("GEMA").key == "gema"
    assert load_pack(" Gema ").key == "gema"
    assert load_pack("58").key == "sacem"
    assert load_pack("319").key == "ice"
    assert load_pack("079").key == "ice"
    assert load_pack("044").key == "prs"
    assert load_pack("gema") is load_pack("035")


def test_unknown_pack_lists_known_ones() -> None:
    with pytest.raises(ValueError, match=r"no rule pack for 'nosuch'.*gema \(035\)"):
        load_pack("nosuch")
    with pytest.raises(ValueError, match="no rule pack for '999'"):
        load_pack("999")
    with pytest.raises(ValueError, match="unknown CWR family"):
        load_pack("gema", "4")


def test_society_packs_content() -> None:
    assert load_pack("sacem").gives_no_participation("NWR T 041")
    assert not load_pack("sacem", "2.2").enabled("SPU F 039")
    assert load_pack("sacem", "2.2").enabled("SPU F 046")
    assert load_pack("sgae").enabled("NWR T 036")
    assert load_pack("sgae", "3").gives_no_participation("WRK T 013")
    assert load_pack("ascap", "2.1").enabled("NWR T 028")
    assert not load_pack("ascap", "2.2").enabled("NWR T 028")
    assert load_pack("ascap", "3").rejection("SPU R 006") == "TR"  # MusicMark
    assert load_pack("bmi").enabled("NWR F 021")
    assert not load_pack("cisac").enabled("NWR F 021")
    ice = load_pack("ice")
    assert ice.enabled("PWR F 014")
    assert ice.enabled("SPU F 041")
    assert load_pack("ice", "3").enabled("SPT F 030")
    prs = load_pack("prs", "2.1")
    assert prs.extends == "ice"
    assert prs.enabled("PWR F 014")  # from ice
    assert prs.enabled("NWR T 021")  # MCPS-PRS
    assert not load_pack("prs", "2.2").enabled("NWR T 021")


def test_relevel_enable_disable(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
name = "Mine"
societies = ["999"]
extends = "gema"

[cwr2]
enable = ["NWR T 041"]
disable = ["NWR T 024", "NWR T 031"]
no_participation = ["NWR T 041"]
[cwr2.rejection]
"NWR F 004" = "TR"
"NWR F 005" = "RR"
""",
    )
    pack = _load_path(path)
    assert pack.key == "mine"
    assert load_pack("cisac").rejection("NWR F 004") == "FR"
    assert pack.rejection("NWR F 004") == "TR"
    assert pack.rejection("NWR F 005") == "RR"
    assert not pack.enabled("NWR T 024")
    assert pack.enabled("NWR T 041")
    assert pack.gives_no_participation("NWR T 030")  # inherited from gema
    assert not pack.gives_no_participation("NWR T 031")  # disabled here
    assert pack.gives_no_participation("NWR T 041")


def test_extends_a_sibling_file(tmp_path: Path) -> None:
    _write(tmp_path, 'name = "Base"\nsocieties = []\nenable_generic_edits = true\n', "base.toml")
    path = _write(tmp_path, 'name = "Child"\nsocieties = []\nextends = "base"\n')
    assert _load_path(path).levels == load_pack("cisac").levels | {
        EditId.parse(e): "TR" for e in AGREEMENT_NUMBER_EDITS["2"]
    } | {EditId.parse("FIL F 009"): "ER"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('name = "X"\nsocieties = []\ncolour = "red"\n', r"mine\.toml: unknown key 'colour'"),
        ("societies = []\n", r"mine\.toml: name: must be a non-empty string"),
        ('name = "X"\n', r"mine\.toml: societies: must be a list"),
        ('name = "X"\nsocieties = ["35"]\n', r"mine\.toml: societies: '35' is not a 3-digit"),
        (
            'name = "X"\nsocieties = []\nenable_society_edits = "yes"\n',
            r"mine\.toml: enable_society_edits: must be a bool",
        ),
        (
            'name = "X"\nsocieties = []\nextends = "nosuch"\n',
            r"mine\.toml: extends: no pack 'nosuch'",
        ),
        (
            'name = "X"\nsocieties = []\n[cwr2]\ndisable = ["NWR T 999"]\n',
            r"mine\.toml: cwr2\.disable\[0\]: NWR T 999 is not in the CWR 2\.x catalogue",
        ),
        (
            'name = "X"\nsocieties = []\n[cwr3]\ndisable = ["NWR T 024"]\n',
            r"mine\.toml: cwr3\.disable\[0\]: NWR T 024 is not in the CWR 3\.x catalogue",
        ),
        (
            'name = "X"\nsocieties = []\n[cwr2]\ndisable = ["NWR 24"]\n',
            r"mine\.toml: cwr2\.disable\[0\]: not an edit id",
        ),
        (
            'name = "X"\nsocieties = []\nextends = "cisac"\n[cwr2.rejection]\n"SPU F 019" = "XR"\n',
            r"mine\.toml: cwr2\.rejection\.'SPU F 019': level 'XR' is not one of",
        ),
        (
            'name = "X"\nsocieties = []\n[cwr2.rejection]\n"SPU F 019" = "TR"\n',
            r"mine\.toml: cwr2\.rejection\.'SPU F 019': SPU F 019 is not switched on",
        ),
        (
            'name = "X"\nsocieties = []\nextends = "cisac"\n[cwr2]\ndisable = ["NWR T 030"]\n',
            r"mine\.toml: cwr2\.disable\[0\]: NWR T 030 is not switched on",
        ),
        (
            (
                'name = "X"\nsocieties = []\nextends = "cisac"\n'
                '[cwr2]\nno_participation = ["NWR T 030"]\n'
            ),
            r"mine\.toml: cwr2\.no_participation\[0\]: NWR T 030 is not switched on",
        ),
        (
            'name = "X"\nsocieties = []\n[cwr2]\nenable = ["NWR T 030"]\ndisable = ["NWR T 030"]\n',
            r"mine\.toml: cwr2\.disable\[0\]: NWR T 030 is listed in cwr2\.enable already",
        ),
        (
            'name = "X"\nsocieties = []\n[cwr2]\nswitch_off = []\n',
            r"mine\.toml: cwr2\.switch_off: unknown key",
        ),
        ('name = "X"\nsocieties = []\ncwr2 = 1\n', r"mine\.toml: cwr2: must be a table"),
        ('name = "X"\nsocieties = [\n', r"mine\.toml: not valid TOML"),
    ],
)
def test_malformed_pack_files(tmp_path: Path, body: str, message: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(PackError, match=message):
        _load_path(path)


def test_malformed_pack_error_is_a_value_error(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name = "X"\nsocieties = []\nbogus = 1\n')
    with pytest.raises(ValueError, match=r"mine\.toml: unknown key 'bogus'"):
        _load_path(path)


def test_circular_extends(tmp_path: Path) -> None:
    _write(tmp_path, 'name = "A"\nsocieties = []\nextends = "b"\n', "a.toml")
    _write(tmp_path, 'name = "B"\nsocieties = []\nextends = "a"\n', "b.toml")
    with pytest.raises(PackError, match=r"extends: circular \(a -> b -> a\)"):
        _load_path(tmp_path / "a.toml")


def test_version_tables_are_checked_even_when_not_applied(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name = "X"\nsocieties = []\n[cwr31]\nenable = ["NWR T 030"]\n')
    with pytest.raises(PackError, match=r"cwr31\.enable\[0\]: NWR T 030 is not in the CWR 3\.x"):
        _load_path(path, "2")


def test_society_codes_are_unique_across_shipped_packs() -> None:
    seen: dict[str, str] = {}
    for key in packs():
        for code in load_pack(key).societies:
            assert code not in seen, (code, key, seen.get(code))
            seen[code] = key
