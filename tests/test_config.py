"""Settings: defaults, immutability, layered loading and where each value came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from test_config_support import BrokenKeyring, MemoryKeyring, install_keyring, isolate, write_json

from slooh_async._redact import redact
from slooh_async.config import (
    KEYRING_SERVICE,
    ConfigError,
    Settings,
    default_config_path,
    load_settings,
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MemoryKeyring:
    """Each test has its own HOME, working directory and in-memory keyring."""
    return isolate(monkeypatch, tmp_path)


def test_defaults_are_the_documented_ones() -> None:
    """Every default of the issue holds when no source says otherwise."""
    settings = Settings()
    d = settings.download
    assert (d.batch_size, d.threads, d.rate_limit, d.download_rate_limit) == (50, 4, 30, None)
    assert (d.timeout, d.max_retries, d.retry_delay) == (300, 3, 5)
    assert (d.skip_existing, d.check_tracker, d.handle_duplicates, d.verify_hash) == (
        True, True, "skip", False,
    )  # fmt: skip
    assert settings.slooh.base_url == "https://app.slooh.com"
    assert settings.slooh.username is None and settings.slooh.password is None
    assert settings.folders.base_path == Path.cwd() / "SloohImages"
    assert settings.folders.unknown_object == "Unknown"
    assert settings.folders.folder_template == "{object}/{telescope}/{format}"
    assert settings.tracker_path == Path.cwd() / "SloohImages" / ".slooh" / "tracker.sqlite3"


def test_settings_are_frozen() -> None:
    """A loaded Settings cannot be changed afterwards."""
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.download.threads = 9
    with pytest.raises(ValidationError):
        settings.download = settings.download


def test_seed_format_file_is_read(tmp_path: Path) -> None:
    """The seed JSON layout (slooh / download / folders sections) loads as is."""
    path = write_json(
        tmp_path / "seed.json",
        {
            "slooh": {"username": "ada", "password": "pw-123456"},
            "download": {"batch_size": 25, "threads": 8, "handle_duplicates": "rename"},
            "folders": {"base_path": "/data/slooh", "organize_by": "date"},
        },
    )
    path.chmod(0o600)  # a password in a file others can read is a warning (tested apart)
    loaded = load_settings(path)
    settings = loaded.settings
    assert settings.slooh.username == "ada"
    assert settings.slooh.password is not None
    assert settings.slooh.password.get_secret_value() == "pw-123456"
    assert (settings.download.batch_size, settings.download.threads) == (25, 8)
    assert settings.download.handle_duplicates == "rename"
    assert settings.folders.base_path == Path("/data/slooh")
    assert settings.folders.folder_template == "{year}/{date}/{object}/{format}"
    assert loaded.config_exists and loaded.config_path == path
    assert loaded.warnings == []


@pytest.mark.parametrize(
    ("file_value", "env_value", "override", "expected", "source"),
    [
        (None, None, None, 4, "default"),
        (8, None, None, 8, "FILE"),
        (8, "12", None, 12, "environment (SLOOH_DOWNLOAD__THREADS)"),
        (8, "12", 16, 16, "command line"),
        (None, None, 16, 16, "command line"),
    ],
)
def test_precedence_default_file_environment_command_line(
    tmp_path: Path,
    file_value: int | None,
    env_value: str | None,
    override: int | None,
    expected: int,
    source: str,
) -> None:
    """Each source beats the ones below it, and the winner is recorded as the source."""
    data = {"download": {"threads": file_value}} if file_value is not None else {}
    path = write_json(tmp_path / "c.json", data)
    env = {"SLOOH_DOWNLOAD__THREADS": env_value} if env_value is not None else {}
    loaded = load_settings(path, env=env, overrides={"download.threads": override})
    assert loaded.settings.download.threads == expected
    assert loaded.source_of("download.threads") == source.replace("FILE", str(path))


def test_environment_aliases_and_section_form(tmp_path: Path) -> None:
    """SLOOH_USERNAME, SLOOH_PASSWORD, SLOOH_BASE_URL, SLOOH_BASE_PATH... set their keys."""
    env = {
        "SLOOH_USERNAME": "ada",
        "SLOOH_PASSWORD": "from-env-pw",
        "SLOOH_BASE_URL": "http://127.0.0.1:8000/",
        "SLOOH_BASE_PATH": "~/Slooh",
        "SLOOH_TRACKER_PATH": "db/t.sqlite3",
        "SLOOH_DOWNLOAD__VERIFY_HASH": "md5",
        "SLOOH_DOWNLOAD__SKIP_EXISTING": "no",
        "SLOOH_FOLDERS__OBJECT_PREFERENCE": '["NGC", "M"]',
    }
    settings = load_settings(tmp_path / "none.json", env=env).settings
    assert settings.slooh.username == "ada"
    assert settings.slooh.base_url == "http://127.0.0.1:8000"
    assert settings.folders.base_path == Path.home() / "Slooh"
    assert settings.tracker_path == tmp_path / "db" / "t.sqlite3"
    assert settings.download.verify_hash == "md5" and settings.download.hash_algorithm == "md5"
    assert settings.download.skip_existing is False
    assert settings.folders.object_preference == ("NGC", "M")


def test_section_form_beats_alias_when_both_are_set(tmp_path: Path) -> None:
    """SLOOH_FOLDERS__BASE_PATH wins over the SLOOH_BASE_PATH alias."""
    env = {"SLOOH_BASE_PATH": "/a", "SLOOH_FOLDERS__BASE_PATH": "/b"}
    loaded = load_settings(tmp_path / "none.json", env=env)
    assert loaded.settings.folders.base_path == Path("/b")
    assert loaded.source_of("folders.base_path") == "environment (SLOOH_FOLDERS__BASE_PATH)"


def test_comma_separated_object_preference(tmp_path: Path) -> None:
    """A comma-separated list (easy to write in the environment) is a list of catalogs."""
    env = {"SLOOH_FOLDERS__OBJECT_PREFERENCE": "Caldwell, ngc"}
    settings = load_settings(tmp_path / "none.json", env=env).settings
    assert settings.folders.object_preference == ("C", "NGC")


def test_unset_overrides_fall_through(tmp_path: Path) -> None:
    """A command-line option left at None does not hide the file's value."""
    path = write_json(tmp_path / "c.json", {"download": {"rate_limit": 10}})
    loaded = load_settings(path, env={}, overrides={"download.rate_limit": None})
    assert loaded.settings.download.rate_limit == 10
    assert loaded.source_of("download.rate_limit") == str(path)


