"""Object folder names from titles: the 173 real titles, catalogs, cross-indexes, hostile input."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slooh_async.organizer import (
    CATALOGS,
    DEFAULT_OBJECT_PREFERENCE,
    catalog_of,
    component_problem,
    object_name,
    validate_object_preference,
)
from slooh_async.organizer._catalogs import CALDWELL_CROSS, MESSIER_CROSS

DATA = Path(__file__).parent / "data"


def reviewed_table() -> list[dict[str, str]]:
    """Rows of tests/data/object_names.csv: title, object, catalog, note."""
    with open(DATA / "object_names.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def legacy_titles() -> set[str]:
    """The distinct ``object_name`` titles of the real legacy tracker."""
    records = json.loads((DATA / "legacy_download_tracker.json").read_text("utf-8"))["images"]
    return {record["object_name"] for record in records.values()}


def test_table_covers_every_real_title() -> None:
    """The reviewed table has exactly the 173 distinct titles of the legacy tracker."""
    titles = [row["title"] for row in reviewed_table()]
    assert len(titles) == len(set(titles)) == 173
    assert set(titles) == legacy_titles()


@pytest.mark.parametrize("row", reviewed_table(), ids=lambda row: row["title"].strip())
def test_real_title_maps_to_reviewed_name(row: dict[str, str]) -> None:
    """Each real title gives the reviewed object name and catalog."""
    assert object_name(row["title"]) == row["object"]
    assert (catalog_of(row["title"]) or "") == row["catalog"]


def test_real_titles_give_portable_names() -> None:
    """Every name in the reviewed table is a valid file name on every OS."""
    for row in reviewed_table():
        assert component_problem(row["object"]) is None, row


@pytest.mark.parametrize(
    ("spellings", "expected"),
    [
        (["Messier 43 ", "De Mairan's Nebula (M43)", "NGC 1982", "m 43"], "M43"),
        (["Orion Nebula (M42)", "NGC 1976", "Messier 042"], "M42"),
        (["Caldwell 41 (Mel 25)", "Hyades (Mel 25)", "Melotte 25", "C41"], "C41"),
        (["Caldwell 109 ", "Caldwell 109 (NGC 3195)", "NGC3195"], "NGC3195"),
        (["Caldwell 80 ", "Omega Centauri (NGC 5139)"], "NGC5139"),
        (["Bennett 85 (NGC 6266)", "Globular Star Cluster M62"], "M62"),
        (["Sh2-155", "Sh 2-155", "Sharpless 155", "Caldwell 9"], "C9"),
        (["Pleiades Star Cluster (M45)", "Mel 22"], "M45"),
    ],
)
def test_one_object_one_folder_whatever_the_spelling(spellings: list[str], expected: str) -> None:
    """Every spelling of one object gives the same folder (cross-indexes included)."""
    assert {object_name(title) for title in spellings} == {expected}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("NGC  7000", "NGC7000"),
        ("IC 434", "IC434"),
        ("Caldwell 99", "C99"),
        ("Sh2-129", "Sh2-129"),
        ("Barnard 72", "B72"),
        ("B 33", "B33"),
        ("Melotte 111", "Mel111"),
        ("Collinder 399", "Cr399"),
        ("Cr. 399", "Cr399"),
        ("Abell 2151", "Abell 2151"),
        ("Arp 273", "Arp 273"),
        ("HCG 92", "Hickson 92"),
        ("vdB 142", "vdB142"),
        ("LDN 1622", "LDN 1622"),
        ("Trumpler 14", "Trumpler 14"),
        ("IC 1396A", "IC1396A"),
        ("Elephant's Trunk (IC 1396 A)", "IC1396"),
        ("Dark Doodad Nebula (DCLD 301.0 -08.6)", "DCLD 301.0-08.6"),
        ("Leo Triplet (M66 Group)", "M66 Group"),
    ],
)
def test_catalog_designations_are_normalized(title: str, expected: str) -> None:
    """Designations lose spaces where astronomers write them tight, keep them where they don't."""
    assert object_name(title) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Comet C/2025 A6 (Lemmon)", "C-2025 A6 (Lemmon)"),
        ("C/2025 A6", "C-2025 A6"),
        (
            "Celestial Coordinates - RA: 23.1289  Dec: -42.3333 (C2024 E1 Wierzchos)",
            "C-2024 E1 (Wierzchos)",
        ),
        ("Comet C/2024 E1 (Wierzchos)", "C-2024 E1 (Wierzchos)"),
        ("Comet 12P/Pons-Brooks", "12P (Pons-Brooks)"),
        ("1P/Halley", "1P (Halley)"),
        ("Comet 12P", "12P"),
        ("C/2020 F3 NEOWISE near M5", "C-2020 F3 (NEOWISE)"),
        ("Full Moon", "Moon"),
        ("Waxing Gibbous Moon", "Moon"),
        ("The Planet Jupiter", "Jupiter"),
        ("Saturn Nebula", "Saturn Nebula"),
        ("Antares (Alpha Scorpii)", "Antares"),
        ("Proxima Centauri (Alpha Centauri C)", "Proxima Centauri"),
        ("61 Cygni", "61 Cygni"),
        ("Veil Nebula (East)", "Veil Nebula (East)"),
        ("Celestial Coordinates - RA: 5.5  Dec: -1.2", "Celestial Coordinates - RA 5.5 Dec -1.2"),
    ],
)
def test_comets_bodies_and_proper_names(title: str, expected: str) -> None:
    """Comets get safe designations, solar-system bodies their name, others a cleaned title."""
    assert object_name(title) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Comet C/2025 A6 (Lemmon)", "Comet"),
        ("Jupiter", "Solar System"),
        ("Horsehead Nebula (Barnard 33)", "Barnard"),
        ("Caldwell 99", "Caldwell"),
        ("Antares (Alpha Scorpii)", None),
        ("", None),
    ],
)
def test_catalog_of_names_the_winning_catalog(title: str, expected: str | None) -> None:
    """``catalog_of`` gives the catalog of the chosen designation, ``None`` for proper names."""
    assert catalog_of(title) == expected


