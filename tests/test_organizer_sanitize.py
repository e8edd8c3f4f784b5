"""Portable names: the rules of sanitize_component, checked directly and on any text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slooh_async.organizer import component_problem, path_length, sanitize_component

# The oracle is written out here, apart from the code under test.
WINDOWS_FORBIDDEN = set('<>:"/\\|?*')
DEVICES = {"CON", "PRN", "AUX", "NUL"} | {f"{d}{n}" for d in ("COM", "LPT") for n in range(10)}


def assert_portable(name: str) -> None:
    """``name`` is a valid file or folder name on Windows, macOS and Linux alike."""
    assert name and name not in {".", ".."}
    assert not set(name) & WINDOWS_FORBIDDEN, name
    assert all(unicodedata.category(ch) not in {"Cc", "Cs"} for ch in name), repr(name)
    assert name == name.strip(" ") and not name.endswith(".") and not name.startswith(".")
    assert name.split(".")[0].rstrip(" ").upper() not in DEVICES, name
    assert unicodedata.normalize("NFC", name) == name
    assert len(name.encode("utf-8")) <= 255


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("M42", "M42"),
        ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),
        ("tab\there\nnew  line", "tab here new line"),
        ("nul\x00byte\x7fdel", "nul_byte_del"),
        ("..", "_"),
        (".", "_"),
        ("...hidden", "hidden"),
        ("trailing. . ", "trailing"),
        ("  spaced  ", "spaced"),
        ("CON", "CON_"),
        ("con.txt", "con_.txt"),
        ("COM1.tar.gz", "COM1_.tar.gz"),
        ("LPT9", "LPT9_"),
        ("COM\u00b9", "COM\u00b9_"),
        ("CONSOLE", "CONSOLE"),
        ("CON .txt", "CON_ .txt"),
        ("e\u0301", "\u00e9"),
        ("left\u202eright", "leftright"),
        ("lone\udc80surrogate", "lone_surrogate"),
        ("", "_"),
        ("\u3000", "_"),
    ],
)
def test_sanitize_rules(text: str, expected: str) -> None:
    """Forbidden characters, controls, dots, spaces, device names, NFC and bidi controls."""
    assert sanitize_component(text) == expected


def test_fallback_for_empty_result() -> None:
    """A name that sanitizes to nothing becomes the fallback."""
    assert sanitize_component(" .. ", fallback="Unknown") == "Unknown"


def test_byte_limit_cuts_whole_characters() -> None:
    """Long names are cut to 255 UTF-8 bytes without splitting a character."""
    name = sanitize_component("é" * 200)
    assert name == "é" * 127
    assert len(sanitize_component("a" * 300, max_bytes=None)) == 300


def test_path_length_counts_utf16_units() -> None:
    """Path length counts as Windows does: astral characters count two."""
    assert path_length("abc") == 3
    assert path_length("🔭é") == 3


def test_component_problem_explains() -> None:
    """``component_problem`` names what makes a name non-portable, or returns None."""
    assert component_problem("M42") is None
    assert "reserved" in (component_problem("aux.fit") or "")
    assert "':'" in (component_problem("a:b") or "")
    assert "NFC" in (component_problem("e\u0301") or "")
    assert "255" in (component_problem("x" * 256) or "")


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.text(st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Mn", "So", "Lo"]), max_size=80),
        st.text(alphabet=' .:/\\*?"<>|\x00\t\u202eCONULPTcom1é\u0301', max_size=40),
    )
)
def test_any_text_gives_a_portable_idempotent_name(text: str) -> None:
    """For any text the result is portable, and sanitizing it again changes nothing."""
    name = sanitize_component(text)
    assert_portable(name)
    assert component_problem(name) is None
    assert sanitize_component(name) == name