def test_unknown_override_key_is_an_error(tmp_path: Path) -> None:
    """An override for a key that does not exist is a ConfigError, not silently dropped."""
    with pytest.raises(ConfigError, match="unknown setting 'download.thread'"):
        load_settings(tmp_path / "none.json", env={}, overrides={"download.thread": 3})


def test_default_config_path_uses_the_user_config_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without SLOOH_CONFIG the file is config.json in the platform's user config folder."""
    monkeypatch.delenv("SLOOH_CONFIG")
    expected = Path.home() / ".config" / "slooh-async" / "config.json"
    assert default_config_path() == expected
    assert default_config_path({"SLOOH_CONFIG": "~/my.json"}) == Path.home() / "my.json"


def test_slooh_config_env_selects_the_file(tmp_path: Path) -> None:
    """SLOOH_CONFIG points the loader at another file."""
    path = write_json(tmp_path / "other.json", {"download": {"threads": 7}})
    loaded = load_settings(env={"SLOOH_CONFIG": str(path)})
    assert loaded.config_path == path and loaded.settings.download.threads == 7


def test_missing_default_file_means_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """No config file at the default place: defaults, no error, no warning."""
    monkeypatch.delenv("SLOOH_CONFIG")
    loaded = load_settings()
    assert not loaded.config_exists
    assert loaded.settings == Settings()
    assert loaded.warnings == []


def test_missing_explicit_file_is_a_warning(tmp_path: Path) -> None:
    """A --config or SLOOH_CONFIG file that does not exist is reported (a typo in the path)."""
    loaded = load_settings(tmp_path / "typo.json", env={})
    assert loaded.warnings == [
        f"config file {tmp_path / 'typo.json'} does not exist (using defaults and environment)"
    ]


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    """An empty (or blank) config file is the same as none."""
    path = tmp_path / "c.json"
    path.write_text("  \n", encoding="utf-8")
    assert load_settings(path, env={}).settings == Settings()


def test_relative_base_path_is_relative_to_the_current_directory(tmp_path: Path) -> None:
    """A relative base_path is taken from the directory slooh runs in; ~ is expanded."""
    path = write_json(tmp_path / "c.json", {"folders": {"base_path": "pics/slooh"}})
    assert load_settings(path, env={}).settings.folders.base_path == tmp_path / "pics" / "slooh"
    path = write_json(tmp_path / "c.json", {"folders": {"base_path": "~/slooh"}})
    assert load_settings(path, env={}).settings.folders.base_path == Path.home() / "slooh"