@pytest.mark.parametrize(
    ("preference", "expected"),
    [
        (["M", "NGC", "IC", "C"], "NGC3195"),
        (["C", "NGC"], "C109"),
        (["Caldwell"], "C109"),
        ([], "NGC3195"),
    ],
)
def test_preference_decides_between_designations(preference: list[str], expected: str) -> None:
    """The first catalog of the preference that names the object wins, then the default order."""
    for title in ("Caldwell 109 (NGC 3195)", "Caldwell 109 ", "NGC 3195"):
        assert object_name(title, preference) == expected


def test_preference_with_ngc_first_turns_messier_into_ngc() -> None:
    """With NGC before M, every spelling of M42 gives NGC1976."""
    for title in ("Orion Nebula (M42)", "Messier 42 ", "NGC 1976"):
        assert object_name(title, ["NGC", "M"]) == "NGC1976"


def test_earlier_designation_wins_within_one_catalog() -> None:
    """Two objects of one catalog: the one named first in the title."""
    assert object_name("NGC 4568/4567") == "NGC4568"
    assert object_name("The Odd Couple (NGC 6204 and Hogg 22)", ["Hogg"]) == "Hogg 22"


@pytest.mark.parametrize(
    "title",
    [
        "M200",
        "C2024",
        "Caldwell 110",
        "HM42",
        "M42x",
        "M" + "4" * 5000,
        "Saturn in 3D",
        "Celestial Coordinates - RA: 1 Dec: 2",
    ],
)
def test_lookalikes_are_not_designations(title: str) -> None:
    """Out-of-range numbers and glued letters are not catalog designations."""
    assert catalog_of(title) is None


