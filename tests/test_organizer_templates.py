"""Template validation: what is refused, with which message, and how config reports it."""

from __future__ import annotations

from typing import Literal

import pytest

from slooh_async._exceptions import ConfigError
from slooh_async.config import validate_settings
from slooh_async.organizer import PLACEHOLDERS, PRESET_TEMPLATES, validate_template


@pytest.mark.parametrize(
    "template",
    [
        "{object}/{telescope}/{format}",
        "{year}/{month}/{day}/{object}",
        "{catalog}/{object}/{type}/{filter}",
        "Slooh/{mission:>08}/{instrument}",
        "{title:.40} [{object}]/{{literal braces}}",
        "{date}-{telescope}",
        "{object:_<12}",
        *PRESET_TEMPLATES.values(),
    ],
)
def test_good_folder_templates_pass(template: str) -> None:
    """Known placeholders, literal text, escaped braces and string format specs are accepted."""
    validate_template(template, kind="folder")


@pytest.mark.parametrize(
    "template",
    ["{telescope}_{filename}", "{filename}", "{object}_{date}_{image_id}", "{image_id:>012}"],
)
def test_good_filename_templates_pass(template: str) -> None:
    """A file name template with ``{filename}`` or ``{image_id}`` is accepted."""
    validate_template(template, kind="filename")


def test_empty_folder_template_means_preset() -> None:
    """An empty folder template is accepted (the ``organize_by`` preset applies)."""
    validate_template("", kind="folder")


@pytest.mark.parametrize(
    ("template", "kind", "message"),
    [
        ("{foo}/{object}", "folder", "uses unknown placeholder {foo}; known: {catalog}, {date}"),
        ("{Object}", "folder", "uses unknown placeholder {Object}"),
        ("{object.upper}", "folder", "uses unknown placeholder {object.upper}"),
        ("{title[0]}", "folder", "uses unknown placeholder {title[0]}"),
        ("{0}", "folder", "uses unknown placeholder {0}"),
        ("{}", "folder", "uses an empty placeholder"),
        ("{title!r}", "folder", "must not use a conversion like !r in {title!r}"),
        ("{mission:zz}", "folder", "has an invalid format spec in {mission:zz}"),
        ("{mission:08d}", "folder", "has an invalid format spec in {mission:08d}"),
        ("{mission:=8}", "folder", "has an invalid format spec"),
        ("{title:{object}}", "folder", "must not nest placeholders"),
        ("{title:>9999}", "folder", "has a width or precision above 255"),
        ("{object", "folder", "has unbalanced braces"),
        ("object}", "folder", "has unbalanced braces"),
        ("/{object}", "folder", "must be relative to base_path"),
        ("\\\\server\\share", "folder", "must be relative to base_path"),
        ("C:/Slooh/{object}", "folder", "must be relative to base_path"),
        ("~/{object}", "folder", "must be relative to base_path"),
        ("{object}\\{telescope}", "folder", "must separate folders with '/', not '\\'"),
        ("{object}/../{telescope}", "folder", "must not contain '..' as a folder"),
        ("../{object}", "folder", "must not contain '..' as a folder"),
        ("./{object}", "folder", "must not contain '.' as a folder"),
        ("{object}//{telescope}", "folder", "has an empty folder name"),
        ("{object}/", "folder", "has an empty folder name"),
        ("   ", "folder", "must not be empty"),
        ("{object}: {telescope}", "folder", "contains ':', which is not allowed"),
        ("{object}/a*b", "folder", "contains '*', which is not allowed"),
        ("{object}/CON", "folder", "has a folder name 'CON' that uses the reserved Windows name"),
        ("{object}/Slooh.", "folder", "has a folder name 'Slooh.' that starts or ends with"),
        ("{object}/.hidden", "folder", "has a folder name '.hidden' that starts with a dot"),
        ("{object}/{telescope}", "filename", "must not contain '/' or '\\'"),
        ("{object}\\{filename}", "filename", "must not contain '/' or '\\'"),
        ("{object}_{date}", "filename", "must include {filename} or {image_id}"),
        ("", "filename", "must not be empty"),
        ("{filename}?", "filename", "contains '?', which is not allowed"),
    ],
)
def test_bad_templates_are_refused_with_a_reason(
    template: str, kind: Literal["folder", "filename"], message: str
) -> None:
    """Each invalid template raises ValueError with a short reason naming the problem."""
    with pytest.raises(ValueError) as caught:
        validate_template(template, kind=kind)
    assert message in str(caught.value)


def test_unknown_placeholder_message_lists_every_placeholder() -> None:
    """The unknown-placeholder message lists all known placeholders, sorted."""
    with pytest.raises(ValueError) as caught:
        validate_template("{nope}", kind="folder")
    assert str(caught.value).endswith(", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS)))


def test_config_error_names_the_key_and_value() -> None:
    """Loading settings with a bad template is a ConfigError naming the key, value and reason."""
    with pytest.raises(ConfigError) as caught:
        validate_settings({"folders": {"template": "{object}/{foo}"}})
    assert caught.value.problems == [
        'folders.template: "{object}/{foo}" uses unknown placeholder {foo}; known: '
        + ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
    ]


def test_config_error_for_escaping_filename_template() -> None:
    """A file name template with a folder separator is a config error on its key."""
    with pytest.raises(ConfigError, match=r"folders\.filename_template: .* must not contain '/'"):
        validate_settings({"folders": {"filename_template": "../{filename}"}})


def test_config_error_for_unknown_catalog_preference() -> None:
    """An unknown catalog in ``object_preference`` is a config error naming it."""
    with pytest.raises(ConfigError, match=r"folders\.object_preference: .*unknown catalog 'Foo'"):
        validate_settings({"folders": {"object_preference": ["M", "Foo"]}})


def test_config_normalizes_the_preference() -> None:
    """Catalog aliases in the config become catalog keys."""
    settings = validate_settings({"folders": {"object_preference": ["caldwell", "Messier"]}})
    assert settings.folders.object_preference == ("C", "M")
