"""Config problems: one clear line per problem (key, value, rule, where), typos as warnings."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from keyring.backends import fail
from test_config_support import BrokenKeyring, MemoryKeyring, install_keyring, isolate, write_json

from slooh_async.config import (
    KEYRING_SERVICE,
    ConfigError,
    load_settings,
    read_config_file,
    store_keyring_password,
    validate_settings,
    write_config_file,
)
from slooh_async.organizer import PLACEHOLDERS


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MemoryKeyring:
    """Each test has its own HOME, working directory and in-memory keyring."""
    return isolate(monkeypatch, tmp_path)


def problems_of(raw: dict[str, Any]) -> list[str]:
    """The problem lines validate_settings reports for ``raw``."""
    with pytest.raises(ConfigError) as caught:
        validate_settings(raw)
    assert caught.value.exit_code == 2
    return caught.value.problems


KNOWN = ", ".join("{" + name + "}" for name in sorted(PLACEHOLDERS))

#: (dotted key, value, the message after "key: ")
MESSAGES: list[tuple[str, Any, str]] = [
    ("download.threads", 0, "0 is below the minimum 1"),
    ("download.threads", 65, "65 is above the maximum 64"),
    ("download.batch_size", 0, "0 is below the minimum 1"),
    ("download.batch_size", 201, "201 is above the maximum 200"),
    ("download.rate_limit", -1, "-1 is below the minimum 0"),
    ("download.download_rate_limit", -5, "-5 is below the minimum 0"),
    ("download.timeout", 0, "0 must be greater than 0"),
    ("download.timeout", 4000, "4000 is above the maximum 3600"),
    ("download.max_retries", 51, "51 is above the maximum 50"),
    ("download.retry_delay", -1, "-1 is below the minimum 0"),
    ("download.queue_size", -1, "-1 is below the minimum 0"),
    ("download.threads", "many", '"many" is not a whole number'),
    ("download.threads", 2.5, "2.5 is not a whole number"),
    ("download.threads", True, "true is not a whole number"),
    ("download.timeout", "soon", '"soon" is not a number'),
    ("download.timeout", False, "false is not a number"),
    ("download.skip_existing", "maybe", '"maybe" is not true or false'),
    ("download.check_tracker", [1], "[1] is not true or false"),
    (
        "download.handle_duplicates",
        "keep",
        '"keep" is not allowed, expected "skip", "overwrite" or "rename"',
    ),
    (
        "download.verify_hash",
        "sha1",
        '"sha1" is not allowed, expected true, false, "md5" or "sha256"',
    ),
    ("slooh.base_url", "ftp://x.org", '"ftp://x.org" must start with http:// or https://'),
    (
        "slooh.base_url",
        "https://",
        '"https://" is not a URL with a host name (like https://app.slooh.com)',
    ),
    ("slooh.base_url", "http://h:99999", '"http://h:99999" has an invalid port'),
    ("slooh.base_url", "http://h/?a=1", '"http://h/?a=1" must not have a query or fragment'),
    ("slooh.username", 42, "42 is not a string"),
    ("slooh.locale", "", '"" must not be empty'),
    (
        "folders.template",
        "{nope}/{object}",
        f'"{{nope}}/{{object}}" uses unknown placeholder {{nope}}; known: {KNOWN}',
    ),
    ("folders.template", "../x", "\"../x\" must not contain '..' as a folder"),
    (
        "folders.filename_template",
        "{object}",
        '"{object}" must include {filename} or {image_id} so every picture gets its own name',
    ),
    (
        "folders.organize_by",
        "size",
        '"size" is not allowed, expected "object", "date" or "telescope"',
    ),
    ("folders.unknown_object", "", '"" must not be empty'),
    (
        "folders.unknown_object",
        "x" * 101,
        '"' + "x" * 56 + "... is too long (at most 100 characters)",
    ),
    ("folders.object_preference", 5, "5 must be a list"),
    ("folders.max_path_length", 59, "59 is below the minimum 60"),
    (
        "folders.format_names",
        {"GIF": "x"},
        '{"GIF": "x"} has unknown format \'GIF\' (allowed: FITS, PNG, JPEG)',
    ),
    (
        "folders.format_names",
        {"PNG": "a/b"},
        '{"PNG": "a/b"} gives PNG the folder name \'a/b\', which is not valid',
    ),
    ("folders.format_names", ["PNG"], '["PNG"] must be a JSON object'),
    (
        "folders.format_names",
        {"png": "Pictures", "PNG": "Images"},
        '{"png": "Pictures", "PNG": "Images"} names PNG twice (\'png\' and \'PNG\') with '
        "different folders",
    ),
    (
        "folders.format_names",
        {"jpg": "A", "JPEG": "B"},
        '{"jpg": "A", "JPEG": "B"} names JPEG twice (\'jpg\' and \'JPEG\') with different '
        "folders",
    ),
    ("folders.base_path", " ", '" " must not be empty'),
    ("folders.base_path", 5, "5 is not a path (expected a string)"),
    ("tracker.path", [1], "[1] is not a path (expected a string)"),
]


@pytest.mark.parametrize(("key", "value", "message"), MESSAGES, ids=[m[2] for m in MESSAGES])
def test_every_validation_message(key: str, value: Any, message: str) -> None:
    """Each rule has its own message naming the key, the value and what is allowed."""
    section, name = key.split(".")
    assert problems_of({section: {name: value}}) == [f"{key}: {message}"]


def test_a_section_that_is_not_an_object() -> None:
    """A section given as a scalar is named as such."""
    assert problems_of({"download": 5}) == ["download: 5 must be a JSON object"]


def test_unknown_catalog_in_object_preference() -> None:
    """An unknown catalog name is reported with the known ones."""
    (problem,) = problems_of({"folders": {"object_preference": ["M", "Foo"]}})
    assert problem.startswith(
        'folders.object_preference: ["M", "Foo"] names unknown catalog \'Foo\''
    )
    assert "known: M, NGC, IC, C" in problem


def test_password_value_is_never_shown() -> None:
    """A bad password value is reported as (hidden)."""
    assert problems_of({"slooh": {"password": 12345678}}) == [
        "slooh.password: (hidden) is not a string"
    ]


def test_every_problem_is_reported_at_once() -> None:
    """Several bad values give one line each, in one error."""
    problems = problems_of({"download": {"threads": 0, "batch_size": 500, "timeout": "x"}})
    assert len(problems) == 3
    assert any(p.startswith("download.threads: 0") for p in problems)
    assert any(p.startswith("download.batch_size: 500") for p in problems)


@given(st.integers(min_value=-1000, max_value=1000))
def test_threads_range_is_exactly_1_to_64(threads: int) -> None:
    """Any whole number from 1 to 64 is accepted for threads; anything else is refused."""
    if 1 <= threads <= 64:
        assert validate_settings({"download": {"threads": threads}}).download.threads == threads
    else:
        with pytest.raises(ConfigError) as caught:
            validate_settings({"download": {"threads": threads}})
        bound = "below the minimum 1" if threads < 1 else "above the maximum 64"
        assert caught.value.problems == [f"download.threads: {threads} is {bound}"]


def test_messages_say_where_the_value_came_from(tmp_path: Path) -> None:
    """A bad value's line ends with the file, the variable or the command line that gave it."""
    path = write_json(tmp_path / "c.json", {"download": {"threads": 0}})
    env = {"SLOOH_DOWNLOAD__BATCH_SIZE": "999"}
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env=env, overrides={"download.rate_limit": -3})
    assert sorted(caught.value.problems) == [
        'download.batch_size: "999" is above the maximum 200 (from SLOOH_DOWNLOAD__BATCH_SIZE)',
        "download.rate_limit: -3 is below the minimum 0 (from the command line)",
        f"download.threads: 0 is below the minimum 1 (in {path})",
    ]


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    """A JSON syntax error names the file, the line and the column."""
    path = tmp_path / "c.json"
    path.write_text('{\n  "download": {\n    "threads": 4,\n  }\n}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith(f"{path}: malformed JSON at line 4, column 3:")


def test_top_level_must_be_an_object(tmp_path: Path) -> None:
    """A file holding a list instead of sections is refused."""
    path = tmp_path / "c.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ConfigError, match="the top level must be a JSON object"):
        read_config_file(path)


def test_a_section_must_be_an_object(tmp_path: Path) -> None:
    """A section that is not an object is a problem naming the section and the file."""
    path = write_json(tmp_path / "c.json", {"download": [1], "slooh": "x"})
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert caught.value.problems == [
        f"download: [1] must be a JSON object (in {path})",
        f'slooh: "x" must be a JSON object (in {path})',
    ]


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    """A file that is not UTF-8 text is reported, not a traceback."""
    path = tmp_path / "c.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not a UTF-8 text file"):
        read_config_file(path)


