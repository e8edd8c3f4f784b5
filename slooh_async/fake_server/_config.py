"""The fake server's settings: catalog shape, file sizes, account, network, faults."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._faults import Faults

__all__ = ["DEFAULT_PRODUCT_ID", "PRODUCT_IDS", "FakeConfig"]

#: The product id the web app sends.
DEFAULT_PRODUCT_ID = "adfb3d74-e551-11e9-a8f4-06b2ab7e8ae4"

#: The product ids the contract lists (web app, community clients); both are accepted.
PRODUCT_IDS = frozenset({DEFAULT_PRODUCT_ID, "ee26fb6d-3351-11eb-83b9-0655cc43ca95"})


@dataclass(frozen=True)
class FakeConfig:
    """Everything that shapes one fake server; the catalog is a pure function of it.

    Sizes are bytes per file: ``file_size`` for every format unless ``png_size``,
    ``jpeg_size`` or ``fits_size`` says otherwise. PNG and JPEG sizes vary by up to
    ``size_jitter`` (a fraction) around their size; FITS sizes are whole 2880-byte blocks.
    ``sizes`` gives a list of sizes per format instead (``(("PNG", (1_500_000, ...)), ...)``):
    the n-th file of a format gets the n-th size, cycling, without jitter (real size
    distributions for benchmarks). ``latency`` delays every answer's headers by that many
    seconds, like a far host. Port 0 lets the OS choose a free port.
    """

    seed: int = 1
    pictures: int = 300
    file_size: int = 64 * 1024
    png_size: int | None = None
    jpeg_size: int | None = None
    fits_size: int | None = None
    size_jitter: float = 0.2
    sizes: tuple[tuple[str, tuple[int, ...]], ...] = ()
    latency: float = 0.0
    fits: bool = True
    clashes: bool = True
    hostile_titles: bool = True
    username: str = "demo"
    password: str = "demo"
    range_support: bool = True
    host: str = "127.0.0.1"
    port: int = 0
    download_port: int = 0
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        if self.pictures < 0:
            raise ValueError("pictures must not be negative")
        if not 0.0 <= self.size_jitter < 1.0:
            raise ValueError("size_jitter must be in [0, 1)")
        if self.latency < 0:
            raise ValueError("latency must not be negative")
        if any(size <= 0 for _, sizes in self.sizes for size in sizes):
            raise ValueError("sizes must be positive")
        for name in ("file_size", "png_size", "jpeg_size", "fits_size"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive")

    def sizes_for(self, file_format: str) -> tuple[int, ...]:
        """The listed sizes of a format (empty: use :meth:`size_for` with jitter)."""
        return next((sizes for name, sizes in self.sizes if name == file_format), ())

    def size_for(self, file_format: str) -> int:
        """The configured size of one file of a format (``PNG``, ``JPEG`` or ``FITS``)."""
        specific = {"PNG": self.png_size, "JPEG": self.jpeg_size, "FITS": self.fits_size}
        return specific.get(file_format) or self.file_size
