"""GET /uploads/api/uploads/?status=…&profile=… narrows the user's own list.

`status` is one of the statuses the API shows (pending, uploaded, failed, expired), `profile` one
of the configured profiles ("default" included). Given together they combine. Anything else is a
400 in the API's one error shape, naming the field and the values it takes (for a profile in the
create call's words). The next and previous
links keep the filters, and the list is still the user's own: no filter ever shows another user's
upload.
"""

import datetime

import pytest
from django.utils import timezone

from tests.conftest import ApiClient
from uploads import keys
from uploads.models import Upload

pytestmark = pytest.mark.django_db

LIST = "/uploads/api/uploads/"


@pytest.fixture(autouse=True)
def profiles(settings):
    settings.UPLOADS = {"PROFILES": {"poster": {}, "avatar": {}}}


@pytest.fixture
def make_upload():
    """A row of ``owner``'s, as the API left it in ``status``; newer than the ones made before it."""
    made = []

    def make(owner, status="pending", profile="default", filename="shoe.jpg"):
        row = Upload.objects.create(
            owner=owner,
            profile=profile,
            key=keys.build_key(owner.pk, filename, "image/jpeg", profile=profile),
            filename=filename,
            content_type="image/jpeg",
            size=100,
            status=status,
            expires_at=timezone.now() + datetime.timedelta(minutes=10),
        )
        # created_at is set on insert: space the rows out so "newest first" is their order here.
        Upload.objects.filter(pk=row.pk).update(
            created_at=timezone.now() + datetime.timedelta(seconds=len(made))
        )
        made.append(row)
        return str(row.pk)

    return make


@pytest.fixture
def mixed(seller, make_upload):
    """The seller's uploads, one of each status and profile that matters here (ids by name)."""
    return {
        "pending poster": make_upload(seller, "pending", "poster"),
        "uploaded poster": make_upload(seller, "uploaded", "poster"),
        "pending avatar": make_upload(seller, "pending", "avatar"),
        "failed default": make_upload(seller, "failed", "default"),
        "expired poster": make_upload(seller, "expired", "poster"),
        "deleted poster": make_upload(seller, "deleted", "poster"),
        "pending default": make_upload(seller, "pending", "default"),
    }


def listed(api, query=""):
    response = api.get(f"{LIST}{query}")
    assert response.status_code == 200, response.content
    return response.json()


def ids(body):
    return [row["id"] for row in body["results"]]


def refusal(field, message):
    return {"error": {"code": "invalid", "message": message, "field": field}}


# Filtering


def test_status_lists_only_uploads_in_that_status_newest_first(api, mixed):
    body = listed(api, "?status=pending")

    assert ids(body) == [mixed["pending default"], mixed["pending avatar"], mixed["pending poster"]]
    assert body["count"] == 3


@pytest.mark.parametrize("status", ["uploaded", "failed", "expired"])
def test_every_status_the_api_shows_can_be_asked_for(api, mixed, status):
    body = listed(api, f"?status={status}")

    assert {row["status"] for row in body["results"]} == {status}
    assert body["count"] == 1


def test_profile_lists_only_that_profiles_uploads_and_never_deleted_ones(api, mixed):
    body = listed(api, "?profile=poster")

    assert ids(body) == [mixed["expired poster"], mixed["uploaded poster"], mixed["pending poster"]]


def test_the_default_profile_is_a_profile_too(api, mixed):
    assert ids(listed(api, "?profile=default")) == [mixed["pending default"], mixed["failed default"]]


def test_status_and_profile_combine(api, mixed):
    body = listed(api, "?status=pending&profile=poster")

    assert ids(body) == [mixed["pending poster"]]
    assert (body["count"], body["pages"], body["next"], body["previous"]) == (1, 1, None, None)


def test_a_filter_that_matches_nothing_is_an_empty_list_not_an_error(api, mixed):
    body = listed(api, "?status=uploaded&profile=avatar")

    assert (body["count"], body["page"], body["pages"], body["results"]) == (0, 1, 1, [])


def test_without_filters_the_list_is_as_before(api, mixed):
    assert len(ids(listed(api))) == 6  # everything but the deleted one


# Refusing what is not a status or a profile


@pytest.mark.parametrize("status", ["done", "Pending", "", "pending,failed"])
def test_an_unknown_status_is_refused_naming_the_statuses(api, mixed, status):
    response = api.get(f"{LIST}?status={status}")

    assert response.status_code == 400
    assert response.json() == refusal(
        "status", f"There is no upload status {status!r}; use one of: pending, uploaded, failed, expired."
    )


