"""The checks for CLIENT_RESIZE: its shape, at the top and in profiles (a row of conf.SETTINGS, so
check_settings's), and that what it makes can pass the server's own checks of each profile that uses it."""

import pytest
from django.core.checks import registry

from project import settings as demo
from uploads.checks import check_client_resize, check_settings

AVATAR = {"max_width": 1024, "max_height": 1024, "type": "image/jpeg", "quality": 85}


def messages(check=check_client_resize):
    return [(message.id, message.msg) for message in check(None)]


def test_the_check_is_registered():
    assert check_client_resize in registry.registry.get_checks()


def test_the_demos_resize_targets_pass(settings):
    settings.UPLOADS = demo.UPLOADS

    assert messages() == []
    assert [message.id for message in check_settings(None) if message.is_serious()] == []
    assert demo.UPLOADS["PROFILES"]["avatar"]["CLIENT_RESIZE"]["max_width"] == 1024


def test_none_and_a_target_with_defaults_pass(settings):
    settings.UPLOADS = {
        "CLIENT_RESIZE": {"max_width": 2560, "max_height": 2560},
        "PROFILES": {
            "avatar": {"CLIENT_RESIZE": None},
            "banner": {
                "CLIENT_RESIZE": {"max_width": 3000, "max_height": 1000, "type": "image/webp", "quality": 1}
            },
        },
    }

    assert messages() == [] and messages(check_settings) == []


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (1024, "must be None or a dict with 'max_width', 'max_height' and optionally 'type', 'quality'"),
        ({"max_width": 1024}, "['max_height'] must be a whole number of pixels from 1 to 10000"),
        ({**AVATAR, "max_width": 0}, "['max_width'] must be a whole number of pixels from 1 to 10000"),
        ({**AVATAR, "max_width": 10_001}, "['max_width'] must be a whole number of pixels from 1 to 10000"),
        ({**AVATAR, "max_height": True}, "['max_height'] must be a whole number of pixels from 1 to 10000"),
        ({**AVATAR, "type": "image/gif"}, "['type'] must be one of image/jpeg, image/png, image/webp"),
        ({**AVATAR, "quality": 0.85}, "['quality'] must be a whole number from 1 to 100"),
        ({**AVATAR, "quality": 101}, "['quality'] must be a whole number from 1 to 100"),
        (
            {**AVATAR, "width": 1024},
            "has 'width', which is not one of 'max_width', 'max_height', 'type', 'quality'",
        ),
    ],
)
def test_a_wrong_target_is_an_error_that_says_what_is_wrong(settings, value, problem):
    settings.UPLOADS = {"CLIENT_RESIZE": value}

    errors = check_settings(None)

    assert [(e.id, e.msg) for e in errors] == [("uploads.E070", f"UPLOADS['CLIENT_RESIZE'] {problem}.")]
    assert (
        errors[0].hint
        == 'For example {"max_width": 1024, "max_height": 1024, "type": "image/jpeg", "quality": 85}.'
    )


def test_a_profiles_wrong_target_is_a_profile_error_and_nothing_more(settings):
    settings.UPLOADS = {"PROFILES": {"avatar": {"CLIENT_RESIZE": {"max_width": 1024}}}}

    assert messages(check_settings) == [
        (
            "uploads.E030",
            "UPLOADS['PROFILES']['avatar']['CLIENT_RESIZE'] must be None or a dict with 'max_width', 'max_height' "
            "and optionally 'type', 'quality' (see UPLOADS['CLIENT_RESIZE']).",
        )
    ]
    assert messages() == []


def test_a_target_type_the_profile_does_not_allow_is_an_error(settings):
    settings.UPLOADS = {
        "PROFILES": {
            "avatar": {
                "ALLOWED_TYPES": ["image/jpeg", "image/png"],
                "CLIENT_RESIZE": {**AVATAR, "type": "image/webp"},
            }
        }
    }

    assert messages() == [
        (
            "uploads.E071",
            "The 'avatar' profile's CLIENT_RESIZE makes image/webp, which its ALLOWED_TYPES (image/jpeg, image/png) "
            "do not include: every resized image would be refused.",
        )
    ]


def test_a_top_level_target_is_checked_against_every_profile_that_inherits_it(settings):
    settings.UPLOADS = {
        "CLIENT_RESIZE": {"max_width": 1024, "max_height": 1024},  # JPEG by default
        "PROFILES": {
            "logo": {"ALLOWED_TYPES": ["image/png"]},
            "own": {"ALLOWED_TYPES": ["image/png"], "CLIENT_RESIZE": None},
        },
    }

    assert [(e.id, e.msg.split(" makes")[0]) for e in check_client_resize(None)] == [
        ("uploads.E071", "The 'logo' profile's CLIENT_RESIZE")
    ]


def test_a_box_smaller_than_the_profiles_minimum_is_an_error(settings):
    product = {"MIN_WIDTH": 500, "MIN_HEIGHT": 500, "CLIENT_RESIZE": {**AVATAR, "max_height": 400}}
    settings.UPLOADS = {"PROFILES": {"product": product}}

    errors = check_client_resize(None)

    assert [(e.id, e.msg, e.hint) for e in errors] == [
        (
            "uploads.E072",
            "The 'product' profile's CLIENT_RESIZE has max_height 400, below its MIN_HEIGHT (500): every image it "
            "shrinks would be too small.",
            "Make CLIENT_RESIZE['max_height'] at least MIN_HEIGHT.",
        )
    ]


def test_a_box_larger_than_the_profiles_maximum_is_an_error(settings):
    settings.UPLOADS = {
        "MAX_PIXELS": 1_000_000,
        "PROFILES": {"avatar": {"MAX_WIDTH": 800, "CLIENT_RESIZE": AVATAR}},
    }

    assert messages() == [
        (
            "uploads.E072",
            "The 'avatar' profile's CLIENT_RESIZE has max_width 1024, above its MAX_WIDTH (800): an image between "
            "the two would be sent unresized and refused.",
        ),
        (
            "uploads.E072",
            "The 'avatar' profile's CLIENT_RESIZE fits images inside 1024 × 1024 (1048576 pixels), above its "
            "MAX_PIXELS (1000000): an image between the two would be sent unresized and refused.",
        ),
    ]


def test_client_resize_is_a_setting_and_a_profile_key(settings):
    settings.UPLOADS = {"CLIENT_RESIZE": None, "PROFILES": {"avatar": {"CLIENT_RESIZE": AVATAR}}}

    assert messages(check_settings) == [] and messages() == []
