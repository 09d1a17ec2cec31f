"""manage.py uploads_setup_bucket: the bucket and the CORS rule browsers need, on real S3."""

import pytest
import requests
from django.core.management import CommandError, call_command

from uploads import keys


def test_creates_the_bucket_and_lets_the_sites_origin_post_to_it(s3, settings, capsys):
    settings.AWS_STORAGE_BUCKET_NAME = "made-by-command"

    call_command("uploads_setup_bucket", "--origin", "http://127.0.0.1:8000")
    call_command("uploads_setup_bucket", "--origin", "http://127.0.0.1:8000")

    own = f"django-direct-uploads-{keys.installation_id()}"
    assert capsys.readouterr().out.splitlines() == [
        "Created the bucket 'made-by-command'.",
        f"Added the rule {own!r}, allowing POST, PUT, GET and HEAD from http://127.0.0.1:8000.",
        "There are no other rules.",
        "Found the bucket 'made-by-command'.",
        f"The rule {own!r} already allows POST, PUT, GET and HEAD from http://127.0.0.1:8000; nothing to change.",
        "There are no other rules.",
    ]
    assert s3.get_bucket_cors(Bucket="made-by-command")["CORSRules"] == [
        {
            "ID": own,
            "AllowedHeaders": ["*"],
            "AllowedMethods": ["POST", "PUT", "GET", "HEAD"],
            "AllowedOrigins": ["http://127.0.0.1:8000"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 3600,
        }
    ]
    preflight = requests.options(
        f"{s3.meta.endpoint_url}/made-by-command",
        headers={"Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert preflight.status_code == 200


@pytest.mark.parametrize("origin", ["127.0.0.1:8000", "https://shop.example.com/"])
def test_refuses_something_that_is_not_an_origin(origin):
    with pytest.raises(CommandError, match="is not an origin"):
        call_command("uploads_setup_bucket", "--origin", origin)


def test_asks_for_an_origin_when_none_is_given():
    with pytest.raises(CommandError, match="Name at least one site origin with --origin"):
        call_command("uploads_setup_bucket")
