"""Synthetic sky: star fields with the mission's target (nebula, galaxy, cluster, planet...).

A *scene* is drawn from a seed and a title: star positions, colours and brightnesses as
fractions of the field, and the target's kind, from keywords of its title ("Nebula",
"Galaxy", "Cluster", "Jupiter"...). It is rendered at any size through any filter: every
component has a spectrum (continuum R, G, B plus the H-alpha, OIII and SII lines) and each
filter weighs it, so the R, G and B frames of a mission show the same field in different
proportions, and a colour composite of them looks like the sky. Nothing here is physics; it
only has to look right in a gallery and cost a few milliseconds.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Scene", "colour_picture", "frame_counts", "mono_picture", "scene_for"]

#: A plane of pixels (float32 at run time; numpy's stubs widen scalar arithmetic to 64 bits).
Image = NDArray[np.floating[Any]]

#: Filter -> weights of (R, G, B continuum, H-alpha, OIII, SII).
_FILTERS: dict[str, tuple[float, ...]] = {
    "r": (1.0, 0.05, 0.0, 1.0, 0.0, 1.0),
    "g": (0.05, 1.0, 0.1, 0.0, 0.7, 0.0),
    "b": (0.0, 0.1, 1.0, 0.0, 0.5, 0.0),
    "h": (0.08, 0.0, 0.0, 1.6, 0.0, 0.0),
    "o": (0.0, 0.06, 0.06, 0.0, 1.6, 0.0),
    "s": (0.08, 0.0, 0.0, 0.0, 0.0, 1.6),
}
_CLEAR = (0.8, 0.8, 0.8, 0.8, 0.8, 0.8)
#: Star colours as continuum (R, G, B): blue-white, white, yellow, orange.
_STAR_COLOURS = ((0.75, 0.85, 1.0), (1.0, 1.0, 1.0), (1.0, 0.9, 0.7), (1.0, 0.7, 0.45))
#: Title keywords -> the kind of target drawn (first match wins).
_KINDS = (
    ("moon", "moon"), ("jupiter", "jupiter"), ("saturn", "saturn"), ("comet", "comet"),
    ("c202", "comet"), ("planetary", "planetary"), ("ring nebula", "planetary"),
    ("nebula", "nebula"), ("galax", "galaxy"), ("centaurus a", "galaxy"), ("group", "galaxy"),
    ("quintet", "galaxy"), ("globular", "globular"), ("omega centauri", "globular"),
    ("great hercules", "globular"), ("cluster", "cluster"), ("pleiades", "cluster"),
    ("hyades", "cluster"),
    ("alpha ", "star"), ("beta ", "star"), ("sirius", "star"),
)  # fmt: skip
_DEFAULT_KINDS = ("galaxy", "nebula", "cluster", "globular")


@dataclass(frozen=True, slots=True)
class Component:
    """One smooth part of the target: a shape function's parameters and its spectrum."""

    shape: str
    x: float
    y: float
    size: float
    axis_ratio: float
    angle: float
    spectrum: tuple[float, ...]
    detail: int


@dataclass(frozen=True, slots=True)
class Scene:
    """A field of view: stars ``(x, y, flux, colour)`` in fractions of the field, and the
    target's components. Planets and the Moon come with no stars (short exposures)."""

    kind: str
    stars: tuple[tuple[float, float, float, int], ...]
    components: tuple[Component, ...]


def kind_of(title: str) -> str:
    """The kind of target a title names (a guess fixed by the title for catalogue numbers)."""
    lowered = title.lower()
    for keyword, kind in _KINDS:
        if keyword in lowered:
            return kind
    return _DEFAULT_KINDS[_title_number(title) % len(_DEFAULT_KINDS)]


def _title_number(title: str) -> int:
    return int.from_bytes(hashlib.blake2b(title.encode(), digest_size=8).digest(), "big")


