"""Per-file verification: presence, size, hash, and FITS / PNG / JPEG sanity."""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from slooh_async.tracker import ImageRecord, ImageRow, Tracker, check_file, verify_library


def noise_image(size: int = 64) -> Image.Image:
    """A deterministic noisy RGB image (compresses badly, so files are not tiny)."""
    return Image.frombytes("RGB", (size, size), random.Random(1).randbytes(size * size * 3))


def png_bytes() -> bytes:
    """A real PNG."""
    buffer = io.BytesIO()
    noise_image().save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    """A real JPEG."""
    buffer = io.BytesIO()
    noise_image().save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def fits_bytes(cards: list[str] | None = None, data_bytes: int = 2 * 10 * 12) -> bytes:
    """A primary-HDU FITS file: header cards padded to 2880, then the data padded too."""
    if cards is None:
        cards = ["SIMPLE  =                    T", "BITPIX  =                   16",
                 "NAXIS   =                    2", "NAXIS1  =                   10",
                 "NAXIS2  =                   12", "END"]  # fmt: skip
    header = "".join(card.ljust(80) for card in cards).encode("ascii")
    header += b" " * (-len(header) % 2880)
    data = b"\x00" * data_bytes
    return header + data + b"\x00" * (-len(data) % 2880)


def record_for(path: Path | None, content: bytes | None = None, **fields: object) -> ImageRecord:
    """A done record for ``path``, writing ``content`` there first when given."""
    if path is not None and content is not None:
        path.write_bytes(content)
    size = len(content) if content is not None else None
    values: dict[str, object] = {"size": size, "format": _format(path)}
    values.update(fields)
    return ImageRecord(key="k", status="done", path=path, **values)  # type: ignore[arg-type]


def _format(path: Path | None) -> str:
    suffix = path.suffix if path is not None else ""
    return {".png": "PNG", ".jpg": "JPEG", ".fit": "FITS"}.get(suffix, "")


# ---------------------------------------------------------------------- basics


def test_good_files_have_no_problems(tmp_path: Path) -> None:
    """Real PNG, JPEG and FITS files with matching size and hash pass every check."""
    for name, content in (("a.png", png_bytes()), ("a.jpg", jpeg_bytes()), ("a.fit", fits_bytes())):
        digest = hashlib.sha256(content).hexdigest()
        record = record_for(tmp_path / name, content, hash=digest, hash_algorithm="sha256")
        assert check_file(record) == [], name


def test_no_path_missing_empty_and_directory(tmp_path: Path) -> None:
    """No recorded path, a missing file, an empty file and a directory are each reported."""
    assert check_file(record_for(None)) == ["no file path recorded"]
    assert check_file(record_for(tmp_path / "gone.png")) == ["file is missing"]
    assert check_file(record_for(tmp_path / "empty.png", b"", size=None)) == ["file is empty"]
    (tmp_path / "dir.png").mkdir()
    assert check_file(record_for(tmp_path / "dir.png")) == ["not a regular file"]


def test_size_mismatch(tmp_path: Path) -> None:
    """A file of another size than recorded names both sizes."""
    record = record_for(tmp_path / "a.png", png_bytes())
    record = ImageRecord(key="k", status="done", path=record.path, size=5, format="PNG")
    problems = check_file(record)
    assert problems == [f"size is {len(png_bytes())} bytes, expected 5"]


@pytest.mark.parametrize("algorithm", ["md5", "sha256", None])
def test_hash_mismatch(tmp_path: Path, algorithm: str | None) -> None:
    """A wrong md5/sha256 is reported (the algorithm is guessed from the length if unknown)."""
    wrong = "0" * (64 if algorithm != "md5" else 32)
    record = record_for(tmp_path / "a.png", png_bytes(), hash=wrong, hash_algorithm=algorithm)
    problems = check_file(record)
    assert len(problems) == 1 and "mismatch" in problems[0]
    assert check_file(record, check_hash=False) == []


def test_md5_match_and_unknown_algorithm(tmp_path: Path) -> None:
    """A correct md5 passes; an algorithm hashlib does not know is reported, not raised."""
    content = png_bytes()
    good = record_for(tmp_path / "a.png", content, hash=hashlib.md5(content).hexdigest())
    assert check_file(good) == []
    odd = record_for(tmp_path / "b.png", content, hash="abc", hash_algorithm="crc99")
    assert check_file(odd) == ["cannot check the hash: unknown algorithm 'crc99'"]


# ---------------------------------------------------------------------- formats


def test_html_saved_as_png(tmp_path: Path) -> None:
    """An HTML error page saved under a .png name is named as such."""
    record = record_for(tmp_path / "a.png", b"<!DOCTYPE html><html>Forbidden</html>")
    assert check_file(record) == ["not a PNG file (looks like HTML (an error page?))"]