def test_deleted_is_refused_as_a_status_deleted_uploads_are_gone_from_the_api(api, mixed):
    response = api.get(f"{LIST}?status=deleted")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "status"


@pytest.mark.parametrize("profile", ["postr", "", "POSTER"])
def test_an_unknown_profile_is_refused_naming_the_profiles(api, mixed, profile):
    response = api.get(f"{LIST}?profile={profile}")

    assert response.status_code == 400
    assert response.json() == refusal(
        "profile", f"There is no upload profile {profile!r}; use one of: default, poster, avatar."
    )


def test_a_bad_filter_is_refused_even_beside_a_good_one_and_a_good_page(api, mixed):
    response = api.get(f"{LIST}?status=pending&profile=postr&page=1")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "profile"


def test_the_refusal_speaks_the_requests_language(seller, mixed):
    german = ApiClient(seller)
    german.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de-DE,de;q=0.9"

    status = german.get(f"{LIST}?status=done").json()
    profile = german.get(f"{LIST}?profile=postr").json()

    assert status == refusal(
        "status",
        "Es gibt keinen Upload-Status 'done'; verwenden Sie einen von: pending, uploaded, failed, expired.",
    )
    assert profile == refusal(
        "profile", "Es gibt kein Upload-Profil 'postr'; verwenden Sie eines von: default, poster, avatar."
    )


# Pages


def test_next_and_previous_links_keep_the_filters(api, seller, make_upload, settings):
    settings.UPLOADS = {**settings.UPLOADS, "PAGE_SIZE": 2}
    wanted = [make_upload(seller, "pending", "poster", f"{n}.jpg") for n in range(5)]
    make_upload(seller, "uploaded", "poster")
    make_upload(seller, "pending", "avatar")

    first = listed(api, "?status=pending&profile=poster")
    middle = listed(api, "?status=pending&profile=poster&page=2")

    assert (first["count"], first["pages"]) == (5, 3)
    assert first["next"] == "http://testserver/uploads/api/uploads/?status=pending&profile=poster&page=2"
    assert middle["previous"] == "http://testserver/uploads/api/uploads/?status=pending&profile=poster&page=1"
    assert middle["next"] == "http://testserver/uploads/api/uploads/?status=pending&profile=poster&page=3"

    # Following the next links from the first page gives exactly the filtered uploads, newest first.
    seen, body = [], first
    while True:
        seen += ids(body)
        if body["next"] is None:
            break
        body = listed(api, "?" + body["next"].split("?", 1)[1])
    assert seen == wanted[::-1]


def test_a_link_keeps_only_the_filter_that_was_asked_for(api, seller, make_upload, settings):
    settings.UPLOADS = {**settings.UPLOADS, "PAGE_SIZE": 1}
    make_upload(seller, "failed", "default")
    make_upload(seller, "failed", "avatar")

    body = listed(api, "?status=failed&other=ignored")

    assert body["next"] == "http://testserver/uploads/api/uploads/?status=failed&page=2"


def test_a_profile_name_is_written_safely_into_the_links(api, seller, make_upload, settings):
    settings.UPLOADS = {"PROFILES": {"a&b c": {}}, "PAGE_SIZE": 1}
    make_upload(seller, profile="a&b c")
    make_upload(seller, profile="a&b c")

    body = listed(api, "?profile=a%26b+c")

    assert body["next"] == "http://testserver/uploads/api/uploads/?profile=a%26b+c&page=2"
    assert listed(api, "?" + body["next"].split("?", 1)[1])["count"] == 2


# Owners


def test_another_users_uploads_never_appear_whatever_the_filters(api, seller, make_user, make_upload):
    mine = make_upload(seller, "pending", "poster")
    other = make_user()
    for status in ("pending", "uploaded", "failed", "expired"):
        for profile in ("default", "poster", "avatar"):
            make_upload(other, status, profile)

    for query in (
        "",
        "?status=pending",
        "?profile=poster",
        "?status=pending&profile=poster",
        "?status=failed",
    ):
        body = listed(api, query)
        assert set(ids(body)) <= {mine}, query
        assert body["count"] == len(ids(body)), query


def test_the_other_user_sees_their_own_with_the_same_filters(seller, make_user, make_upload):
    make_upload(seller, "pending", "poster")
    other = make_user()
    theirs = make_upload(other, "pending", "poster")

    assert ids(listed(ApiClient(other), "?status=pending&profile=poster")) == [theirs]


def test_filters_need_a_logged_in_user_like_the_list(anonymous_api):
    response = anonymous_api.get(f"{LIST}?status=pending&profile=poster")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_authenticated"
