"""Counts, sizes and exposures as people read them (pure; the CLI and the gallery say them
alike: ``slooh stats`` and the gallery's pages show one integration time the same way)."""

from __future__ import annotations

__all__ = ["exposure_text", "human_bytes", "plural"]


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 file``, ``2,548 files`` (``words`` when the plural is not ``word + "s"``)."""
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def human_bytes(size: float) -> str:
    """``1.5 MB`` style sizes (decimal units, like file managers)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"  # pragma: no cover - the loop returns


def exposure_text(seconds: float) -> str:
    """``45 s``, ``4.5 min``, ``24 min``, ``3 h``, ``2 h 05 min``: an integration time, as
    astrophotographers say it."""
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 9.95:
        return f"{minutes:.1f}".removesuffix(".0") + " min"
    hours, rest = divmod(round(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"
