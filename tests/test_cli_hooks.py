"""`--write-metadata`, `--exec` and `--exec-mission`: sidecars and commands after each file.

Through the CLI against the fake Slooh, with a small Python script as the command (it appends
its arguments as one JSON line to a log), so every test sees exactly what a user's script gets.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Library, library_fixture

from slooh_async.api import Picture
from slooh_async.cli._exec import FILE_FIELDS, MISSION_FIELDS, CommandTemplate, run_command
from slooh_async.cli._hooks import AfterFiles
from slooh_async.config import FolderSettings
from slooh_async.engine import FileDone, FilePlanned, ListingPage
from slooh_async.fake_server import FakeConfig, FakeSlooh
from slooh_async.organizer import FileOrganizer

RECORDER = """
import json, sys
with open(sys.argv[1], "a", encoding="utf-8") as log:
    log.write(json.dumps(sys.argv[2:]) + "\\n")
sys.exit(int(sys.argv[2]) if sys.argv[2:3] and sys.argv[2].isdigit() else 0)
"""


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSlooh]:
    """A small catalog (hostile titles included), FITS frames in most missions."""
    with FakeSlooh(FakeConfig(pictures=24, seed=3, file_size=2000)).running() as srv:
        yield srv


# Five pictures a page, so missions finish while the run goes on.
library = library_fixture(batch_size=5)


@pytest.fixture
def recorder(tmp_path: Path) -> tuple[str, Path]:
    """A command prefix that records its arguments, and the log it writes."""
    script = tmp_path / "record.py"
    script.write_text(RECORDER, encoding="utf-8")
    log = tmp_path / "calls.jsonl"
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} {shlex.quote(str(log))}", log


def calls(log: Path) -> list[list[str]]:
    """Every recorded command line, in order."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def media(library: Library) -> list[Path]:
    """The library's pictures and FITS frames (no sidecars)."""
    return [path for path in library.files() if not path.name.endswith(".json")]


def sidecars(library: Library) -> dict[Path, dict[str, Any]]:
    """Every sidecar beside a file of the library, by the file it describes."""
    found = {}
    for path in library.root.rglob("*.json"):
        if ".slooh" not in path.parts:
            found[path.with_name(path.name[: -len(".json")])] = json.loads(path.read_text("utf-8"))
    return found


# --------------------------------------------------------------------------- sidecars


def test_write_metadata_describes_every_downloaded_file(library: Library) -> None:
    """Each file gets `<name>.json` beside it with its key, path, size and the picture's
    fields; the library's own files are untouched; a no-op re-run writes nothing new."""
    result = library.run("download", "--write-metadata", "-q")
    assert result.exit_code == 0, result.output
    described = sidecars(library)
    assert sorted(described) == media(library)
    for path, document in described.items():
        assert document["file"]["path"] == path.relative_to(library.root).as_posix()
        assert document["file"]["size"] == path.stat().st_size
        assert document["generator"].startswith("slooh-async ")
        assert document["picture"]["telescope"] == document["mission"]["telescope"]
        assert "?" not in (document["picture"]["url"] or "")
        assert document["fits_header"] is None
    fits = [d for d in described.values() if d["file"]["kind"] == "fits"]
    assert fits and all(d["mission"]["id"] for d in fits)
    stamps = {p: p.stat().st_mtime_ns for p in library.root.rglob("*.json")}
    assert library.run("download", "--write-metadata", "-q").exit_code == 0
    assert {p: p.stat().st_mtime_ns for p in library.root.rglob("*.json")} == stamps


def test_a_file_of_another_program_is_never_replaced(library: Library) -> None:
    """A `.json` already where a sidecar goes (another tool's) is left byte for byte, with
    one warning; the other sidecars are written."""
    assert library.run("download", "--limit", "3", "-q").exit_code == 0
    first = media(library)[0]
    for path in media(library):  # the same files again, now with a stranger's file there
        path.unlink()
    shutil.rmtree(library.root / ".slooh")
    theirs = first.with_name(first.name + ".json")
    theirs.write_text('{"from": "gallery-dl"}', encoding="utf-8")
    result = library.run("download", "--write-metadata", "--limit", "3")
    assert result.exit_code == 0, result.output
    assert theirs.read_text(encoding="utf-8") == '{"from": "gallery-dl"}'
    assert "was not written by slooh (left as it is)" in result.stderr
    ours = [path for path, document in sidecars(library).items() if "key" in document]
    assert len(ours) == 2 and first not in ours


