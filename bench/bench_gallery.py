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
  picture, a 2048 x 2048 16-bit FITS frame (8 MB), the colour composite of three such frames
  (a synthetic field drawn here); and at the catalog's size. Each is the gallery of the sample
  alone built with and without its previews in place (public API only). Medians in
  milliseconds.

Run ``.venv/bin/python bench/bench_gallery.py [--files N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from _harness import Figure, machine_note, median, print_figures, save_figures, scratch

from slooh_async.api import parse_filename
from slooh_async.fake_server import Catalog, CatalogFile, FakeConfig
from slooh_async.gallery import GALLERY_DIR, GalleryReport, build_gallery, write_gallery
from slooh_async.organizer import object_name
from slooh_async.tracker import ImageRecord, ImageRow, Tracker, read_headers

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

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
    """Milliseconds per preview, made serially in this process, for each kind of source file.

    Each sample is a library of its own files alone: its gallery (``write_gallery``, one
    worker: no process pool) is built with its previews deleted, then again with them in place
    (nothing to make; the pages are rendered and found unchanged). The difference is the
    previews' cost; medians of three such pairs.
    """
    real = sky_files(folder / "real", REAL_SIDE)
    picture = record_of(real["png"])
    frames = [record_of(real[band], band.upper()) for band in "rgb"]
    small = Catalog(FakeConfig(pictures=4, file_size=48 * 1024))
    png = next(item for item in small.photo_roll if item.format == "PNG")
    frame = small.fits_files[0]
    catalog_png = record_of(write_item(folder / "catalog-png", png))
    catalog_fits = record_of(write_item(folder / "catalog-fits", frame))
    size = frames[0].size or 0
    fits_cost = previews_seconds([frames[0]], 1)
    colour_cost = previews_seconds(frames, 4) - 3 * fits_cost
    costs = [
        (f"PNG picture {REAL_SIDE}x{REAL_SIDE}", previews_seconds([picture], 1)),
        (f"FITS frame {REAL_SIDE}x{REAL_SIDE}, {size / 1e6:.0f} MB", fits_cost),
        ("colour composite of 3 such frames (their gallery less 3 FITS previews)", colour_cost),
        (f"PNG picture of the catalog ({png.size // 1000} kB)",
         previews_seconds([catalog_png], 1)),
        (f"FITS frame of the catalog ({frame.size // 1000} kB)",
         previews_seconds([catalog_fits], 1)),
    ]  # fmt: skip
    return [Figure(f"one preview: {label}", f"{cost * 1000:.0f} ms") for label, cost in costs]


def previews_seconds(records: list[ImageRecord], previews: int) -> float:
    """Seconds the gallery of ``records`` alone spends making its ``previews`` previews."""
    assert records[0].path is not None
    root = records[0].path.parent  # the sample's own library
    headers = read_headers([record for record in records if record.is_fits])

    def build() -> GalleryReport:
        report = write_gallery(root, records, [], headers, workers=1)
        if report.problems:
            raise SystemExit(f"preview failed: {report.problems}")
        return report

    build()  # the pages written, numpy, astropy and Pillow imported
    made, kept = [], []
    for _ in range(3):
        shutil.rmtree(root / GALLERY_DIR / "previews")
        report = build()
        if report.previews_made != previews:
            raise SystemExit(f"{report.previews_made} previews made, expected {previews}")
        made.append(report.elapsed)
        kept.append(build().elapsed)
    return median(made) - median(kept)


def record_of(path: Path, band: str | None = None) -> ImageRecord:
    """A done record of a sample file (one mission: R, G and B frames make a colour set)."""
    fits = path.suffix == ".fit"
    return ImageRecord(
        key=path.name, status="done", kind="fits" if fits else "picture", mission_id=1,
        title="Orion Nebula (M42)", instrument="bench", format="FITS" if fits else "PNG",
        filter=band, filename=path.name, path=path, size=path.stat().st_size,
        observed_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip


def write_item(folder: Path, item: CatalogFile) -> Path:
    """A catalog file written into ``folder``."""
    folder.mkdir(parents=True)
    path = folder / item.filename
    path.write_bytes(item.body())
    return path


def sky_files(folder: Path, side: int) -> dict[str, Path]:
    """Real-size samples: a colour PNG picture and 16-bit R, G and B FITS frames of one field."""
    import numpy as np
    from astropy.io import fits
    from PIL import Image

    folder.mkdir(parents=True)
    planes = [sky_counts(side, band) for band in range(3)]
    paths = {"png": folder / "big.png"}
    colour = np.stack([stretched(plane) for plane in planes], axis=-1)
    Image.fromarray(colour, mode="RGB").save(paths["png"])
    for name, plane in zip("rgb", planes, strict=True):
        paths[name] = folder / f"big_{name}.fit"
        fits.PrimaryHDU(plane).writeto(paths[name])
    return paths


def sky_counts(side: int, band: int, seed: int = 7) -> NDArray[np.uint16]:
    """A synthetic field in camera counts: a noisy background, a nebula brighter in the red,
    and stars (the same in every band) a few pixels wide."""
    import numpy as np

    rng = np.random.default_rng(seed)
    count = side * side // 2000
    rows, columns = rng.integers(2, side - 2, (2, count))
    points = np.zeros((side, side))
    np.add.at(points, (rows, columns), rng.pareto(1.5, count) * 400.0)
    stars = points
    for axis in (0, 1):  # a separable blur: each star a small disc
        spread = np.zeros_like(stars)
        for shift, weight in zip(range(-2, 3), (0.06, 0.24, 0.4, 0.24, 0.06), strict=True):
            spread += weight * np.roll(stars, shift, axis=axis)
        stars = spread
    y, x = np.ogrid[:side, :side]
    distance = ((y - side * 0.45) ** 2 + (x - side * 0.55) ** 2) / (side * 0.15) ** 2
    nebula = (1500.0, 1000.0, 700.0)[band] * np.exp(-distance / 2)
    noise = np.random.default_rng(seed + band + 1).normal(900.0, 18.0, (side, side))
    return np.clip(noise + nebula + stars, 0, 65535).astype(np.uint16)


def stretched(counts: NDArray[np.uint16]) -> NDArray[np.uint8]:
    """Counts to 8-bit brightness, as a picture of the field would show them."""
    import numpy as np

    scaled = np.arcsinh(np.maximum(counts.astype(np.float32) - 900.0, 0.0) / 60.0)
    brightness: NDArray[np.uint8] = (scaled / max(float(scaled.max()), 1.0) * 255).astype(np.uint8)
    return brightness


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
