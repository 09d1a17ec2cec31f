"""A project's own token backend, as small as one can be: ``Authorization: Token <key>`` names a
user. The API must work with it as it works with sessions (tests/test_api_token_clients.py).

``authenticate`` is what ``UPLOADS["TOKEN_AUTHENTICATION"]`` lists. ``middleware`` does the same
job as project middleware the app knows nothing of: its requests still need the CSRF token
(tests/security/test_csrf_and_origin.py).
"""

from django.contrib.auth import get_user_model

TOKENS = {}


def authenticate(request):
    """The user that the request's ``Authorization: Token <key>`` names, or None."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme == "Token" and key in TOKENS:
        return get_user_model().objects.get(pk=TOKENS[key])
    return None


def middleware(get_response):
    def authenticate_request(request):
        if (user := authenticate(request)) is not None:
            request.user = user
        return get_response(request)

    return authenticate_request
