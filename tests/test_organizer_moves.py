"""Duplicate names (unique_path) and the reorganize plan (plan_moves), run on a simulated disk."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slooh_async.organizer import (
    Move,
    PathError,
    exists_except,
    path_identity,
    plan_moves,
    unique_path,
)

LIB = Path("/lib")


def p(text: str) -> Path:
    """A path inside the fake library."""
    return LIB / text


def run(
    moves: list[Move],
    files: dict[Path, str],
    identity: Callable[[Path], str] = path_identity,
) -> dict[Path, str]:
    """Apply ``moves`` to a fake disk ({path: owner}); fail on any overwrite or missing source.

    ``identity`` says when two paths are one file: case-insensitive by default, like Windows.
    """
    disk = {identity(path): (path, owner) for path, owner in files.items()}
    assert len(disk) == len(files), "the starting disk has two names for one file"
    for move in moves:
        assert move.source != move.target, move
        source = disk.pop(identity(move.source), None)
        assert source == (move.source, move.key), f"{move} has no such source"
        occupant = disk.get(identity(move.target))
        assert occupant is None, f"{move} would overwrite {occupant}"
        disk[identity(move.target)] = (move.target, move.key)
    return dict(disk.values())


def test_unique_path_numbers_until_free() -> None:
    """``name.ext``, then ``name (1).ext``, ``name (2).ext``..."""
    taken = {p("a.fit"), p("a (1).fit")}
    assert unique_path(p("b.fit"), taken.__contains__) == p("b.fit")
    assert unique_path(p("a.fit"), taken.__contains__) == p("a (2).fit")
    assert unique_path(p("noext"), {p("noext")}.__contains__) == p("noext (1)")


def test_unique_path_keeps_pure_path_type() -> None:
    """Works on pure paths as well and returns the same type."""
    result = unique_path(PurePosixPath("M42/x.png"), lambda path: path.name == "x.png")
    assert result == PurePosixPath("M42/x (1).png")


def test_unique_path_stays_within_255_bytes() -> None:
    """A numbered name that would pass 255 bytes loses characters from the stem's start."""
    long = p("é" * 125 + "_tail.fit")
    result = unique_path(long, lambda path: path == long)
    assert len(result.name.encode()) <= 255
    assert result.name.endswith("_tail (1).fit")


def test_unique_path_gives_up_with_path_error() -> None:
    """When every numbered name is taken, a PathError instead of an endless loop."""
    with pytest.raises(PathError, match="no free name"):
        unique_path(p("a.fit"), lambda path: True)


def test_plan_skips_files_already_in_place() -> None:
    """No moves for files already at their wanted path."""
    assert plan_moves([("1", p("M42/a.fit"), p("M42/a.fit"))]) == []


def test_plan_moves_to_wanted_paths() -> None:
    """Plain moves go to the wanted paths, in input order."""
    moves = plan_moves(
        [("1", p("old/a.fit"), p("M42/a.fit")), ("2", p("old/b.fit"), p("M1/b.fit"))]
    )
    assert moves == [
        Move("1", p("old/a.fit"), p("M42/a.fit")),
        Move("2", p("old/b.fit"), p("M1/b.fit")),
    ]


def test_plan_numbers_the_second_of_two_clashing_keys() -> None:
    """Two keys wanting one path: the first gets it, the second ``name (1).ext``."""
    moves = plan_moves([("1", p("a.fit"), p("M42/x.fit")), ("2", p("b.fit"), p("M42/x.fit"))])
    assert [move.target for move in moves] == [p("M42/x.fit"), p("M42/x (1).fit")]


def test_plan_treats_case_variants_as_one_path() -> None:
    """``M42/X.fit`` and ``m42/x.fit`` clash (they are one file on Windows and macOS)."""
    moves = plan_moves([("1", p("a.fit"), p("M42/X.fit")), ("2", p("b.fit"), p("m42/x.fit"))])
    assert [move.target for move in moves] == [p("M42/X.fit"), p("m42/x (1).fit")]


def test_plan_avoids_files_that_are_not_entries() -> None:
    """A wanted path held by a foreign file gets a numbered name instead."""
    foreign = {p("M42/x.fit")}
    moves = plan_moves([("1", p("a.fit"), p("M42/x.fit"))], exists=foreign.__contains__)
    assert moves == [Move("1", p("a.fit"), p("M42/x (1).fit"))]


def test_plan_lets_files_in_place_keep_their_path() -> None:
    """A file already at its wanted path keeps it even if an earlier key wants it too."""
    moves = plan_moves([("1", p("a.fit"), p("M42/x.fit")), ("2", p("M42/x.fit"), p("M42/x.fit"))])
    assert moves == [Move("1", p("a.fit"), p("M42/x (1).fit"))]


def test_plan_frees_a_path_before_moving_into_it() -> None:
    """A chain: the file leaving a wanted path moves first."""
    entries = [("1", p("a.fit"), p("b.fit")), ("2", p("b.fit"), p("c.fit"))]
    moves = plan_moves(entries)
    assert moves == [Move("2", p("b.fit"), p("c.fit")), Move("1", p("a.fit"), p("b.fit"))]


def test_plan_breaks_a_swap_with_a_temporary_name() -> None:
    """Two files swapping places go through ``<name>.moving``."""
    moves = plan_moves([("1", p("a.fit"), p("b.fit")), ("2", p("b.fit"), p("a.fit"))])
    assert moves == [
        Move("1", p("a.fit"), p("a.fit.moving")),
        Move("2", p("b.fit"), p("a.fit")),
        Move("1", p("a.fit.moving"), p("b.fit")),
    ]


