"""Making one preview: a picture's thumbnail, a FITS frame's stretched view, or the colour
composite of a mission's R, G and B frames. Runs in worker processes.

Each task reads one file at a time and keeps only a small copy of it: a FITS image is mapped
from disk (``memmap``), binned down to the preview's size and let go before the next frame is
opened, so a worker holds at most one frame however big. Every function here is top level
and takes plain values: tasks travel to ``spawn``-ed processes by pickling.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..media import write_atomically

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["PREVIEW_VERSION", "PreviewTask", "make_preview"]

#: Bumped when previews are drawn differently: every cached preview is then made again.
PREVIEW_VERSION = 1
PreviewKind = Literal["picture", "fits", "colour"]
#: The longest side of each kind of preview, in pixels.
SIDES: dict[PreviewKind, int] = {"picture": 360, "fits": 360, "colour": 480}
_JPEG_QUALITY = 84
#: The top of a FITS preview's range: this percentile when it is above the z-scale's top.
_TOP_PERCENTILE = 99.7
#: A colour composite's linear range, in units of the sky's noise.
_COLOUR_RANGE = 15.0
#: A composite of small frames is enlarged to at least this many pixels.
_COMPOSITE_MIN = 320


@dataclass(frozen=True, slots=True)
class PreviewTask:
    """One preview to make: what it shows, from which files, into which JPEG file."""

    kind: PreviewKind
    sources: tuple[str, ...]
    dest: str


def make_preview(task: PreviewTask) -> str | None:
    """Make ``task``'s preview; ``None`` when done, else a one-line reason (the build goes on:
    one unreadable file must not cost the user the whole gallery)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy, numpy and Pillow warnings: not for the user
        try:
            image = _draw(task)
            _save(image, Path(task.dest))
        except Exception as exc:  # decoders of damaged files raise anything at all
            return (
                f"{Path(task.sources[0]).name}: {' '.join(str(exc).split()) or type(exc).__name__}"
            )
    return None


def _draw(task: PreviewTask) -> Any:
    from PIL import Image

    side = SIDES[task.kind]
    if task.kind == "picture":
        return _thumbnail(Path(task.sources[0]), side)
    if task.kind == "fits":
        return Image.fromarray(_stretched(read_plane(Path(task.sources[0]), side)), mode="L")
    planes = [read_plane(Path(source), side) for source in task.sources]
    composite = Image.fromarray(colour_composite(planes), mode="RGB")
    factor = -(-_COMPOSITE_MIN // max(composite.size))  # small frames: enlarged to be seen
    if factor > 1:
        size = (composite.width * factor, composite.height * factor)
        composite = composite.resize(size, Image.Resampling.LANCZOS)
    return composite


def _thumbnail(path: Path, side: int) -> Any:
    """A picture shrunk to fit ``side`` (JPEGs are decoded at a reduced scale directly)."""
    from PIL import Image

    with Image.open(path) as picture:
        picture.draft("RGB", (side, side))
        picture.thumbnail((side, side), Image.Resampling.LANCZOS)
        return picture.convert("RGB") if picture.mode not in ("RGB", "L") else picture.copy()


def _save(image: Any, dest: Path) -> None:
    """Write the JPEG next to its place and move it in: a crash never leaves half a file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(
        dest, lambda handle: image.save(handle, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    )


# --------------------------------------------------------------------------- FITS


def read_plane(path: Path, side: int) -> NDArray[np.float32]:
    """The first 2-D image of a FITS file, binned to at most ``side`` pixels, in physical
    units (BSCALE/BZERO applied to the small copy, BLANK pixels as NaN)."""
    import numpy as np
    from astropy.io import fits

    with fits.open(path, memmap=True, do_not_scale_image_data=True) as hdus:
        hdu = next((item for item in hdus if _is_image(item)), None)
        if hdu is None:
            raise ValueError("no 2-D image in the file")
        raw = hdu.data
        raw = raw.reshape(-1, *raw.shape[-2:])[0]  # a cube shows its first plane
        binned = _binned(raw, max(1, math.ceil(max(raw.shape) / side)))
        blank = hdu.header.get("BLANK") if raw.dtype.kind in "iu" else None
    if blank is not None:
        binned[binned == blank] = np.nan
    scale, zero = hdu.header.get("BSCALE", 1.0), hdu.header.get("BZERO", 0.0)
    return (binned * np.float32(scale) + np.float32(zero)).astype(np.float32)


def _is_image(hdu: Any) -> bool:
    shape = getattr(hdu, "shape", ())
    return hdu.is_image and len(shape) >= 2 and min(shape[-2:]) > 0


def _binned(raw: Any, step: int) -> NDArray[np.float32]:
    """Mean of each ``step`` x ``step`` block (stars survive, unlike with a strided sample),
    computed from the mapped file band by band so the whole frame is never copied."""
    import numpy as np

    height, width = (raw.shape[0] // step) * step, (raw.shape[1] // step) * step
    if step == 1:
        return np.array(raw, dtype=np.float32)
    rows = []
    for top in range(0, height, step * 64):
        band = np.asarray(raw[top : min(top + step * 64, height), :width], dtype=np.float32)
        rows.append(band.reshape(-1, step, width // step, step).mean(axis=(1, 3)))
    return np.concatenate(rows).astype(np.float32)


def _stretched(plane: NDArray[np.float32]) -> NDArray[np.uint8]:
    """The z-scale's bottom (just under the sky), a bright percentile as the top, and an asinh
    stretch in between: the sky dark grey, faint stars visible, bright ones not blown out."""
    import numpy as np
    from astropy.visualization import AsinhStretch, ZScaleInterval

    finite = plane[np.isfinite(plane)]
    if finite.size == 0:
        raise ValueError("the image holds no finite pixel")
    low, high = ZScaleInterval().get_limits(finite)
    high = max(float(high), float(np.percentile(finite, _TOP_PERCENTILE)))
    scaled = np.clip((np.nan_to_num(plane, nan=low) - low) / max(high - low, 1e-9), 0, 1)
    stretched = AsinhStretch(a=0.1)(scaled, clip=True)
    pixels: NDArray[np.uint8] = (stretched * 255).astype(np.uint8)
    return np.flipud(pixels)  # FITS rows go up, image rows go down


def colour_composite(planes: list[NDArray[np.float32]]) -> NDArray[np.uint8]:
    """R, G and B frames as one colour image (Lupton et al.'s asinh, as astropy makes it).

    Each frame's sky is subtracted; the linear range is a multiple of the sky's noise (its
    median absolute deviation), which shows faint stars and keeps bright ones coloured
    whatever the frames' units and exposure.
    """
    import numpy as np
    from astropy.visualization import make_lupton_rgb

    height = min(plane.shape[0] for plane in planes)
    width = min(plane.shape[1] for plane in planes)
    cleaned = []
    for plane in planes:
        crop = plane[:height, :width]
        crop = np.nan_to_num(crop, nan=float(np.nanmedian(crop)))
        cleaned.append(crop - np.median(crop))
    noise = max(float(np.median(np.abs(plane))) * 1.4826 for plane in cleaned) or 1.0
    with np.errstate(all="ignore"):
        rgb = make_lupton_rgb(*cleaned, minimum=-noise, stretch=noise * _COLOUR_RANGE, Q=8)
    return np.flipud(np.asarray(rgb, dtype=np.uint8))