def test_unknown_keys_are_warnings_with_did_you_mean(tmp_path: Path) -> None:
    """Typos in sections and keys are reported (with a suggestion) and otherwise ignored."""
    path = write_json(
        tmp_path / "c.json",
        {
            "downlaod": {},
            "download": {"thread": 3, "base_path": "x", "zzz": 1},
            "extras": {},
        },
    )
    loaded = load_settings(path, env={})
    assert loaded.warnings == [
        f"{path}: unknown section 'downlaod' (ignored); did you mean 'download'?",
        f"{path}: unknown key 'download.thread' (ignored); did you mean 'download.threads'?",
        f"{path}: unknown key 'download.base_path' (ignored); did you mean 'folders.base_path'?",
        f"{path}: unknown key 'download.zzz' (ignored)",
        f"{path}: unknown section 'extras' (ignored)",
    ]
    assert loaded.settings.download.threads == 4


def test_unknown_environment_settings_are_warnings(tmp_path: Path) -> None:
    """SLOOH_<SECTION>__<KEY> with a typo is reported with the closest real name."""
    env = {"SLOOH_DOWNLOAD__THRAEDS": "3", "SLOOH_LOG_FILE": "x", "OTHER": "1"}
    loaded = load_settings(tmp_path / "none.json", env=env)
    assert loaded.warnings[-1] == (
        "environment variable SLOOH_DOWNLOAD__THRAEDS is not a setting (ignored); "
        "did you mean SLOOH_DOWNLOAD__THREADS?"
    )
    assert len(loaded.warnings) == 2  # the other one: the missing explicit file


