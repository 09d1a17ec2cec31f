"""The checks for VARIANTS, REVIEW, REJECTION_REASONS (rows of conf.SETTINGS, so check_settings's)
and the Tasks backend the variants need."""

import pytest

from uploads.checks import check_settings, check_variant_tasks

DATABASE = {"BACKEND": "django_tasks_db.DatabaseBackend"}


def ids(check=check_settings):
    return [message.id for message in check(None)]


@pytest.fixture(autouse=True)
def queued(settings):
    settings.TASKS = {"default": DATABASE}


def test_the_demos_variants_and_review_pass(settings):
    settings.UPLOADS = {
        "VARIANTS": {"thumb": {"size": 320}, "card": {"size": [800, 600], "format": "avif", "quality": 60}},
        "REVIEW": "before_publish",
        "PROFILES": {
            "avatar": {"VARIANTS": {"small": {"size": 128, "fit": "crop"}}, "REVIEW": "after_publish"}
        },
    }

    assert ids() == [] and ids(check_variant_tasks) == []


@pytest.mark.parametrize(
    "variants",
    [
        "thumb",
        {"Thumb": {"size": 320}},
        {"thumb": 320},
        {"thumb": {"size": 0}},
        {"thumb": {"size": [320]}},
        {"thumb": {"size": 20_000}},
        {"thumb": {"size": 320, "fit": "cover"}},
        {"thumb": {"size": 320, "format": "gif"}},
        {"thumb": {"size": 320, "quality": 101}},
        {"thumb": {"size": 320, "width": 3}},
    ],
)
def test_a_wrong_variant_spec_is_an_error_that_names_it(settings, variants):
    settings.UPLOADS = {"VARIANTS": variants}

    messages = check_settings(None)

    assert [message.id for message in messages][:1] == ["uploads.E052"]
    assert all("UPLOADS['VARIANTS']" in message.msg and message.hint for message in messages)


def test_a_profiles_wrong_variants_or_review_is_a_profile_error(settings):
    settings.UPLOADS = {"PROFILES": {"avatar": {"VARIANTS": {"small": {"size": -1}}, "REVIEW": "later"}}}

    assert ids() == ["uploads.E030", "uploads.E030"]


@pytest.mark.parametrize("review", ["before", True, "after-publish"])
def test_review_is_one_of_three(settings, review):
    settings.UPLOADS = {"REVIEW": review}

    assert ids() == ["uploads.E053"]


@pytest.mark.parametrize(
    "reasons",
    [
        [],
        "blurry",
        [("blurry",)],
        [("", "No code")],
        [("x" * 51, "Too long a code")],
        [("a", "A"), ("a", "Again")],
    ],
)
def test_rejection_reasons_are_code_and_text_pairs(settings, reasons):
    settings.UPLOADS = {"REJECTION_REASONS": reasons}

    assert ids() == ["uploads.E054"]


def test_variants_need_a_tasks_backend_that_exists(settings):
    settings.UPLOADS = {"VARIANTS": {"thumb": {"size": 320}}, "TASK_BACKEND": "images"}

    (message,) = check_variant_tasks(None)

    assert message.id == "uploads.E056"
    assert "'images'" in message.msg and "'default'" in message.hint


def test_no_variants_need_no_tasks_backend(settings):
    settings.UPLOADS = {"TASK_BACKEND": "images"}

    assert ids(check_variant_tasks) == []


def test_a_backend_that_runs_tasks_inside_the_request_is_a_warning(settings):
    settings.TASKS = {"default": {"BACKEND": f"{settings.TASKS_PACKAGE}.backends.immediate.ImmediateBackend"}}
    settings.UPLOADS = {"VARIANTS": {"thumb": {"size": 320}}}

    assert ids(check_variant_tasks) == ["uploads.W003"]


@pytest.mark.parametrize("name", ["TASK_ATTEMPTS", "TASK_RETRY_DELAY", "TASK_LEASE"])
def test_task_timings_are_positive_whole_numbers(settings, name):
    settings.UPLOADS = {name: 0}

    assert ids() == ["uploads.E055"]