@lru_cache(maxsize=256)
def scene_for(title: str, seed: int) -> Scene:
    """The scene of a mission: the object's own sky (fixed by its title: the same stars and
    nebula every time it is observed), seen with the mission's pointing, a small offset
    fixed by ``seed``."""
    base = _object_scene(title.strip())
    rng = random.Random(f"pointing:{seed}")
    dx, dy = (rng.choice((-1, 1)) * rng.uniform(0.02, 0.05) for _ in range(2))
    return Scene(
        base.kind,
        tuple((x + dx, y + dy, flux, colour) for x, y, flux, colour in base.stars),
        tuple(replace(part, x=part.x + dx, y=part.y + dy) for part in base.components),
    )


@lru_cache(maxsize=256)
def _object_scene(title: str) -> Scene:
    kind = kind_of(title)
    rng = random.Random(f"object:{_title_number(title)}")
    stars = () if kind in ("moon", "jupiter", "saturn") else _stars(rng, kind)
    return Scene(kind, stars, _components(rng, kind))


def _stars(rng: random.Random, kind: str) -> tuple[tuple[float, float, float, int], ...]:
    """Field stars (brightness falls as a power law), plus a cluster's own members."""
    field = [
        (rng.random(), rng.random(), 0.02 + 0.9 * rng.random() ** 6, rng.randrange(4))
        for _ in range(rng.randint(70, 160))
    ]
    members = {"globular": 700, "cluster": 90, "star": 0}.get(kind, 0)
    spread = 0.06 if kind == "globular" else 0.16
    for _ in range(members):
        x, y = rng.gauss(0.5, spread), rng.gauss(0.5, spread)
        field.append((x, y, 0.05 + 0.6 * rng.random() ** 3, rng.choice((0, 1, 1, 2, 3))))
    if kind == "star":
        field.append((0.5, 0.5, 60.0, rng.randrange(4)))
    return tuple(field)


def _components(rng: random.Random, kind: str) -> tuple[Component, ...]:
    """The target itself: a few smooth components around the middle of the field."""
    angle, detail = rng.uniform(0, math.pi), rng.randrange(1 << 30)

    def part(shape: str, size: float, ratio: float, spectrum: tuple[float, ...]) -> Component:
        x, y = 0.5 + rng.uniform(-0.06, 0.06), 0.5 + rng.uniform(-0.06, 0.06)
        if shape == "glare":  # on the bright star itself, unrotated
            return Component(shape, 0.5, 0.5, size, ratio, 0.0, spectrum, detail)
        return Component(shape, x, y, size, ratio, angle, spectrum, detail)

    recipes = {
        "nebula": lambda: [
            part("cloud", rng.uniform(0.26, 0.36), rng.uniform(0.6, 1.0),
                 (0.15, 0.06, 0.1, 1.0, rng.uniform(0.1, 0.5), rng.uniform(0.2, 0.6))),
            part("cloud", rng.uniform(0.1, 0.16), 0.8, (0.3, 0.35, 0.4, 0.4, 1.0, 0.1)),
        ],
        "planetary": lambda: [part("ring", 0.07, rng.uniform(0.7, 1.0),
                                   (0.1, 0.2, 0.2, 0.9, 1.4, 0.2))],
        "galaxy": lambda: [
            part("spiral", rng.uniform(0.2, 0.3), rng.uniform(0.35, 0.9),
                 (0.75, 0.8, 1.0, 0.2, 0.0, 0.0)),
            part("core", 0.05, 0.8, (1.0, 0.85, 0.6, 0.0, 0.0, 0.0)),
        ],
        "globular": lambda: [part("core", 0.08, 1.0, (0.5, 0.45, 0.35, 0.0, 0.0, 0.0))],
        "comet": lambda: [part("comet", 0.05, 1.0, (0.25, 0.6, 0.35, 0.0, 0.6, 0.0))],
        "star": lambda: [part("glare", 0.05, 1.0, (0.9, 0.95, 1.0, 0.0, 0.0, 0.0))],
        "moon": lambda: [part("moon", 0.42, 1.0, (1.0, 0.97, 0.92, 0.0, 0.0, 0.0))],
        "jupiter": lambda: [part("jupiter", 0.2, 0.94, (1.0, 0.85, 0.65, 0.0, 0.0, 0.0))],
        "saturn": lambda: [part("saturn", 0.13, 0.9, (1.0, 0.9, 0.65, 0.0, 0.0, 0.0))],
    }  # fmt: skip
    return tuple(recipes.get(kind, list)())


