"""The TOKEN_AUTHENTICATION check: each id once, with its hint; and that Django runs it."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from uploads.checks import check_settings, check_token_authentication


def messages(check=check_token_authentication):
    return [(message.id, message.msg, message.hint) for message in check(None)]


def test_no_token_authentication_passes(settings):
    settings.UPLOADS = {}

    assert messages() == []


def test_a_list_of_importable_callables_passes(settings):
    settings.UPLOADS = {"TOKEN_AUTHENTICATION": ["tests.token_auth.authenticate"]}

    assert messages() == []


def test_a_tuple_passes_too(settings):
    settings.UPLOADS = {"TOKEN_AUTHENTICATION": ("tests.token_auth.authenticate",)}

    assert messages() == []


@pytest.mark.parametrize(
    "value",
    ["tests.token_auth.authenticate", None, [len], ["tests.token_auth.authenticate", 3]],
    ids=["a-bare-string", "none", "a-callable-not-a-path", "a-number-in-the-list"],
)
def test_token_authentication_that_is_not_a_list_of_strings_is_e050(settings, value):
    settings.UPLOADS = {"TOKEN_AUTHENTICATION": value}

    assert messages(check_token_authentication) == []  # nothing to import: E050 is check_settings's
    assert messages(check_settings) == [
        (
            "uploads.E050",
            "UPLOADS['TOKEN_AUTHENTICATION'] must be a list of dotted paths.",
            'For example ["myproject.tokens.authenticate"]: each a callable taking the request '
            "and returning a user or None.",
        )
    ]


@pytest.mark.parametrize(
    "path",
    [
        "tests.token_auth.nowhere",
        "tests.no_such_module.authenticate",
        "authenticate",
        "tests.token_auth.TOKENS",
    ],
    ids=["missing-name", "missing-module", "not-dotted", "not-callable"],
)
def test_a_path_that_does_not_import_to_a_callable_is_e051(settings, path):
    settings.UPLOADS = {"TOKEN_AUTHENTICATION": ["tests.token_auth.authenticate", path]}

    assert messages() == [
        (
            "uploads.E051",
            f"UPLOADS['TOKEN_AUTHENTICATION'] has {path!r}, which does not import to a callable.",
            "Check the dotted path: it must name a function authenticate(request) that returns a user or None.",
        )
    ]


# db: Django 6.1's model checks ask SQLite whether it has JSON (django-tasks-db's table has a JSONField).
def test_the_token_authentication_check_is_registered_with_django(settings, db):
    settings.UPLOADS = {"TOKEN_AUTHENTICATION": ["tests.token_auth.nowhere"]}

    with pytest.raises(SystemCheckError, match="uploads.E051"):
        call_command("check")
