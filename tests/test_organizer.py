"""FileOrganizer: destinations from templates, length limit, safety checks and folder stats."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

import pytest

import slooh_async.organizer as organizer
from slooh_async.api import Picture
from slooh_async.config import FolderSettings
from slooh_async.engine import FolderStats, Placement, scan_library
from slooh_async.organizer import (
    PRESET_TEMPLATES,
    FileOrganizer,
    PathError,
    path_length,
)
from slooh_async.tracker import ImageRow

FITS_URL = (
    "https://polaris.slooh.com/teide/2/widefield/2026/01/21/0115_m42/"
    "m42_20260121_011658_0_iycarr_b_cal.fit"
)
PNG_URL = (
    "https://polaris2.slooh.com/chile/1/highmag/2026/02/09/0325_m1/"
    "m1_20260209_032548_0_y7g9el_m.png?rand=1770718975.7166"
)


def picture(**fields: Any) -> Picture:
    """A photoRoll picture as the service lists it; keyword arguments override fields."""
    data: dict[str, Any] = {
        "imageId": 17262680,
        "scheduledMissionId": 3996220,
        "imageTitle": "Orion Nebula (M42)",
        "imageDownloadURL": FITS_URL,
        "telescopeName": "Canary Two",
        "instrumentName": "CCD Imager",
        "displayDate": "Jan. 21, 2026",
        "displayTime": "01:16:58 UTC",
    }
    data.update(fields)
    return Picture.model_validate(data)


def organizer_for(tmp_path: Path, **folders: Any) -> FileOrganizer:
    """An organizer over ``tmp_path/lib`` with the given folder settings."""
    return FileOrganizer(FolderSettings(base_path=tmp_path / "lib", **folders))


def test_all_names_are_exported() -> None:
    """``__all__`` lists exactly the package's public names (modules aside)."""
    public = {
        name
        for name in dir(organizer)
        if not name.startswith("_") and not isinstance(getattr(organizer, name), ModuleType)
    }
    assert set(organizer.__all__) == public - {"annotations"}


def test_default_layout_matches_the_original_tool(tmp_path: Path) -> None:
    """Defaults give ``M42/Canary Two/FITS/Canary Two_<file>`` and ``.../Pictures/...`` for PNG."""
    org = organizer_for(tmp_path)
    assert org.relative_path(picture()) == PurePosixPath(
        "M42/Canary Two/FITS/Canary Two_m42_20260121_011658_0_iycarr_b_cal.fit"
    )
    png = picture(
        imageTitle="Crab Nebula (M1)", imageDownloadURL=PNG_URL, telescopeName="Chile One"
    )
    assert org.relative_path(png) == PurePosixPath(
        "M1/Chile One/Pictures/Chile One_m1_20260209_032548_0_y7g9el_m.png"
    )


@pytest.mark.parametrize(
    ("organize_by", "expected"),
    [
        ("object", "M42/Canary Two/FITS"),
        ("date", "2026/2026-01-21/M42/FITS"),
        ("telescope", "Canary Two/M42/FITS"),
    ],
)
def test_presets_apply_when_no_template_is_set(
    tmp_path: Path, organize_by: str, expected: str
) -> None:
    """``organize_by`` picks the preset folder template of the same name."""
    org = organizer_for(tmp_path, organize_by=organize_by)
    assert org.relative_path(picture()).parent == PurePosixPath(expected)
    assert set(PRESET_TEMPLATES) == {"object", "date", "telescope"}


def test_explicit_template_wins_over_the_preset(tmp_path: Path) -> None:
    """``template`` is used even when ``organize_by`` is set."""
    org = organizer_for(tmp_path, organize_by="date", template="{catalog}/{object}")
    assert org.relative_path(picture()).parent == PurePosixPath("Messier/M42")


def test_every_placeholder_has_a_value(tmp_path: Path) -> None:
    """Each placeholder renders the documented value for a real picture."""
    values = organizer_for(tmp_path).template_values(picture())
    assert values == {
        "object": "M42",
        "telescope": "Canary Two",
        "instrument": "CCD Imager",
        "format": "FITS",
        "filename": "m42_20260121_011658_0_iycarr_b_cal.fit",
        "title": "Orion Nebula (M42)",
        "date": "2026-01-21",
        "year": "2026",
        "month": "01",
        "day": "21",
        "type": "FITS",
        "filter": "B",
        "mission": "3996220",
        "image_id": "17262680",
        "catalog": "Messier",
    }
    assert set(values) == set(organizer.PLACEHOLDERS)


