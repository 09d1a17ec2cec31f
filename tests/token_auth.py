"""A project's own token backend, as small as one can be: ``Authorization: Token <key>`` names a
user. The API must work with it as it works with sessions (tests/test_api_token_clients.py)."""

from django.contrib.auth import get_user_model

TOKENS = {}


def middleware(get_response):
    def authenticate(request):
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme == "Token" and key in TOKENS:
            request.user = get_user_model().objects.get(pk=TOKENS[key])
        return get_response(request)

    return authenticate