def test_typos_are_logged_when_validation_fails(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """When the file is invalid, the unknown-key warnings still reach the user (as log lines)."""
    path = write_json(tmp_path / "c.json", {"download": {"thread": 3, "threads": 0}})
    with caplog.at_level(logging.WARNING, logger="slooh_async.config"), pytest.raises(ConfigError):
        load_settings(path, env={})
    assert "did you mean 'download.threads'?" in caplog.text


def test_written_file_is_private(tmp_path: Path) -> None:
    """write_config_file makes the file 0600 and a new folder 0700."""
    path = tmp_path / "new" / "deeper" / "config.json"
    write_config_file(path, {"slooh": {"username": "ada"}})
    assert read_config_file(path) == {"slooh": {"username": "ada"}}
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_rewrite_tightens_permissions(tmp_path: Path) -> None:
    """Rewriting a world-readable file leaves it 0600."""
    path = write_json(tmp_path / "c.json", {})
    path.chmod(0o644)
    write_config_file(path, {"download": {"threads": 2}})
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails half-way leaves the old file and no temporary file."""
    path = write_json(tmp_path / "c.json", {"download": {"threads": 2}})

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        write_config_file(path, {"download": {"threads": 9}})
    assert read_config_file(path) == {"download": {"threads": 2}}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_store_password_in_a_working_keyring(_isolated: MemoryKeyring) -> None:
    """store_keyring_password saves under the slooh-async service and the username."""
    assert store_keyring_password("ada", "s3cret-pw") is None
    assert _isolated.passwords == {(KEYRING_SERVICE, "ada"): "s3cret-pw"}


def test_store_password_without_a_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """keyring's "no backend" stand-in is detected and explained."""
    install_keyring(monkeypatch, fail.Keyring())
    assert store_keyring_password("ada", "pw") == "no usable keyring backend on this system"


def test_store_password_in_a_refusing_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """A keyring that raises on write gives a reason, never an exception or the password."""
    install_keyring(monkeypatch, BrokenKeyring())
    reason = store_keyring_password("ada", "pw-value")
    assert reason == "the keyring refused it (PasswordSetError)"
