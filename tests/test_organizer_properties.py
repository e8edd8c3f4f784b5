"""Property tests: for any title, telescope and file name, the path is safe, portable, stable."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_organizer_sanitize import assert_portable

from slooh_async.api import Picture
from slooh_async.config import FolderSettings
from slooh_async.engine import Placement
from slooh_async.organizer import FileOrganizer, path_length

HOSTILE = [
    "../../etc",
    "..",
    "CON",
    "nul.txt",
    "a/b\\c",
    "  ",
    "\x00",
    "🔭🪐" * 40,
    "x" * 300,
    "C:\\Windows",
    "/abs/path",
    "Orion Nebula (M42)",
    "Comet C/2025 A6 (Lemmon)",
    "e\u0301\u202e",
]
texts = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=300),
    st.text(st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Po", "So"]), max_size=60),
)
file_names = st.one_of(
    st.sampled_from(["m42_20260121_011658_0_iycarr_b_cal.fit", "x.png", "CON.jpg", "..fit"]),
    st.builds(
        lambda stem, ext: stem + ext,
        st.text(max_size=300),
        st.sampled_from(["", ".fit", ".PNG", ".jpeg"]),
    ),
)
FOLDER_TEMPLATES = [
    "{object}/{telescope}/{format}",
    "{year}/{date}/{object}/{format}",
    "{title}/{telescope}/{instrument}",
    "{catalog}/{object}/{type}/{filter}/{mission:>08}",
    "Slooh/{title:.30}/{image_id}",
]
FILE_TEMPLATES = ["{telescope}_{filename}", "{title}_{filename}", "{object}_{image_id}"]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One library folder for every example (hypothesis runs many examples per test)."""
    return tmp_path_factory.mktemp("library")


def make_picture(
    title: str, telescope: str, filename: str, instrument: str, dated: bool
) -> Picture:
    """A picture whose file name comes through its download URL, as from the service."""
    data: dict[str, Any] = {
        "imageId": 42,
        "imageTitle": title,
        "telescopeName": telescope,
        "instrumentName": instrument,
        "imageDownloadURL": "https://h.example/d/" + quote(filename, safe="") + "?rand=1",
    }
    if dated:
        data.update(displayDate="Feb. 7, 2026", displayTime="20:15:30 UTC")
    return Picture.model_validate(data)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=texts,
    telescope=texts,
    filename=file_names,
    instrument=texts,
    dated=st.booleans(),
    folder_template=st.sampled_from(FOLDER_TEMPLATES),
    file_template=st.sampled_from(FILE_TEMPLATES),
    limit=st.sampled_from([60, 120, 240, 4096]),
)
def test_any_picture_gets_a_safe_portable_deterministic_path(
    base: Path,
    title: str,
    telescope: str,
    filename: str,
    instrument: str,
    dated: bool,
    folder_template: str,
    file_template: str,
    limit: int,
) -> None:
    """Inside the base after resolving, valid on Windows and POSIX, within the limit, stable."""
    folders = FolderSettings(
        base_path=base,
        template=folder_template,
        filename_template=file_template,
        max_path_length=limit,
    )
    organizer = FileOrganizer(folders)
    pic = make_picture(title, telescope, filename, instrument, dated)
    relative = organizer.relative_path(pic)
    for part in relative.parts:
        assert_portable(part)
    assert path_length(str(relative)) <= limit
    if pic.extension[1:].isalnum():  # a real extension, not '."' from a hostile name
        assert relative.name.lower().endswith(pic.extension)
    destination = Placement(organizer).get_destination_path(pic)
    assert destination.resolve().is_relative_to(base.resolve())
    assert destination.resolve() != base.resolve()
    again = FileOrganizer(folders).relative_path(
        make_picture(title, telescope, filename, instrument, dated)
    )
    assert again == relative


@settings(max_examples=100, deadline=None)
@given(title=texts, uid=st.from_regex(r"[a-z0-9]{6}", fullmatch=True))
def test_unique_id_survives_any_shortening(base: Path, title: str, uid: str) -> None:
    """However long the title, the file's unique id and extension stay in its name."""
    folders = FolderSettings(
        base_path=base, filename_template="{title}_{filename}", max_path_length=60
    )
    filename = f"m42_20260121_011658_0_{uid}_b_cal.fit"
    relative = FileOrganizer(folders).relative_path(
        make_picture(title + " (M42)", "Canary Two", filename, "", True)
    )
    assert relative.name.endswith(f"{uid}_b_cal.fit")
    assert path_length(str(relative)) <= 60
