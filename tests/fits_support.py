"""The one hand-written FITS header reader of the tests (independent of the code under test)."""

from __future__ import annotations

FITS_BLOCK = 2880
CARD = 80


def fits_cards(data: bytes) -> dict[str, str]:
    """The primary header's cards (keyword -> raw value, quotes kept); ``"END"`` maps to the
    header's length in bytes (whole 2,880-byte blocks). ``AssertionError`` without an END card.
    """
    cards: dict[str, str] = {}
    for start in range(0, len(data) - CARD + 1, CARD):
        card = data[start : start + CARD].decode("ascii")
        keyword = card[:8].strip()
        if keyword == "END":
            cards["END"] = str(start - start % FITS_BLOCK + FITS_BLOCK)
            return cards
        cards[keyword] = card[10:].split(" / ")[0].strip()
    raise AssertionError("no END card")
