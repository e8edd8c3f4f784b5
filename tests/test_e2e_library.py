"""Library commands end to end: import-tracker, export, reorganize, stats on a real library."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import Library, expected_digests, library_fixture

from slooh_async.fake_server import FakeConfig, FakeSlooh

LEGACY = Path(__file__).parent / "data" / "legacy_download_tracker.json"


@pytest.fixture
def server() -> Iterator[FakeSlooh]:
    with FakeSlooh(FakeConfig(pictures=30, seed=5, file_size=3000)).running() as srv:
        yield srv


library = library_fixture()


def test_import_legacy_tracker_is_complete_and_idempotent(library: Library) -> None:
    """The real legacy tracker imports as 2,548 records and 5 sessions; again changes nothing."""
    code, first = library.run_json("import-tracker", str(LEGACY))
    assert code == 0
    assert first["records_total"] == 2548 and first["tracker_records"] == 2548
    assert first["tracker_sessions"] == 5
    code, again = library.run_json("import-tracker", str(LEGACY))
    assert code == 0
    assert again["imported"] == 0 and again["tracker_records"] == 2548
    assert again["tracker_sessions"] == 5
    code, stats = library.run_json("stats")
    assert stats["sessions"] == 5 and stats["total_records"] == 2548


def test_legacy_files_found_under_the_library_are_kept(library: Library) -> None:
    """A legacy file copied into the library (old layout) is found: done, not fetched again."""
    record = next(
        v for v in json.loads(LEGACY.read_text())["images"].values() if v["image_type"] == "png"
    )
    tail = Path(*record["file_path"].split("\\")[2:])
    found = library.root / tail
    found.parent.mkdir(parents=True)
    found.write_bytes(b"x" * record["file_size"])
    code, report = library.run_json("import-tracker", str(LEGACY))
    assert code == 0 and report["found_on_disk"] == 1
    exported = library.run("export", "--format", "json", "--status", "done").stdout
    rows = json.loads(exported)
    assert [row["key"] for row in rows] == [record["image_id"]]
    assert Path(rows[0]["path"]) == found


def test_export_csv_and_json_agree(library: Library) -> None:
    """export gives every record, in CSV and JSON, with the same keys and paths."""
    assert library.run("download", "--quiet").exit_code == 0
    as_json = json.loads(library.run("export", "--format", "json").stdout)
    as_csv = list(csv.DictReader(io.StringIO(library.run("export", "--format", "csv").stdout)))
    assert len(as_json) == len(as_csv) == sum(expected_digests(library.server).values())
    assert {r["key"] for r in as_json} == {r["key"] for r in as_csv}
    out = library.root.parent / "records.csv"
    assert library.run("export", "-o", str(out)).exit_code == 0
    assert out.read_text().count("\n") == len(as_csv) + 1


def test_reorganize_moves_files_and_the_tracker_follows(library: Library) -> None:
    """A new template: dry run moves nothing; the real run moves every file and verify passes."""
    assert library.run("download", "--quiet").exit_code == 0
    before = library.digests()
    config = json.loads(library.config.read_text())
    config["folders"]["template"] = "{telescope}/{year}/{object}"
    library.config.write_text(json.dumps(config))
    code, plan = library.run_json("reorganize", "--dry-run")
    assert code == 0 and plan["planned"] == len(library.files())
    assert library.digests() == before
    code, done = library.run_json("reorganize")
    assert code == 0 and done["moved"] == plan["planned"]
    assert library.digests() == before
    assert all(len(p.relative_to(library.root).parts) == 4 for p in library.files())
    assert not [d for d in library.root.rglob("*") if d.is_dir() and not any(d.iterdir())]
    assert library.run("verify").exit_code == 0
    code, summary = library.run_json("download")
    assert code == 0 and summary["downloaded"] == 0


def test_commands_without_a_library_say_so(library: Library) -> None:
    """verify/export/retry/stats on a folder that was never synced exit 2 with a clear
    message (with --json, in the document's error)."""
    said = {
        "verify": "run `slooh download` first",
        "export": "run `slooh download` first",
        "retry": "nothing was downloaded yet",
    }
    for command, words in said.items():
        result = library.run(command)
        assert result.exit_code == 2, command
        assert "no tracker at" in result.stderr and words in result.stderr, command
    code, stats = library.run_json("stats")
    assert code == 2 and stats["error"].startswith(f"no library at {library.root}")
    assert stats["total_images"] is None and stats["exit_code"] == 2


def test_import_problems_are_said_as_written(library: Library, tmp_path: Path) -> None:
    """A legacy record whose id looks like Rich markup (`[/]`) is named as it is, after the
    import is done: never a MarkupError traceback."""
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps({"images": {"[/]bad[red]": {"image_type": "png"}}}))
    result = library.run("import-tracker", str(legacy))
    assert result.exit_code == 0, result.output
    assert "warning: legacy record '[/]bad[red]' has no download URL; skipped" in result.stderr
