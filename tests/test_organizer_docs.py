"""docs/templates.md: every example table is what the code computes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from slooh_async._exceptions import ConfigError
from slooh_async.api import Picture
from slooh_async.config import FolderSettings, validate_settings
from slooh_async.organizer import (
    PLACEHOLDERS,
    PRESET_TEMPLATES,
    FileOrganizer,
    catalog_of,
    object_name,
)

DOC = (Path(__file__).parent.parent / "docs" / "templates.md").read_text("utf-8")

#: The three real pictures of the placeholder table (from the legacy tracker's records).
EXAMPLES: list[dict[str, Any]] = [
    {
        "imageId": 17262680,
        "scheduledMissionId": 3996220,
        "imageTitle": "Orion Nebula (M42)",
        "telescopeName": "Canary Two",
        "instrumentName": "CCD Imager",
        "kind": "fits",
        "imageDownloadURL": "https://polaris.slooh.com/teide/2/widefield/2026/01/21/0115_m42/"
        "m42_20260121_011658_0_iycarr_b_cal.fit",
    },
    {
        "imageId": 17336371,
        "imageTitle": "Caldwell 109 ",
        "telescopeName": "Australia One",
        "imageDownloadURL": "https://polaris2.slooh.com/aus/1/highmag/2026/02/02/1610_caldwell109/"
        "caldwell109_20260202_161306_0_0riinz_lrgb.png?rand=1770719424.0176",
    },
    {
        "imageId": 17281528,
        "imageTitle": "Comet C/2025 A6 (Lemmon)",
        "telescopeName": "Chile Two",
        "imageDownloadURL": "https://polaris2.slooh.com/chile/2/highmag/2026/01/24/0820_c-2025a6/"
        "c-2025a6_20260124_082235_0_mphfux_lrgb.png?rand=1770716204.0943",
    },
]
WIERZCHOS = {
    "imageId": 1,
    "imageTitle": "Celestial Coordinates - RA: 23.1289  Dec: -42.3333 (C2024 E1 Wierzchos)",
    "telescopeName": "Chile Two",
    "imageDownloadURL": "https://polaris2.slooh.com/chile/2/x/"
    "230744m422000_20260204_102143_0_ohfgeg_b_cal.fit",
}


def table(name: str) -> list[list[str]]:
    """Body rows of the table between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    match = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", DOC, re.DOTALL)
    assert match, f"no {name} table in docs/templates.md"
    lines = [line for line in match[1].splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines]


def code(cell: str) -> str:
    """The text inside one pair of backticks (spaces inside kept)."""
    assert cell.startswith("`") and cell.endswith("`"), cell
    return cell[1:-1]


def organizer(**folders: Any) -> FileOrganizer:
    """An organizer with the given folder settings."""
    return FileOrganizer(FolderSettings(base_path=Path("/library"), **folders))


def test_every_placeholder_is_documented() -> None:
    """Each placeholder has a row in the placeholder table and a description."""
    rows = table("placeholders")
    assert [code(row[0]) for row in rows] == ["{" + name + "}" for name in PLACEHOLDERS]


def test_placeholder_examples_match_the_code() -> None:
    """The placeholder table shows the values computed for the three real pictures."""
    values = [organizer().template_values(Picture.model_validate(e)) for e in EXAMPLES]
    for row in table("placeholders"):
        name = code(row[0])[1:-1]
        assert [code(cell) for cell in row[1:]] == [v[name] for v in values], name


def test_preset_table_matches_the_code() -> None:
    """The presets table shows each preset template and the path it gives."""
    fits = Picture.model_validate(EXAMPLES[0])
    rows = table("presets")
    assert [code(row[0]) for row in rows] == list(PRESET_TEMPLATES)
    for row in rows:
        key = code(row[0])
        assert code(row[1]) == PRESET_TEMPLATES[key]
        assert code(row[2]) == str(organizer(organize_by=key).relative_path(fits))


def test_format_spec_examples_match_the_code() -> None:
    """The format spec table shows the paths the templates give."""
    fits = Picture.model_validate(EXAMPLES[0])
    for row in table("specs"):
        org = organizer(template=code(row[0]), filename_template=code(row[1]))
        assert code(row[2]) == str(org.relative_path(fits))


def test_object_name_examples_match_the_code() -> None:
    """The object-name table shows ``{object}`` and ``{catalog}`` of each title."""
    rows = table("object-examples")
    assert len(rows) > 20
    for row in rows:
        title = code(row[0])
        assert (code(row[1]), row[2]) == (object_name(title), catalog_of(title) or "Other")


def test_preference_examples_match_the_code() -> None:
    """The preference table shows the name each preference gives."""
    header = re.search(r"<!-- preferences:start -->\n(.*?)\n", DOC)
    assert header
    titles = [code(cell.strip()) for cell in header[1].strip().strip("|").split(" | ")[1:]]
    for row in table("preferences"):
        preference = json.loads(code(row[0]))
        assert [code(cell) for cell in row[1:]] == [object_name(t, preference) for t in titles]


def test_length_examples_match_the_code() -> None:
    """The length table shows the shortened paths of a real long title."""
    pic = Picture.model_validate(WIERZCHOS)
    for row in table("length"):
        limit = int(code(row[0]))
        org = organizer(
            template="{title}/{telescope}",
            filename_template="{title}_{filename}",
            max_path_length=limit,
        )
        assert code(row[1]) == str(org.relative_path(pic))


def test_error_example_is_the_real_message() -> None:
    """The config error shown in the docs is the one slooh-async prints."""
    with pytest.raises(ConfigError) as caught:
        validate_settings({"folders": {"template": "{object}/{foo}"}})
    assert f"\n{caught.value.problems[0]}\n" in DOC
