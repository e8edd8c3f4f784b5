"""A hostile service, end to end: the real CLI against the fake Slooh's hostile knobs on loopback.

Each test pins what the user gets when the service (or a file host, or a proxy) breaks the
contract: one bad answer never blocks the library, never corrupts a file, never leaks a secret.
The numbers in the docstrings are the items of the issue "A hostile service and a hostile disk".
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import Library, make_library
from test_config_support import finish

from slooh_async.fake_server import HUGE_ID, CatalogFile, FakeConfig, FakeSlooh, Faults


@pytest.fixture
def server() -> Iterator[FakeSlooh]:
    """Twelve small pictures, no FITS (every file is a photoRoll picture)."""
    config = FakeConfig(pictures=12, seed=5, file_size=3000, fits=False, hostile_titles=False)
    with FakeSlooh(config).running() as srv:
        yield srv


@pytest.fixture
def library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeSlooh
) -> Iterator[Library]:
    """A library on the fake server: quick retries, pages of 5."""
    yield make_library(tmp_path, monkeypatch, server, batch_size=5, max_retries=1)
    finish()


def rows(library: Library, query: str, *args: object) -> list[tuple[object, ...]]:
    """Rows of the library's tracker."""
    with sqlite3.connect(library.root / ".slooh" / "tracker.sqlite3") as db:
        return list(db.execute(query, args))


def digests(items: list[CatalogFile]) -> Counter[str]:
    """The bytes a library must hold for these files."""
    return Counter(item.digest() for item in items)