# --------------------------------------------------------------------------- rendering


def render(scene: Scene, filters: list[tuple[float, ...]], width: int, height: int) -> list[Image]:
    """The scene through each filter, in relative flux (the sky background is 0); shapes and
    star stamps are computed once for all the filters, each filter only weighs them."""
    shapes = [
        (component.spectrum, _shape(component, width, height)) for component in scene.components
    ]
    stamps = _StarStamps(scene, width, height) if scene.stars else None
    images = []
    for weights in filters:
        image = np.zeros((height, width), dtype=np.float32)
        for spectrum, shape in shapes:
            strength = float(np.dot(spectrum, weights))
            if strength > 0:
                image += strength * shape
        if stamps is not None:
            image += stamps.through(weights)
        images.append(image)
    return images


def _grid(component: Component, width: int, height: int) -> tuple[Image, Image]:
    """Coordinates around the component's centre, rotated, in units of the field's short
    side (so a target keeps its shape in a wide band of a big frame)."""
    scale = float(min(width, height))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    dx = (xs - component.x * width) / scale
    dy = (ys - component.y * height) / scale
    cos, sin = math.cos(component.angle), math.sin(component.angle)
    return dx * cos + dy * sin, (dy * cos - dx * sin) / component.axis_ratio


def _shape(component: Component, width: int, height: int) -> Image:
    u, v = _grid(component, width, height)
    r = np.hypot(u, v) / component.size
    if component.shape in ("moon", "jupiter", "saturn"):
        return _planet(component, u, v, r, width, height)
    if component.shape == "cloud":
        texture = _texture(component.detail, width, height, 7)
        lanes = _texture(component.detail + 1, width, height, 11)
        return np.exp(-(r**2) * 1.3) * texture**2 * (0.35 + lanes) ** 2 * 3.5
    if component.shape == "ring":
        return np.exp(-(((r - 0.75) / 0.22) ** 2)) * 1.5 + np.exp(-(r**2) * 8) * 0.4
    if component.shape == "spiral":
        theta = np.arctan2(v, u)
        arms = 1.0 + 0.8 * np.cos(2 * theta - 5.0 * np.log(r + 0.05))
        return np.exp(-r * 2.6) * arms * 2.2
    if component.shape == "glare":  # a bright star's halo and diffraction spikes
        spikes = np.exp(-np.minimum(np.abs(u), np.abs(v)) / component.size * 40) * np.exp(-r)
        return np.exp(-r * 2.5) * 0.6 + spikes * 2.0
    if component.shape == "comet":
        tail: Image = np.exp(-np.abs(v) * 9 / np.maximum(u + 0.15, 0.05)) * (u > 0)
        coma: Image = np.exp(-(r**2) * 2) * 3.0
        comet: Image = coma + tail * np.exp(-u * 2.5) * 1.2
        return comet
    return np.exp(-(r**0.5) * 4.5) * 40.0  # core: a steep de Vaucouleurs-like profile


def _planet(component: Component, u: Image, v: Image, r: Image, width: int, height: int) -> Image:
    """A limb-darkened disk; belts for Jupiter, a ring for Saturn, maria for the Moon."""
    disk = np.sqrt(np.clip(1.0 - r**2, 0.0, 1.0)) ** 0.6
    if component.shape == "jupiter":
        disk *= 0.8 + 0.2 * np.cos(v / component.size * 11.0)
    elif component.shape == "moon":
        disk *= 0.55 + 0.45 * _texture(component.detail, width, height, 9)
    else:
        ring = np.abs(np.hypot(u, v / 0.3) / component.size - 1.9)
        disk = np.maximum(disk, (ring < 0.35) * 0.8 * (1 - ring / 0.35))
    result: Image = disk * 3.0
    return result


