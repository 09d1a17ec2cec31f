"""uploads_setup_bucket beside other people's CORS rules: it changes its own rule and nothing else.

Checked on SeaweedFS, which stores each rule's ``ID`` and returns it as written.
"""

import json
import secrets

import pytest
import requests
from django.core.management import call_command

from uploads import bucket, keys

SITE = "http://127.0.0.1:8000"

# Rules someone else put on the bucket: one with an ID, one without, with fields ours never uses.
FOREIGN = [
    {
        "ID": "analytics-dashboard",
        "AllowedHeaders": ["Authorization"],
        "AllowedMethods": ["GET"],
        "AllowedOrigins": ["https://dashboard.example.org"],
        "ExposeHeaders": ["x-amz-meta-owner"],
        "MaxAgeSeconds": 60,
    },
    {"AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["https://*.partner.example"], "MaxAgeSeconds": 0},
]


def ours(installation, *origins):
    return {
        "ID": f"django-direct-uploads-{installation}",
        "AllowedHeaders": ["*"],
        "AllowedMethods": ["POST", "PUT", "GET", "HEAD"],
        "AllowedOrigins": list(origins),
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": 3600,
    }


@pytest.fixture
def shared_bucket(s3, settings):
    """A bucket of the test's own that already holds the foreign rules; this installation is "shop"."""
    name = "shared-" + secrets.token_hex(4)
    s3.create_bucket(Bucket=name)
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": FOREIGN})
    settings.AWS_STORAGE_BUCKET_NAME = name
    settings.UPLOADS["INSTALLATION_ID"] = "shop"
    return name


def rules(s3, name):
    return s3.get_bucket_cors(Bucket=name)["CORSRules"]


def setup_bucket(capsys, *args):
    call_command("uploads_setup_bucket", *args)
    return capsys.readouterr().out.splitlines()


def preflight(s3, name, origin, method):
    return requests.options(
        f"{s3.meta.endpoint_url}/{name}",
        headers={"Origin": origin, "Access-Control-Request-Method": method},
        timeout=10,
    ).status_code


def test_the_foreign_rules_are_stored_as_written(s3, shared_bucket):
    assert rules(s3, shared_bucket) == FOREIGN


def test_a_foreign_rule_for_another_origin_is_kept_exactly_as_it_was(s3, shared_bucket, capsys):
    before = s3.get_bucket_cors(Bucket=shared_bucket)["CORSRules"]

    out = setup_bucket(capsys, "--origin", SITE)

    assert out == [
        f"Found the bucket {shared_bucket!r}.",
        f"Added the rule 'django-direct-uploads-shop', allowing POST, PUT, GET and HEAD from {SITE}.",
        "Kept 2 other rules.",
    ]
    after = rules(s3, shared_bucket)
    assert json.dumps(after[:2]) == json.dumps(before)
    assert after == [*FOREIGN, ours("shop", SITE)]
    assert preflight(s3, shared_bucket, "https://dashboard.example.org", "GET") == 200
    assert preflight(s3, shared_bucket, SITE, "POST") == 200


def test_running_twice_keeps_one_rule_of_ours_and_writes_nothing_the_second_time(s3, shared_bucket, capsys):
    setup_bucket(capsys, "--origin", SITE)

    out = setup_bucket(capsys, "--origin", SITE)

    assert out == [
        f"Found the bucket {shared_bucket!r}.",
        f"The rule 'django-direct-uploads-shop' already allows POST, PUT, GET and HEAD from {SITE}; nothing to change.",
        "Kept 2 other rules.",
    ]
    assert rules(s3, shared_bucket) == [*FOREIGN, ours("shop", SITE)]


def test_changing_the_origins_updates_only_our_rule_where_it_stands(s3, shared_bucket, capsys):
    s3.put_bucket_cors(
        Bucket=shared_bucket, CORSConfiguration={"CORSRules": [FOREIGN[0], ours("shop", SITE), FOREIGN[1]]}
    )

    out = setup_bucket(
        capsys, "--origin", "https://shop.example.com", "--origin", "https://www.shop.example.com"
    )

    assert out == [
        f"Found the bucket {shared_bucket!r}.",
        f"Updated the rule 'django-direct-uploads-shop' (it allowed {SITE}), allowing POST, PUT, GET and HEAD "
        "from https://shop.example.com and https://www.shop.example.com.",
        "Kept 2 other rules.",
    ]
    assert rules(s3, shared_bucket) == [
        FOREIGN[0],
        ours("shop", "https://shop.example.com", "https://www.shop.example.com"),
        FOREIGN[1],
    ]


def test_dry_run_prints_the_configuration_before_and_after_and_changes_nothing(s3, shared_bucket, capsys):
    out = setup_bucket(capsys, "--origin", SITE, "--dry-run")

    before = json.dumps({"CORSRules": FOREIGN}, indent=2)
    after = json.dumps({"CORSRules": [*FOREIGN, ours("shop", SITE)]}, indent=2)
    assert "\n".join(out) == "\n".join(
        [
            "Dry run: nothing is changed.",
            f"Found the bucket {shared_bucket!r}.",
            "CORS configuration before:",
            before,
            "CORS configuration after:",
            after,
            f"Would add the rule 'django-direct-uploads-shop', allowing POST, PUT, GET and HEAD from {SITE}.",
            "Would keep 2 other rules as they are.",
        ]
    )
    assert rules(s3, shared_bucket) == FOREIGN


def test_dry_run_on_a_missing_bucket_says_it_would_create_it_and_creates_nothing(s3, settings, capsys):
    settings.AWS_STORAGE_BUCKET_NAME = name = "missing-" + secrets.token_hex(4)
    settings.UPLOADS["INSTALLATION_ID"] = "shop"

    out = setup_bucket(capsys, "--origin", SITE, "--dry-run")

    assert out[:4] == [
        "Dry run: nothing is changed.",
        f"Would create the bucket {name!r}.",
        "CORS configuration before:",
        "{",
    ]
    assert out[-2:] == [
        f"Would add the rule 'django-direct-uploads-shop', allowing POST, PUT, GET and HEAD from {SITE}.",
        "There are no other rules.",
    ]
    assert name not in [found["Name"] for found in s3.list_buckets()["Buckets"]]


def test_a_second_installation_adds_its_own_rule_beside_ours(s3, shared_bucket, settings, capsys):
    setup_bucket(capsys, "--origin", SITE)
    settings.UPLOADS["INSTALLATION_ID"] = "outlet"

    out = setup_bucket(capsys, "--origin", "https://outlet.example.com")

    assert out[1:] == [
        "Added the rule 'django-direct-uploads-outlet', allowing POST, PUT, GET and HEAD from https://outlet.example.com.",
        "Kept 3 other rules.",
    ]
    assert rules(s3, shared_bucket) == [
        *FOREIGN,
        ours("shop", SITE),
        ours("outlet", "https://outlet.example.com"),
    ]


def test_the_rule_of_a_rotated_secret_key_is_replaced_not_left_behind(s3, shared_bucket, settings, capsys):
    settings.UPLOADS = {}  # the id comes from SECRET_KEY
    settings.SECRET_KEY = "old-" + secrets.token_hex(25)
    setup_bucket(capsys, "--origin", SITE)
    old_id = rules(s3, shared_bucket)[-1]["ID"]
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-" + secrets.token_hex(25), [settings.SECRET_KEY]
    new_id = bucket.rule_id(keys.installation_id())

    out = setup_bucket(capsys, "--origin", SITE)

    assert out[1:] == [
        f"Replaced the rule {old_id!r} with {new_id!r}, allowing POST, PUT, GET and HEAD from {SITE}.",
        "Kept 2 other rules.",
    ]
    assert [rule.get("ID") for rule in rules(s3, shared_bucket)] == ["analytics-dashboard", None, new_id]


def test_merge_puts_a_new_rule_last_and_leaves_the_others_in_their_order():
    mine = ours("shop", SITE)

    merged = bucket.merge(FOREIGN, mine)

    assert (merged.rules, merged.change, merged.previous, merged.kept) == ([*FOREIGN, mine], "added", None, 2)


def test_merge_folds_several_copies_of_our_rule_into_one_where_the_first_stood():
    old, new = ours("shop", "https://old.example"), ours("shop", SITE)

    merged = bucket.merge([FOREIGN[0], old, FOREIGN[1], old], new)

    assert (merged.rules, merged.change, merged.previous, merged.kept) == (
        [FOREIGN[0], new, FOREIGN[1]],
        "updated",
        old,
        2,
    )