def test_missing_values_have_readable_stand_ins(tmp_path: Path) -> None:
    """No telescope, instrument, date, filter, mission or id: documented stand-ins, not ``""``."""
    bare = Picture.model_validate(
        {"imageTitle": "  ", "imageDownloadURL": "https://h.example/x/flat.png", "kind": "fits"}
    )
    values = organizer_for(tmp_path).template_values(bare)
    assert values["telescope"] == "Unknown telescope"
    assert values["instrument"] == "Unknown instrument"
    assert (values["date"], values["year"], values["month"], values["day"]) == ("undated",) * 4
    assert values["filter"] == "Unknown filter"
    assert values["mission"] == "0"
    assert values["image_id"] == "flat"
    assert values["object"] == values["title"] == "Unknown"
    assert values["catalog"] == "Other"


def test_image_id_falls_back_to_the_files_unique_id(tmp_path: Path) -> None:
    """A FITS frame without ``imageId`` uses its file name's unique id for ``{image_id}``."""
    frame = picture(imageId="", kind="fits")
    assert organizer_for(tmp_path).template_values(frame)["image_id"] == "iycarr"


def test_unknown_object_setting_names_the_fallback_folder(tmp_path: Path) -> None:
    """``folders.unknown_object`` is the folder of pictures whose title names nothing."""
    org = organizer_for(tmp_path, unknown_object="Unsorted")
    assert org.relative_path(picture(imageTitle="")).parts[0] == "Unsorted"


def test_object_preference_setting_is_used(tmp_path: Path) -> None:
    """``folders.object_preference`` decides between designations."""
    org = organizer_for(tmp_path, object_preference=["Caldwell", "NGC"])
    assert org.relative_path(picture(imageTitle="Caldwell 109 (NGC 3195)")).parts[0] == "C109"


def test_format_names_are_configurable(tmp_path: Path) -> None:
    """``folders.format_names`` renames the format folders."""
    org = organizer_for(tmp_path, format_names={"FITS": "Raw"})
    assert org.relative_path(picture()).parts[2] == "Raw"


def test_format_spec_pads_and_truncates(tmp_path: Path) -> None:
    """Python format specs apply to the text values: ``{mission:>010}``, ``{title:.6}``."""
    org = organizer_for(
        tmp_path, template="{mission:>010}/{title:.6}", filename_template="{image_id}_{filter}"
    )
    assert org.relative_path(picture()) == PurePosixPath("0003996220/Orion/17262680_B.fit")


def test_extension_is_appended_when_the_template_drops_it(tmp_path: Path) -> None:
    """A file name template without ``{filename}`` still gives a name with the extension."""
    org = organizer_for(tmp_path, filename_template="{object}_{date}_{image_id}")
    assert org.relative_path(picture()).name == "M42_2026-01-21_17262680.fit"


def test_values_cannot_add_or_climb_folders(tmp_path: Path) -> None:
    """Slashes and ``..`` in values stay inside one sanitized name."""
    org = organizer_for(tmp_path, template="{title}/{telescope}")
    hostile = picture(imageTitle="../../etc/passwd", telescopeName="..\\..\\Windows")
    parts = org.relative_path(hostile).parts
    assert len(parts) == 3
    assert parts[:2] == ("etc-passwd", "_.._Windows")


def test_title_is_made_readable(tmp_path: Path) -> None:
    """``{title}`` replaces ``/`` and ``:`` the way a person would, not with ``_``."""
    org = organizer_for(tmp_path, template="{title}")
    comet = picture(imageTitle="Comet C/2025 A6 (Lemmon)")
    assert org.relative_path(comet).parts[0] == "Comet C-2025 A6 (Lemmon)"
    coordinates = picture(imageTitle="Celestial Coordinates - RA: 23.1289  Dec: -42.3333")
    expected = "Celestial Coordinates - RA 23.1289 Dec -42.3333"
    assert org.relative_path(coordinates).parts[0] == expected


def test_reserved_names_in_values_are_defused(tmp_path: Path) -> None:
    """A telescope called ``CON`` or ``nul.txt`` gets a safe folder name."""
    org = organizer_for(tmp_path)
    assert org.relative_path(picture(telescopeName="CON")).parts[1] == "CON_"
    assert org.relative_path(picture(telescopeName="nul.txt")).parts[1] == "nul_.txt"


def test_long_titles_are_shortened_first(tmp_path: Path) -> None:
    """Over the limit, ``{title}`` is shortened and the file name stays whole."""
    org = organizer_for(tmp_path, template="{title}/{telescope}", max_path_length=120)
    rel = org.relative_path(picture(imageTitle="Orion Nebula " * 30 + "(M42)"))
    assert path_length(str(rel)) <= 120
    assert rel.name == "Canary Two_m42_20260121_011658_0_iycarr_b_cal.fit"
    assert rel.parts[0].startswith("Orion Nebula Orion")