def test_truncated_png(tmp_path: Path) -> None:
    """A PNG cut short (no IEND at the end) is reported as truncated."""
    content = png_bytes()[:-2000]
    assert check_file(record_for(tmp_path / "a.png", content)) == [
        "PNG has no IEND chunk at the end (truncated?)"
    ]


def test_png_without_ihdr(tmp_path: Path) -> None:
    """A PNG signature followed by something other than IHDR is reported."""
    content = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dXXXX" + b"\x00" * 100
    assert check_file(record_for(tmp_path / "a.png", content)) == [
        "PNG does not start with an IHDR chunk"
    ]


def test_jpeg_checks(tmp_path: Path) -> None:
    """JPEG: padding after EOI passes; a cut body or a non-JPEG is reported."""
    content = jpeg_bytes()
    assert check_file(record_for(tmp_path / "pad.jpg", content + b"\x00" * 500)) == []
    assert check_file(record_for(tmp_path / "cut.jpg", content[: len(content) // 2])) == [
        "JPEG has no end-of-image marker (truncated?)"
    ]
    assert check_file(record_for(tmp_path / "png.jpg", png_bytes())) == [
        "not a JPEG file (looks like PNG)"
    ]


def test_fits_header_problems(tmp_path: Path) -> None:
    """FITS: SIMPLE = F, no END, no BITPIX and a non-FITS body are each reported."""
    cases = {
        "f.fit": (["SIMPLE  =                    F", "END"], "does not say SIMPLE = T"),
        "noend.fit": (["SIMPLE  =                    T", "BITPIX  =  8"], "no END card"),
        "nobitpix.fit": (["SIMPLE  =                    T", "NAXIS   = 0", "END"], "no BITPIX"),
    }
    for name, (cards, expected) in cases.items():
        problems = check_file(record_for(tmp_path / name, fits_bytes(cards, data_bytes=0)))
        assert len(problems) == 1 and expected in problems[0], name
    problems = check_file(record_for(tmp_path / "html.fit", b"<html>" + b" " * 3000))
    assert problems == ["not a FITS file (looks like HTML (an error page?))"]


def test_fits_truncated_data_and_short_header(tmp_path: Path) -> None:
    """A FITS file shorter than its header says, or than one block, is reported."""
    cards = ["SIMPLE  =                    T", "BITPIX  =                   16",
             "NAXIS   =                    2", "NAXIS1  =                  100",
             "NAXIS2  =                  100", "END"]  # fmt: skip
    content = fits_bytes(cards, data_bytes=2 * 100 * 100)
    problems = check_file(record_for(tmp_path / "cut.fit", content[: 2880 * 3]))
    assert problems == ["FITS data is cut short: header and data need 22880 bytes, file has 8640"]
    assert check_file(record_for(tmp_path / "short.fit", content[:1000])) == [
        "FITS file is shorter than one 2880-byte header block"
    ]


def test_fits_header_with_binary_bytes(tmp_path: Path) -> None:
    """Control bytes inside a FITS header mean a corrupt header."""
    content = bytearray(fits_bytes())
    content[500] = 0x01
    problems = check_file(record_for(tmp_path / "bin.fit", bytes(content)))
    assert problems and "not printable ASCII" in problems[0]


def test_fits_header_spanning_two_blocks(tmp_path: Path) -> None:
    """A header longer than 36 cards (END in the second block) is read to its end."""
    cards = ["SIMPLE  =                    T", "BITPIX  =                    8",
             "NAXIS   =                    1", "NAXIS1  =                   16"]  # fmt: skip
    cards += [f"COMMENT filler {n}" for n in range(40)] + ["END"]
    assert check_file(record_for(tmp_path / "long.fit", fits_bytes(cards, data_bytes=16))) == []


# ---------------------------------------------------------------------- library


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[Tracker]:
    """A tracker for a library in tmp_path."""
    with Tracker.open(tmp_path / "t.sqlite3", base_path=tmp_path) as opened:
        yield opened


def test_verify_library_checks_done_records(tmp_path: Path, tracker: Tracker) -> None:
    """verify_library checks every done file, reports problems with key and path, and
    calls progress with the running count; pending records are not checked."""
    good = tmp_path / "good.png"
    good.write_bytes(png_bytes())
    tracker.record_batch(
        [
            ImageRow(key="1", status="done", format="PNG", path=good, size=good.stat().st_size),
            ImageRow(key="2", status="done", format="PNG", path=tmp_path / "gone.png", size=3),
        ]
    )
    tracker.mark_pending([ImageRow(key="3", status="pending", path=tmp_path / "later.png")])
    seen: list[int] = []
    problems = verify_library(tracker, progress=seen.append)
    assert [(p.key, p.path, p.message) for p in problems] == [
        ("2", tmp_path / "gone.png", "file is missing")
    ]
    assert seen == [1, 2]
    assert tracker.mark_for_redownload([p.key for p in problems]) == 1
    assert tracker.get("2").status == "pending"  # type: ignore[union-attr]