def test_sidecars_in_the_library_folder(library: Library) -> None:
    """`download.metadata_location: .slooh` (here with -o) mirrors the library's folders under
    `.slooh/metadata`, leaving the picture folders alone."""
    result = library.run(
        "download", "--limit", "4", "-q", "-o", "download.write_metadata=true",
        "-o", "download.metadata_location=.slooh",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sidecars(library) == {}
    for path in library.files():
        relative = path.relative_to(library.root)
        sidecar = library.root / ".slooh" / "metadata" / relative.parent / f"{path.name}.json"
        assert json.loads(sidecar.read_text("utf-8"))["file"]["path"] == relative.as_posix()


# --------------------------------------------------------------------------- --exec


def test_exec_runs_once_per_downloaded_file_with_its_fields(
    library: Library, recorder: tuple[str, Path]
) -> None:
    """--exec gets each finished file's path (spaces and all, one argument), key, object and
    mission; skipped files do not run it; the sidecar exists when the command runs."""
    command, log = recorder
    template = f"{command} {{path}} {{key}} {{object}} {{mission}} {{relpath}} {{metadata}}"
    result = library.run("download", "--write-metadata", "--exec", template, "-q")
    assert result.exit_code == 0, result.output
    recorded = calls(log)
    assert sorted(Path(argv[0]) for argv in recorded) == media(library)
    for path, key, name, mission, relative, sidecar in recorded:
        document = json.loads(Path(sidecar).read_text("utf-8"))
        assert document["key"] == key and document["file"]["path"] == Path(relative).as_posix()
        assert document["object"]["name"] == name
        assert str(document["mission"]["id"]) == mission
        assert Path(path) == library.root / relative
    assert library.run("download", "--exec", template, "-q").exit_code == 0
    assert len(calls(log)) == len(recorded)


def test_a_failing_command_is_one_line_and_the_run_goes_on(
    library: Library, recorder: tuple[str, Path]
) -> None:
    """A command that exits 3 (or does not exist) is reported per file in one line; every
    file is still downloaded and the exit code stays 0."""
    command, log = recorder
    result = library.run("download", "--exec", f"{command} 3 {{name}}", "--limit", "3")
    assert result.exit_code == 0, result.output
    assert len(library.files()) == 3 and len(calls(log)) == 3
    failures = [line for line in result.stderr.splitlines() if "--exec failed for" in line]
    assert len(failures) == 3
    assert all("exited with code 3" in line for line in failures)
    missing = library.run("download", "--exec", "no-such-program-here {path}", "--limit", "4")
    assert missing.exit_code == 0
    assert "no-such-program-here: command not found" in missing.stderr


def test_exec_mission_gets_all_of_each_missions_files_as_they_finish(
    library: Library, recorder: tuple[str, Path], server: FakeSlooh
) -> None:
    """--exec-mission runs once per mission with every one of its files ({files} spread into
    arguments), and already while later files download (not all at the end)."""
    command, log = recorder
    result = library.run(
        "download", "-q", "--exec", f"{command} file {{mission}}",
        "--exec-mission", f"{command} mission {{mission}} {{count}} {{dir}} {{files}}",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    recorded = calls(log)
    missions = {argv[1]: argv for argv in recorded if argv[0] == "mission"}
    assert len(missions) == len([m for m in recorded if m[0] == "mission"])
    expected = {
        str(m.mission_id): len(m.pictures) + len(m.fits_files) for m in server.catalog.missions
    }
    assert {key: int(argv[2]) for key, argv in missions.items()} == expected
    for argv in missions.values():
        files = [Path(p) for p in argv[4:]]
        assert len(files) == int(argv[2]) and all(p.is_file() for p in files)
        assert all(p.is_relative_to(argv[3]) for p in files)
    kinds = [argv[0] for argv in recorded]
    assert "file" in kinds[kinds.index("mission") :]  # a mission ran before the last file


# --------------------------------------------------------------------------- templates


def test_hostile_values_stay_one_argument_and_run_no_shell(tmp_path: Path) -> None:
    """A title full of shell syntax reaches the program as one unchanged argument."""
    hostile = "M42; touch pwned && $(touch pwned2) `touch pwned3` 'quoted' \"double\" | x"
    out = tmp_path / "argv.json"
    script = f"import json, sys; open({str(out)!r}, 'w').write(json.dumps(sys.argv[1:]))"
    template = CommandTemplate.parse(
        f"{shlex.quote(sys.executable)} -c {shlex.quote(script)} {{title}} x{{key}}y",
        fields=FILE_FIELDS,
    )
    assert run_command(template.render({"title": hostile, "key": "k 1"})) is None
    assert json.loads(out.read_text("utf-8")) == [hostile, "xk 1y"]
    assert not list(tmp_path.glob("pwned*")) and not list(Path.cwd().glob("pwned*"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("echo {nope}", "uses unknown placeholder {nope}"),
        ("echo {path!r}", "uses unknown placeholder {path}"),
        ("{path} x", "must start with the program to run"),
        ('echo "{path}', "cannot be split into arguments"),
        ("", "is empty"),
        ("echo {{literal}} {", "unbalanced braces"),
    ],
)
def test_bad_templates_are_refused(text: str, problem: str) -> None:
    """A template that cannot run is refused with a short reason."""
    with pytest.raises(ValueError, match=problem.replace("{", r"\{").replace("(", r"\(")):
        CommandTemplate.parse(text, fields=FILE_FIELDS)


def test_bad_template_is_a_usage_error_before_anything_runs(library: Library) -> None:
    """The command line is checked before the run: exit 2 naming the placeholder."""
    result = library.run("download", "--exec-mission", "stack {path}")
    assert result.exit_code == 2
    assert "uses unknown placeholder {path}" in result.stderr
    assert library.files() == []


def test_files_spread_only_as_a_whole_argument() -> None:
    """{files} alone becomes one argument per file; inside other text it is refused."""
    template = CommandTemplate.parse("stack -o {dir}/out.fit {files}", fields=MISSION_FIELDS)
    argv = template.render({"dir": "/lib/M42"}, {"files": ["/a b.fit", "/c.fit"]})
    assert argv == ["stack", "-o", "/lib/M42/out.fit", "/a b.fit", "/c.fit"]
    with pytest.raises(ValueError, match="as an argument of its own"):
        CommandTemplate.parse("stack --in={files}", fields=MISSION_FIELDS)


def test_windows_templates_keep_backslashes() -> None:
    """On Windows backslashes are path separators and double quotes group a program path."""
    template = CommandTemplate.parse(
        r'"C:\Program Files\Siril\siril-cli.exe" -s C:\scripts\stack.ssf "{path}"',
        fields=FILE_FIELDS,
        windows=True,
    )
    assert template.render({"path": r"D:\Slooh\M42\x y.fit"}) == [
        r"C:\Program Files\Siril\siril-cli.exe",
        "-s",
        r"C:\scripts\stack.ssf",
        r"D:\Slooh\M42\x y.fit",
    ]


# --------------------------------------------------------------------------- missions


def _picture(key: int, mission: int, kind: str = "picture") -> Picture:
    return Picture.model_validate(
        {"imageId": key, "scheduledMissionId": mission, "imageTitle": "M42", "kind": kind,
         "imageDownloadURL": f"https://img.example/{key}.png", "telescopeName": "Chile One"}
    )  # fmt: skip


def test_a_mission_finishes_when_the_listing_moved_past_it(tmp_path: Path) -> None:
    """A mission runs once its files are done and a later page no longer shows it; missions
    still open at the end run only when the run was not interrupted."""
    ran: list[int] = []
    hooks = AfterFiles(
        FileOrganizer(FolderSettings(base_path=tmp_path)),
        exec_mission=CommandTemplate.parse("stack {mission}", fields=MISSION_FIELDS),
    )
    hooks._after_mission = lambda mission_id, *_: ran.append(mission_id)  # type: ignore[method-assign]
    page = [_picture(1, 10), _picture(2, 10), _picture(3, 20)]
    hooks.emit(ListingPage("pictures", 1, 3, 3))
    for picture in page:
        hooks.emit(FilePlanned(picture.key, picture.filename, "download", picture=picture))
    for picture in page:
        hooks.emit(FileDone(0, picture.key, picture.filename, tmp_path / picture.filename, 1, 1))
    hooks.emit(ListingPage("pictures", 2, 3, 1))  # mission 20 may go on in page 2
    later = _picture(4, 20)
    hooks.emit(FilePlanned(later.key, later.filename, "download", picture=later))
    hooks.emit(ListingPage("pictures", 3, 3, 0))  # page 1's missions are whole now
    hooks._worker.close(finish=True)
    assert ran == [10]
    hooks.close(finished=False)  # interrupted: mission 20 (a file never came) does not run
    assert ran == [10]


def test_missions_open_at_the_end_run_when_the_run_finished(tmp_path: Path) -> None:
    """The last page's missions run at the end of a run that was not interrupted."""
    ran: list[int] = []
    hooks = AfterFiles(
        FileOrganizer(FolderSettings(base_path=tmp_path)),
        exec_mission=CommandTemplate.parse("stack {mission}", fields=MISSION_FIELDS),
    )
    hooks._after_mission = lambda mission_id, *_: ran.append(mission_id)  # type: ignore[method-assign]
    picture = _picture(5, 30)
    hooks.emit(ListingPage("pictures", 1, 1, 1))
    hooks.emit(FilePlanned(picture.key, picture.filename, "download", picture=picture))
    hooks.emit(FileDone(0, picture.key, picture.filename, tmp_path / "5.png", 1, 1))
    assert Counter(ran) == Counter()
    hooks.close(finished=True)
    assert ran == [30]


def test_every_placeholder_is_documented() -> None:
    """docs/scripting.md names every placeholder --exec and --exec-mission accept."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "scripting.md").read_text("utf-8")
    section = page[page.index("## Running a command after each file") :]
    for name in sorted(FILE_FIELDS | MISSION_FIELDS):
        assert f"`{{{name}}}`" in section, name