def test_unknown_name_for_empty_titles() -> None:
    """Blank titles give the ``unknown`` name, itself made safe."""
    assert object_name("   ") == "Unknown"
    assert object_name("", unknown="No title") == "No title"
    assert object_name("", unknown="a/b") == "a_b"
    assert object_name("...", unknown="..") == "Unknown"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("../../etc", "etc"),
        ("CON", "CON_"),
        ("lpt1.txt", "lpt1_.txt"),
        ("a/b\\c", "a-b-c"),
        ("  ", "Unknown"),
        ("\x00\x01", "Unknown"),
        ("M42\x00../..", "M42"),
        ("Nebula \u202egpj.exe", "Nebula gpj.exe"),
        ('The "Eye" <of> Sauron?', "The 'Eye' of Sauron"),
        ("🪐 Ringed 🪐", "🪐 Ringed 🪐"),
    ],
)
def test_hostile_titles_give_safe_names(title: str, expected: str) -> None:
    """Traversal, device names, separators, controls, bidi tricks and emoji come out safe."""
    assert object_name(title) == expected


def test_very_long_title_fits_one_component() -> None:
    """A 300-character title gives a name of at most 255 bytes."""
    name = object_name("Nébuleuse " * 30)
    assert len(name.encode()) <= 255
    assert component_problem(name) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_title_gives_a_portable_name(title: str) -> None:
    """For any text, the object name is a non-empty portable file name, the same every time."""
    name = object_name(title)
    assert component_problem(name) is None
    assert object_name(title) == name


@pytest.mark.parametrize(
    ("given_names", "expected"),
    [
        (["M", "NGC", "IC", "C"], ["M", "NGC", "IC", "C"]),
        (["messier", "Caldwell", "sharpless", "BARNARD", "Melotte"], ["M", "C", "Sh2", "B", "Mel"]),
        (["M", "Messier", " ngc "], ["M", "NGC"]),
        ([], []),
    ],
)
def test_preference_is_normalized(given_names: list[str], expected: list[str]) -> None:
    """Catalog names and aliases become keys, case-insensitively, without duplicates."""
    assert validate_object_preference(given_names) == expected


def test_unknown_catalog_in_preference_is_named() -> None:
    """An unknown catalog is a ValueError naming it and listing the known keys."""
    with pytest.raises(ValueError, match=r"unknown catalog 'XYZ'; known: M, NGC, IC, C, Sh2"):
        validate_object_preference(["M", "XYZ"])


def test_default_preference_is_valid() -> None:
    """The default preference is made of known catalog keys."""
    assert validate_object_preference(list(DEFAULT_OBJECT_PREFERENCE)) == list(
        DEFAULT_OBJECT_PREFERENCE
    )


def test_cross_index_tables_are_complete_and_unambiguous() -> None:
    """108 Messier and 108 Caldwell identifications, no designation claimed twice."""
    assert len(MESSIER_CROSS) == 108 and set(MESSIER_CROSS) == set(range(1, 111)) - {24, 40}
    assert len(CALDWELL_CROSS) == 108 and set(CALDWELL_CROSS) == set(range(1, 110)) - {99}
    owners: dict[str, list[str]] = defaultdict(list)
    for prefix, table in (("M", MESSIER_CROSS), ("C", CALDWELL_CROSS)):
        for number, other in table.items():
            owners[other].append(f"{prefix}{number}")
            assert object_name(other) in {other, f"{prefix}{number}"}
    assert {other: names for other, names in owners.items() if len(names) > 1} == {}


def test_catalog_keys_and_aliases_are_unique() -> None:
    """No alias names two catalogs (the preference would be ambiguous)."""
    names = [name.casefold() for cat in CATALOGS for name in {cat.key, cat.title, *cat.aliases}]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[A-Za-z0-9]+", cat.key) for cat in CATALOGS)
