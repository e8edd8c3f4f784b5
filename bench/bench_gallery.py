"""Issue 15: the gallery's build time, the cost of one preview (PNG and FITS), the no-op rebuild.

The library: ``--files`` (default 2,500) files of the fake server's catalog (sky pictures and
FITS frames at the demo's size, 48 KiB) written into a scratch folder and tracked as a
finished download leaves them (no server, no network). Then, in this process:

- the first build (previews in worker processes), and its cost per preview;
- the no-op rebuild (nothing new), median of ``--rounds``, in this process and in a new one
  (interpreter start and imports included, as ``slooh gallery`` will run it): issue 15's
  target is under 1 s at 2,500 files; its ratio to the first build;
- a rebuild after ``--new`` new files (what ``gallery.auto`` will do after a sync);
- the cost of one preview, serially in one process, at real sizes: a 2048 x 2048 colour PNG
  picture, a 2048 x 2048 16-bit FITS frame (8 MB), the colour composite of three such frames;
  and at the catalog's size. Medians in milliseconds.

Run ``.venv/bin/python bench/bench_gallery.py [--files N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _harness import Figure, machine_note, median, print_figures, save_figures, scratch

from slooh_async.api import parse_filename
from slooh_async.fake_server import Catalog, CatalogFile, FakeConfig
from slooh_async.gallery import GalleryReport, build_gallery
from slooh_async.gallery._previews import PreviewTask, make_preview
from slooh_async.organizer import object_name
from slooh_async.tracker import ImageRow, Tracker

TARGET_NOOP = 1.0
REAL_SIDE = 2048


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2500, help="files in the library")
    parser.add_argument("--rounds", type=int, default=3, help="no-op rebuilds timed")
    parser.add_argument("--new", type=int, default=10, help="files added before a rebuild")
    parser.add_argument("--json-out", help="append the figures as JSON lines to this file")
    args = parser.parse_args(argv)
    print(f"bench_gallery: {machine_note()}")
    with scratch("slooh-bench-gallery-") as folder:
        figures = library_figures(folder / "library", args.files, args.rounds, args.new)
        figures += preview_figures(folder / "samples")
    print("bench_gallery figures:")
    print_figures(figures)
    save_figures(args.json_out, "bench_gallery", figures)
    return 0


# --------------------------------------------------------------------------- the library


def library_figures(root: Path, files: int, rounds: int, new: int) -> list[Figure]:
    """First build, no-op rebuilds and a rebuild after new files, on one library."""
    catalog = Catalog(FakeConfig(pictures=files // 2 + new, file_size=48 * 1024, clashes=False))
    items = catalog.expected_files()[: files + new]
    began = time.perf_counter()
    track(root, items[:files])
    print(f"  library of {files} files written and tracked in {time.perf_counter() - began:.1f} s")
    first = timed_build(root)
    noops = [timed_build(root) for _ in range(rounds)]
    fresh = median([fresh_process_build(root) for _ in range(rounds)])
    track(root, items[files:])
    after_new = timed_build(root)
    noop = median([report.elapsed for report in noops])
    made = max(first.previews_made, 1)
    return [
        Figure(f"first build, {files} files", f"{first.elapsed:.1f} s, {made} previews, "
               f"{first.elapsed / made * 1000:.1f} ms per preview (parallel)"),
        Figure(f"no-op rebuild, {files} files", f"{noop:.2f} s (median of {rounds}), "
               f"{noop / first.elapsed:.3f} of the first build; wrote "
               f"{noops[-1].pages_written} pages, made {noops[-1].previews_made} previews",
               f"< {TARGET_NOOP:.0f} s", noop < TARGET_NOOP),
        Figure(f"no-op rebuild in a new process, {files} files",
               f"{fresh:.2f} s (median of {rounds}; interpreter start and imports included)",
               f"< {TARGET_NOOP:.0f} s", fresh < TARGET_NOOP),
        Figure(f"rebuild after {len(items) - files} new files",
               f"{after_new.elapsed:.2f} s, {after_new.previews_made} previews made, "
               f"{after_new.pages_written} pages written"),
    ]  # fmt: skip


def track(root: Path, items: list[CatalogFile]) -> None:
    """Write the files where a download puts them and record them as done."""
    rows = []
    for item in items:
        body = item.body()
        folder = "FITS" if item.format == "FITS" else "Pictures"
        obj = object_name(item.title)
        path = root / obj / item.telescope / folder / item.filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        rows.append(ImageRow(
            key=item.key, status="done", kind=item.kind, image_id=item.image_id,
            mission_id=item.mission_id, title=item.title, object_name=obj,
            telescope=item.telescope, instrument=item.spec.instrument, format=item.format,
            filter=parse_filename(item.filename).filter, filename=item.filename,
            observed_at=item.taken_at, path=path, size=len(body),
            hash=hashlib.sha256(body).hexdigest(), hash_algorithm="sha256",
        ))  # fmt: skip
    with Tracker.open(root / ".slooh" / "tracker.sqlite3", base_path=root) as tracker:
        session = tracker.start_session("download")
        tracker.record_batch(rows)
        total = sum(row.size or 0 for row in rows)
        tracker.finish_session(
            session, "completed", downloaded=len(rows), failed=0, skipped=0, bytes=total
        )


def timed_build(root: Path) -> GalleryReport:
    """One build of the gallery (the report carries its own elapsed time)."""
    with Tracker.open(root / ".slooh" / "tracker.sqlite3", base_path=root, lock=False) as tracker:
        report = build_gallery(tracker)
    print(f"  build: {report.elapsed:.2f} s, {report.previews_made} previews made, "
          f"{report.pages_written} pages written, {len(report.problems)} problems")  # fmt: skip
    return report


def fresh_process_build(root: Path) -> float:
    """Wall time of a no-op build in a new interpreter, as ``slooh gallery`` will run it."""
    code = (
        "import sys; from pathlib import Path; from slooh_async.tracker import Tracker;"
        "from slooh_async.gallery import build_gallery; root = Path(sys.argv[1]);"
        "tracker = Tracker.open(root / '.slooh' / 'tracker.sqlite3', base_path=root, lock=False);"
        "report = build_gallery(tracker); tracker.close();"
        "sys.exit(report.previews_made + report.pages_written)"
    )
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(root)], check=True)
    return time.perf_counter() - began


# --------------------------------------------------------------------------- one preview


def preview_figures(folder: Path) -> list[Figure]:
    """Milliseconds per preview, serially, for each kind of source file."""
    samples = make_samples(folder)
    figures = []
    for label, kind, sources in samples:
        cost = median([time_preview(kind, sources, folder / f"p{n}.jpg") for n in range(3)])
        figures.append(Figure(f"one preview: {label}", f"{cost * 1000:.0f} ms"))
    return figures


def time_preview(kind: str, sources: tuple[str, ...], dest: Path) -> float:
    began = time.perf_counter()
    problem = make_preview(PreviewTask(kind, sources, str(dest)))  # type: ignore[arg-type]
    if problem:
        raise SystemExit(f"preview failed: {problem}")
    return time.perf_counter() - began


def make_samples(folder: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    """Real-size sky files (rendered by the fake server's sky) and catalog-size ones."""
    import numpy as np
    from astropy.io import fits
    from PIL import Image

    from slooh_async.fake_server._sky import colour_picture, frame_counts, scene_for

    folder.mkdir(parents=True)
    scene = scene_for("Orion Nebula (M42)", 1)
    write: dict[str, Callable[[Path], None]] = {
        "big.png": lambda p: Image.fromarray(colour_picture(scene, REAL_SIDE)).save(p),
        **{
            f"big_{band}.fit": lambda p, band=band: fits.PrimaryHDU(
                frame_counts(scene, band, REAL_SIDE, REAL_SIDE, 7).astype(np.uint16)
            ).writeto(p)
            for band in "rgb"
        },
    }
    for name, writer in write.items():
        writer(folder / name)
    small = Catalog(FakeConfig(pictures=4, file_size=48 * 1024))
    png = next(item for item in small.photo_roll if item.format == "PNG")
    frame = small.fits_files[0]
    for item in (png, frame):
        (folder / item.filename).write_bytes(item.body())
    big = [str(folder / f"big_{band}.fit") for band in "rgb"]
    size = (folder / "big_r.fit").stat().st_size / 1e6
    return [
        (f"PNG picture {REAL_SIDE}x{REAL_SIDE}", "picture", (str(folder / "big.png"),)),
        (f"FITS frame {REAL_SIDE}x{REAL_SIDE}, {size:.0f} MB", "fits", (big[0],)),
        ("colour composite of 3 such frames", "colour", tuple(big)),
        (f"PNG picture of the catalog ({png.size // 1000} kB)", "picture",
         (str(folder / png.filename),)),
        (f"FITS frame of the catalog ({frame.size // 1000} kB)", "fits",
         (str(folder / frame.filename),)),
    ]  # fmt: skip


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
