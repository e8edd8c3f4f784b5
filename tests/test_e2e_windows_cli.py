"""Through the CLI, what Windows users meet: a file held open by another program, and a
console or pipe that cannot encode every name."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator

import pytest
from e2e_support import Library, expected_digests, library_fixture
from test_platform import real_replace, refuse_replace

from slooh_async.fake_server import FakeConfig, FakeSlooh


@pytest.fixture
def server() -> Iterator[FakeSlooh]:
    """A small catalog whose titles include Greek, accents and a dash."""
    with FakeSlooh(FakeConfig(pictures=40, seed=7, file_size=3000)).running() as srv:
        yield srv


library = library_fixture()


def test_a_file_held_open_fails_alone_and_retry_finishes_it(
    library: Library, server: FakeSlooh, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One destination that cannot be replaced: that file fails with the reason (exit 1),
    its .part kept, every other file arrives; `slooh retry` then completes it."""
    victim = next(f for f in server.catalog.expected_files(include_fits=False)).filename
    refuse_replace(monkeypatch, 1000, victim)
    result = library.run("download")
    assert result.exit_code == 1, result.output
    assert "is it open in another program?" in result.stderr
    assert victim in result.stderr
    parts = library.parts()
    assert len(parts) == 1 and parts[0].name.endswith(f"{victim}.part")
    with sqlite3.connect(library.root / ".slooh" / "tracker.sqlite3") as db:
        failed = db.execute("select last_error from images where status = 'failed'").fetchall()
    assert len(failed) == 1 and "is it open in another program?" in failed[0][0]

    monkeypatch.setattr(os, "replace", real_replace)  # the viewer was closed
    result = library.run("retry")
    assert result.exit_code == 0, result.output
    assert library.digests() == expected_digests(server)
    assert not library.parts()


def test_export_onto_a_spreadsheet_held_open_says_so(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export whose output is open elsewhere (Excel): exit 5, one line with the cause, the
    old file untouched and no .part left behind."""
    assert library.run("download", "--quiet").exit_code == 0
    output = library.root.parent / "library.csv"
    output.write_text("the old export")
    refuse_replace(monkeypatch, 1000, "library.csv")
    result = library.run("export", "-o", str(output))
    assert result.exit_code == 5
    assert result.stderr.strip() == (
        f"error: cannot write {output}: access denied (is it open in another program?)"
    )
    assert output.read_text() == "the old export"
    assert not output.with_name("library.csv.part").exists()


@pytest.mark.parametrize("command", [("download", "--dry-run"), ("download",), ("stats",)])
def test_names_in_any_script_print_on_an_ascii_pipe(
    library: Library, command: tuple[str, ...]
) -> None:
    """With stdout and stderr in ASCII (a legacy console, a narrow pipe), a library whose
    folders have accents and emoji prints them escaped: no UnicodeEncodeError, exit 0."""
    root = library.root.parent / "Biblioth\u00e8que \U0001f52d"
    config = json.loads(library.config.read_text())
    config["folders"].update(base_path=str(root), template="\u00c9toiles/{object}/{telescope}")
    library.config.write_text(json.dumps(config))
    if command == ("stats",):
        assert library.run("download", "--quiet").exit_code == 0
    env = {
        **os.environ,
        "SLOOH_CONFIG": str(library.config),
        "PYTHONIOENCODING": "ascii",
        "LC_ALL": "C",
    }
    process = subprocess.run(
        [sys.executable, "-m", "slooh_async", *command],
        env=env, capture_output=True, cwd=library.root.parent, timeout=60,
    )  # fmt: skip
    err = process.stderr.decode("ascii")  # nothing but ASCII reached the pipes
    assert process.returncode == 0, err
    out = process.stdout.decode("ascii")
    assert "UnicodeEncodeError" not in err
    if command == ("download",):
        assert len(list(root.rglob("*.fit"))) > 0
    else:
        assert "\\xc9toiles" in out or "\\U0001f52d" in out, out