def test_tracker_path_empty_means_inside_the_library(tmp_path: Path) -> None:
    """tracker.path "" or null puts the tracker under the library's .slooh folder."""
    path = write_json(
        tmp_path / "c.json", {"tracker": {"path": ""}, "folders": {"base_path": "/L"}}
    )
    settings = load_settings(path, env={}).settings
    assert settings.tracker.path is None
    assert settings.tracker_path == Path("/L/.slooh/tracker.sqlite3")


def test_hash_and_queue_properties() -> None:
    """verify_hash true means SHA-256; queue_size 0 means twice the threads."""
    settings = Settings.model_validate(
        {"download": {"verify_hash": "TRUE", "threads": 6, "queue_size": 0}}
    )
    assert settings.download.verify_hash is True
    assert settings.download.hash_algorithm == "sha256"
    assert settings.download.queue_bound == 12
    sized = Settings.model_validate({"download": {"queue_size": 5}})
    assert sized.download.queue_bound == 5


def test_format_names_are_merged_with_the_defaults() -> None:
    """format_names may name only some formats, in any case; "jpg" means JPEG."""
    settings = Settings.model_validate(
        {"folders": {"format_names": {"png": "PNG", "jpg": "Jpegs"}}}
    )
    assert settings.folders.format_names == {"FITS": "FITS", "PNG": "PNG", "JPEG": "Jpegs"}


def test_format_names_spelled_twice_with_one_folder_are_one() -> None:
    """"png" and "PNG" (or "jpg" and "JPEG") naming the same folder are merged, not refused."""
    settings = Settings.model_validate(
        {"folders": {"format_names": {"png": "Images", "PNG": "Images ", "jpg": "J", "JPEG": "J"}}}
    )
    assert settings.folders.format_names == {"FITS": "FITS", "PNG": "Images", "JPEG": "J"}


def test_empty_template_means_the_preset() -> None:
    """folders.template "" falls back to the organize_by preset."""
    settings = Settings.model_validate({"folders": {"template": "", "organize_by": "telescope"}})
    assert settings.folders.template is None
    assert settings.folders.folder_template == "{telescope}/{object}/{format}"


def test_password_from_the_keyring(tmp_path: Path, _isolated: MemoryKeyring) -> None:
    """With a username and no password anywhere, the keyring's password is used."""
    _isolated.set_password(KEYRING_SERVICE, "ada", "ring-secret")
    path = write_json(tmp_path / "c.json", {"slooh": {"username": "ada"}})
    loaded = load_settings(path, env={})
    assert loaded.settings.slooh.password is not None
    assert loaded.settings.slooh.password.get_secret_value() == "ring-secret"
    assert loaded.source_of("slooh.password") == "keyring"


def test_a_given_password_beats_the_keyring(tmp_path: Path, _isolated: MemoryKeyring) -> None:
    """A password in the file or the environment is used; the keyring is not consulted."""
    _isolated.set_password(KEYRING_SERVICE, "ada", "ring-secret")
    path = write_json(tmp_path / "c.json", {"slooh": {"username": "ada"}})
    loaded = load_settings(path, env={"SLOOH_PASSWORD": "env-secret"})
    assert loaded.settings.slooh.password is not None
    assert loaded.settings.slooh.password.get_secret_value() == "env-secret"
    assert loaded.source_of("slooh.password") == "environment (SLOOH_PASSWORD)"


def test_use_keyring_false_skips_it(tmp_path: Path, _isolated: MemoryKeyring) -> None:
    """load_settings(use_keyring=False) never reads the keyring."""
    _isolated.set_password(KEYRING_SERVICE, "ada", "ring-secret")
    path = write_json(tmp_path / "c.json", {"slooh": {"username": "ada"}})
    assert load_settings(path, env={}, use_keyring=False).settings.slooh.password is None


def test_broken_keyring_does_not_stop_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A keyring that raises is treated as empty."""
    install_keyring(monkeypatch, BrokenKeyring())
    path = write_json(tmp_path / "c.json", {"slooh": {"username": "ada"}})
    assert load_settings(path, env={}).settings.slooh.password is None


def test_loaded_password_is_redacted_everywhere(tmp_path: Path) -> None:
    """Once loaded, the password is masked by redact() in any text."""
    path = write_json(tmp_path / "c.json", {"slooh": {"username": "ada", "password": "Zq9-unique"}})
    load_settings(path, env={})
    assert redact("login with Zq9-unique failed") == "login with *** failed"


def test_password_is_hidden_in_reprs(tmp_path: Path) -> None:
    """repr(settings) never shows the password."""
    path = write_json(tmp_path / "c.json", {"slooh": {"username": "ada", "password": "Zq9-unique"}})
    assert "Zq9-unique" not in repr(load_settings(path, env={}))