def _texture(seed: int, width: int, height: int, cells: int) -> Image:
    """Smooth random structure in 0.2..1: a few random cells, upsampled bicubically."""
    from PIL import Image as PILImage

    noise = np.random.default_rng(seed).random((cells, cells), dtype=np.float32)
    big = PILImage.fromarray(noise, mode="F").resize((width, height), PILImage.Resampling.BICUBIC)
    return np.clip(np.asarray(big, dtype=np.float32), 0.0, 1.0) * 0.8 + 0.2


class _StarStamps:
    """Every star's Gaussian stamp at its sub-pixel place, as flat pixel indices and values;
    a filter only scales each star by its colour's response."""

    def __init__(self, scene: Scene, width: int, height: int) -> None:
        sigma = 0.5 + min(width, height) / 300.0
        offsets = np.arange(-math.ceil(3 * sigma), math.ceil(3 * sigma) + 1)
        stars = _star_table(scene)
        cx, cy = stars[:, 0] * width, stars[:, 1] * height
        xs, ys = np.broadcast_arrays(
            np.floor(cx)[:, None, None] + offsets[None, None, :],
            np.floor(cy)[:, None, None] + offsets[None, :, None],
        )
        spread = (xs + 0.5 - cx[:, None, None]) ** 2 + (ys + 0.5 - cy[:, None, None]) ** 2
        inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
        self._profile = np.exp(-spread / (2 * sigma**2))[inside]
        self._star = np.broadcast_to(np.arange(len(stars))[:, None, None], xs.shape)[inside]
        self._index = (ys[inside] * width + xs[inside]).astype(np.int64)
        self._stars, self._shape = stars, (height, width)

    def through(self, weights: tuple[float, ...]) -> Image:
        """The stars through a filter."""
        colours = np.array(_STAR_COLOURS, dtype=np.float32)[self._stars[:, 3].astype(int)]
        flux = self._stars[:, 2] * (colours @ np.array(weights[:3], dtype=np.float32)) * 30.0
        values = self._profile * flux[self._star]
        size = self._shape[0] * self._shape[1]
        plane: Image = np.bincount(self._index, values, minlength=size).astype(np.float32)
        return plane.reshape(self._shape)


@lru_cache(maxsize=64)
def _star_table(scene: Scene) -> NDArray[np.float32]:
    """The scene's stars as an array of (x, y, flux, colour) rows."""
    return np.array(scene.stars, dtype=np.float32)


# --------------------------------------------------------------------------- products


def weights_of(product: str) -> tuple[float, ...]:
    """A product's filter weights (``l``, ``m``, unknown: clear)."""
    return _FILTERS.get(product, _CLEAR)


def frame_counts(
    scene: Scene, product: str, width: int, rows: int, noise_seed: int
) -> NDArray[np.uint16]:
    """A calibrated CCD frame's counts (ADU): bias and sky, the scene, read and shot noise."""
    (signal,) = render(scene, [weights_of(product)], width, rows)
    rng = np.random.default_rng(noise_seed)
    sky = 900.0 + 250.0 * (product in ("l", "m"))
    counts = sky + signal * 1800.0
    counts += rng.standard_normal(counts.shape, dtype=np.float32) * np.sqrt(counts) * 0.6
    frame: NDArray[np.uint16] = np.clip(counts, 0, 65535).astype(np.uint16)
    return frame


def colour_picture(scene: Scene, side: int) -> NDArray[np.uint8]:
    """An 8-bit RGB picture as Slooh's pipeline makes from R, G and B frames (asinh stretch)."""
    planes = render(scene, [_FILTERS[band] for band in ("r", "g", "b")], side, side)
    return _stretch(np.stack(planes, axis=-1))


def mono_picture(scene: Scene, product: str, side: int) -> NDArray[np.uint8]:
    """An 8-bit greyscale picture through one filter."""
    (plane,) = render(scene, [weights_of(product)], side, side)
    return _stretch(plane)


def _stretch(flux: Image) -> NDArray[np.uint8]:
    """A display stretch: asinh, a dark (not black) background, highlights rolled off."""
    scaled = np.arcsinh(flux * 3.0) / np.arcsinh(3.0 * 12.0)
    pixels: NDArray[np.uint8] = np.clip(14.0 + scaled * 241.0, 0, 255).astype(np.uint8)
    return pixels