def one_line(text: str) -> str:
    """The only non-empty line of ``text`` (an error is one line, never a traceback)."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


# --------------------------------------------------------------------------- 1. malformed items


def test_malformed_items_fail_alone_and_the_rest_downloads(
    library: Library, server: FakeSlooh
) -> None:
    """1: a 40-digit id downloads (image_id NULL), bad URLs are recorded failed, the rest
    arrives, the summary counts them, exit 1, no traceback; the next run does the same."""
    kinds = frozenset({"huge_id", "bad_url", "bad_port", "odd_types"})
    server.set_faults(malformed_items=kinds)
    roll = server.catalog.photo_roll
    code, summary = library.run_json("download")
    assert code == 1, summary
    assert summary["failed"] == 2 and summary["downloaded"] == 10
    failures = {f["key"]: f["error"] for f in summary["failures"]}
    assert set(failures) == {str(roll[1].image_id), str(roll[2].image_id)}
    assert all("invalid download URL" in error for error in failures.values()), failures
    assert library.digests() == digests([roll[0], *roll[3:]])
    huge = rows(library, "select image_id, status from images where key = ?", str(HUGE_ID))
    assert huge == [(None, "done")]
    failed = rows(library, "select key, last_error from images where status = 'failed'")
    assert {key for key, _ in failed} == set(failures)
    assert all("\n" not in str(error) for _, error in failed)
    again = library.run("download")
    assert again.exit_code == 1
    assert again.stderr.count("invalid download URL") == 2
    assert "Traceback" not in again.stderr and "Traceback" not in again.stdout
    assert library.digests() == digests([roll[0], *roll[3:]])


# --------------------------------------------------------------------------- 9. part names


def flat_library(library: Library) -> None:
    """Every file straight in one folder, under its own file name."""
    settings = library.config.read_text().replace(
        '"folders": {', '"folders": {"template": "all", "filename_template": "{filename}", '
    )
    library.config.write_text(settings)


def test_a_listed_part_name_is_never_a_finished_name(library: Library, server: FakeSlooh) -> None:
    """9: a picture listed as `clash.png.part` beside `clash.png` is saved as `clash.png_part`;
    both files keep their own bytes."""
    flat_library(library)
    server.set_faults(malformed_items=frozenset({"part_name"}))
    roll = server.catalog.photo_roll
    code, summary = library.run_json("download")
    assert code == 0, summary
    folder = library.root / "all"
    assert (folder / f"{roll[1].filename}_part").read_bytes() == roll[0].body()
    assert (folder / roll[1].filename).read_bytes() == roll[1].body()
    assert not list(folder.glob("*.part")) and not list(folder.glob("*.meta"))
    assert library.digests() == digests(list(roll))


def test_a_finished_file_under_a_part_name_is_taken(library: Library, server: FakeSlooh) -> None:
    """9: a file an older library recorded under `x.png.part` is never used as x.png's partial
    download: x.png goes to `x (1).png`, the older file stays as it was."""
    flat_library(library)
    assert library.run("download", "--quiet").exit_code == 0
    roll = server.catalog.photo_roll
    folder = library.root / "all"
    older, newer = roll[0], roll[1]
    part_named = folder / f"{newer.filename}.part"
    (folder / older.filename).rename(part_named)
    (folder / newer.filename).unlink()
    with sqlite3.connect(library.root / ".slooh" / "tracker.sqlite3") as db:
        moved = (f"all/{part_named.name}", older.key)
        db.execute("update images set path = ? where key = ?", moved)
        db.execute("delete from images where key = ?", (newer.key,))
    code, summary = library.run_json("download", "--full-scan")
    assert code == 0 and summary["downloaded"] == 1, summary
    assert part_named.read_bytes() == older.body()
    numbered = folder / f"{Path(newer.filename).stem} (1){Path(newer.filename).suffix}"
    assert numbered.read_bytes() == newer.body()
    assert rows(library, "select path from images where key = ?", newer.key) == [
        (f"all/{numbered.name}",)
    ]


# --------------------------------------------------------------------------- 2. endless pages


@pytest.mark.parametrize("total", ["", "missing", "1000000000"])
def test_a_page_that_repeats_ends_the_listing_with_a_warning(
    library: Library, server: FakeSlooh, total: str
) -> None:
    """2: a service that ignores paging (totalCount real, missing or 10^9) is asked twice, not
    forever: the first page's files download, a warning names the reason, the listing counts
    as incomplete (the next run lists everything again)."""
    server.set_faults(repeat_pages=True, total_count=total)
    result = library.run("download")
    assert result.exit_code == 0, result.stderr
    assert len(server.calls("getMyPictures")) == 2
    warning = [line for line in result.stderr.splitlines() if "listing incomplete" in line]
    assert len(warning) == 1 and "brought nothing new" in warning[0], result.stderr
    assert library.digests() == digests(list(server.catalog.photo_roll[:5]))
    assert rows(library, "select value from library_state where name = 'needs_full_scan'") == [
        ("1",)
    ]
    server.set_faults(Faults())
    code, summary = library.run_json("download")
    assert code == 0 and summary["downloaded"] == 7 and summary["warnings"] == []
    assert library.digests() == digests(list(server.catalog.photo_roll))


def test_json_summary_carries_the_listing_warning(library: Library, server: FakeSlooh) -> None:
    """2: --json has the reason in `warnings`."""
    server.set_faults(repeat_pages=True)
    code, summary = library.run_json("download")
    assert code == 0
    assert len(summary["warnings"]) == 1 and "brought nothing new" in summary["warnings"][0]


# --------------------------------------------------------------------------- 14. list shapes


@pytest.mark.parametrize("shape", ["null", "object", "string"])
def test_an_image_list_of_the_wrong_shape_exits_4(
    library: Library, server: FakeSlooh, shape: str
) -> None:
    """14: imageList null, an object or a string beside totalCount 12: exit 4 with one line
    saying the answer did not match the contract; nothing is written as done."""
    server.set_faults(image_list=shape)
    result = library.run("download")
    assert result.exit_code == 4
    line = one_line(result.stderr)
    assert "did not match the contract" in line and "totalCount 12" in line, line
    assert library.files() == []
    assert rows(library, "select count(*) from images") == [(0,)]


# --------------------------------------------------------------------------- 5. redirects


def test_a_login_redirected_to_another_host_is_not_followed(
    library: Library, server: FakeSlooh
) -> None:
    """5: a 307 on the login to another origin: exit 4, one line naming it; the password and
    the session cookie never reach the other host."""
    server.set_faults(api_redirect=server.download_base_url, redirect_paths=frozenset({"login"}))
    result = library.run("download")
    assert result.exit_code == 4
    line = one_line(result.stderr)
    assert "redirected the call to http://127.0.0.1" in line and "not followed" in line, line
    assert server.config.password not in result.stderr + result.stdout
    assert server.calls(server="download") == []
    assert library.files() == []


def test_a_redirect_on_the_services_own_origin_is_followed(
    library: Library, server: FakeSlooh
) -> None:
    """5: a 307/308 to the service's own origin is followed, body and all: the run works."""
    server.set_faults(api_redirect=server.base_url, redirect_status=308)
    code, summary = library.run_json("download")
    assert code == 0 and summary["downloaded"] == 12, summary
    assert {r.fault for r in server.calls("login")} == {"redirect", ""}


# --------------------------------------------------------------------------- 11. deep JSON


def test_deeply_nested_json_exits_4_with_one_line(library: Library, server: FakeSlooh) -> None:
    """11: an answer nested 100,000 deep: exit 4, "the service's answer could not be read"."""
    server.set_faults(deep_json=True)
    result = library.run("download")
    assert result.exit_code == 4
    line = one_line(result.stderr)
    assert "the service's answer could not be read" in line, line
    assert library.files() == []