def test_plan_renames_case_only() -> None:
    """A change of case only is one move, and no other file takes that name."""
    entries = [("1", p("new.fit"), p("M42/X.fit")), ("2", p("m42/x.fit"), p("M42/X.fit"))]
    moves = plan_moves(entries)
    assert Move("2", p("m42/x.fit"), p("M42/X.fit")) in moves
    assert Move("1", p("new.fit"), p("M42/X (1).fit")) in moves


@pytest.mark.parametrize(
    "entries",
    [
        [("1", p("a.fit"), p("b.fit")), ("1", p("c.fit"), p("d.fit"))],
        [("1", p("a.fit"), p("b.fit")), ("2", p("a.fit"), p("d.fit"))],
    ],
)
def test_plan_refuses_repeated_keys_or_sources(entries: list[tuple[str, Path, Path]]) -> None:
    """A key or a current path given twice is a ValueError."""
    with pytest.raises(ValueError, match="twice|two entries"):
        plan_moves(entries)


NAMES = [
    "a.fit",
    "A.fit",
    "b.fit",
    "B.fit",
    "c.png",
    "x/a.fit",
    "X/a.fit",
    "x/b.fit",
    "a.fit.moving",
]


def plans(
    case_sensitive: bool,
) -> st.SearchStrategy[tuple[list[tuple[str, Path, Path]], set[Path]]]:
    """Random entries and foreign files over a small set of clashing names."""
    identity = str if case_sensitive else path_identity

    def build(
        currents: list[str], wanted: list[int], foreign: list[str]
    ) -> tuple[list[tuple[str, Path, Path]], set[Path]]:
        entries = [
            (f"k{i}", p(name), p(NAMES[w]))
            for i, (name, w) in enumerate(zip(currents, wanted, strict=True))
        ]
        used = {identity(p(name)) for name in currents}
        # on a case-insensitive disk a foreign "A.fit" beside an entry's "a.fit" cannot exist
        return entries, {p(name) for name in foreign if identity(p(name)) not in used}

    unique = st.lists(st.sampled_from(NAMES), max_size=7, unique_by=lambda n: identity(p(n)))
    return unique.flatmap(
        lambda currents: st.tuples(
            st.just(currents),
            st.lists(
                st.integers(0, len(NAMES) - 1), min_size=len(currents), max_size=len(currents)
            ),
            st.lists(st.sampled_from(NAMES), max_size=3, unique_by=lambda n: identity(p(n))),
        )
    ).map(lambda drawn: build(*drawn))


def check_plan(
    entries: list[tuple[str, Path, Path]], foreign: set[Path], identity: Callable[[Path], str]
) -> None:
    """Run the plan on a simulated disk and check every promise of plan_moves."""
    files = {current: key for key, current, _ in entries} | dict.fromkeys(foreign, "foreign")
    foreign_ids = {identity(path) for path in foreign}
    moves = plan_moves(entries, exists=lambda path: identity(path) in foreign_ids)
    final = run(moves, files, identity)
    located = {key: path for path, key in final.items()}
    assert {path for path, key in final.items() if key == "foreign"} == foreign
    for key, current, wanted in entries:
        where = located[key]
        numbered = re.fullmatch(
            re.escape(wanted.stem) + r" \(\d+\)" + re.escape(wanted.suffix), where.name
        )
        assert where == wanted or where == current or (where.parent == wanted.parent and numbered)
        if where == current and current != wanted:
            assert path_identity(current) == path_identity(wanted)
    moved = [located[key] for key, current, _ in entries if located[key] != current]
    assert len({path_identity(path) for path in moved}) == len(moved)
    assert plan_moves(entries, exists=lambda path: identity(path) in foreign_ids) == moves


@settings(max_examples=300, deadline=None)
@given(plans(case_sensitive=False))
def test_any_plan_runs_safely_on_a_case_insensitive_disk(
    drawn: tuple[list[tuple[str, Path, Path]], set[Path]],
) -> None:
    """Run in order, the plan never overwrites; each file ends at its wanted or a numbered path."""
    check_plan(*drawn, identity=path_identity)


@settings(max_examples=300, deadline=None)
@given(plans(case_sensitive=True))
def test_any_plan_runs_safely_on_a_case_sensitive_disk(
    drawn: tuple[list[tuple[str, Path, Path]], set[Path]],
) -> None:
    """On Linux, where ``a.fit`` and ``A.fit`` are two files, the plan is just as safe."""
    check_plan(*drawn, identity=str)


def test_exists_except_ignores_the_entries_own_files(tmp_path: Path) -> None:
    """The disk check sees other files, not the entries' own ones nor missing paths."""
    mine, other = tmp_path / "mine.fit", tmp_path / "other.fit"
    mine.write_bytes(b"1")
    other.write_bytes(b"2")
    exists = exists_except([mine, tmp_path / "gone.fit"])
    assert (exists(mine), exists(other), exists(tmp_path / "none.fit")) == (False, True, False)


def test_plan_with_real_disk_check(tmp_path: Path) -> None:
    """With ``exists_except``, a file that is not an entry is never a target."""
    (tmp_path / "M42").mkdir()
    (tmp_path / "M42" / "x.fit").write_bytes(b"keep me")
    (tmp_path / "a.fit").write_bytes(b"move me")
    entries = [("1", tmp_path / "a.fit", tmp_path / "M42" / "x.fit")]
    moves = plan_moves(entries, exists=exists_except([tmp_path / "a.fit"]))
    assert moves == [Move("1", tmp_path / "a.fit", tmp_path / "M42" / "x (1).fit")]