def test_file_name_head_is_cut_but_its_unique_tail_kept(tmp_path: Path) -> None:
    """When shortening text is not enough, the file name loses its start, never its id or ext."""
    org = organizer_for(tmp_path, filename_template="{title}_{filename}", max_path_length=70)
    rel = org.relative_path(picture(imageTitle="Orion Nebula " * 30 + "(M42)"))
    assert path_length(str(rel)) <= 70
    assert rel.name.endswith("_iycarr_b_cal.fit")
    assert rel.parent == PurePosixPath("M42/Canary Two/FITS")


def test_long_folder_names_give_way_to_the_file_name(tmp_path: Path) -> None:
    """Folders too long on their own are cut so that the whole file name still fits."""
    org = organizer_for(
        tmp_path,
        template="{telescope}/{object}",
        filename_template="{filename}",
        max_path_length=100,
    )
    rel = org.relative_path(picture(telescopeName="T" * 200))
    assert rel.name == "m42_20260121_011658_0_iycarr_b_cal.fit"
    assert rel.parts[0] == "T" * (100 - len(rel.name) - len("/M42/"))
    assert path_length(str(rel)) == 100


def test_components_stay_within_255_bytes(tmp_path: Path) -> None:
    """With a large limit, each name still fits 255 UTF-8 bytes (the file name keeps its ext)."""
    org = organizer_for(tmp_path, filename_template="{title}_{filename}", max_path_length=4096)
    rel = org.relative_path(picture(imageTitle="Ω" * 400))
    assert all(len(part.encode()) <= 255 for part in rel.parts)
    assert rel.name.endswith("_iycarr_b_cal.fit")


def test_limit_counts_windows_units(tmp_path: Path) -> None:
    """An emoji counts two units towards ``max_path_length``, as on Windows."""
    org = organizer_for(tmp_path, template="{title}", max_path_length=80)
    rel = org.relative_path(picture(imageTitle="🔭" * 100))
    assert path_length(str(rel)) <= 80
    assert len(str(rel)) < 80


def test_impossible_limit_raises_path_error(tmp_path: Path) -> None:
    """Fixed template text longer than the limit is a PathError naming the setting."""
    org = organizer_for(tmp_path, template="/".join(["Folder"] * 30), max_path_length=60)
    with pytest.raises(PathError, match="max_path_length=60"):
        org.relative_path(picture())


def test_destination_is_absolute_inside_base(tmp_path: Path) -> None:
    """The destination is ``base_path`` joined with the relative path."""
    org = organizer_for(tmp_path)
    destination = Placement(org).get_destination_path(picture())
    assert destination == tmp_path / "lib" / "M42" / "Canary Two" / "FITS" / destination.name
    assert destination.is_absolute()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_destination_through_an_escaping_symlink_is_refused(tmp_path: Path) -> None:
    """A folder inside the library that links outside it makes the destination a PathError."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "M42").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PathError, match="outside"):
        Placement(organizer_for(tmp_path)).get_destination_path(picture())


def test_destination_does_not_touch_the_disk(tmp_path: Path) -> None:
    """The organizer is pure: a destination is computed for a library that does not exist."""
    org = organizer_for(tmp_path / "nowhere")
    assert org.destination(picture()).parent.parts[-3:] == ("M42", "Canary Two", "FITS")
    assert not (tmp_path / "nowhere").exists()


def test_folder_stats_count_files_parts_formats_objects_telescopes(tmp_path: Path) -> None:
    """Stats total files and bytes, split ``.part`` files, and count per format/object/scope."""
    org = organizer_for(tmp_path)
    base = tmp_path / "lib"
    files = {
        "M42/Canary Two/FITS/a.fit": 10,
        "M42/Canary Two/Pictures/b.png": 20,
        "M1/Chile One/Pictures/c.png": 30,
        "M1/Chile One/Pictures/d.png.part": 5,
        "loose.jpg": 7,
        ".slooh/tracker.sqlite3": 100,
        "M1/.DS_Store": 1,
    }
    for name, size in files.items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_bytes(b"x" * size)
    assert scan_library(org) == FolderStats(
        files=4,
        bytes=67,
        part_files=1,
        part_bytes=5,
        by_format={"FITS": 1, "JPEG": 1, "PNG": 2},
        by_object={"M1": 1, "M42": 2},
        by_telescope={"Canary Two": 2, "Chile One": 1},
    )


def test_folder_stats_of_a_missing_library_are_zero(tmp_path: Path) -> None:
    """A library folder that does not exist yet has empty stats."""
    assert scan_library(organizer_for(tmp_path)) == FolderStats()


def test_tracker_rows_take_the_object_name_from_the_organizer_rules() -> None:
    """A tracker row's object name is the organizer's folder name of the title."""
    row = ImageRow.from_picture(picture(imageTitle="Messier 43 "), status="pending")
    assert row.object_name == "M43"
