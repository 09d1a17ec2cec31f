"""Who is submitting: upload form fields accept only the submitting user's new uploads.

Django forms never see the request, so this middleware lends its user to them for the length
of the request (a context variable: safe with threads and async views alike).
"""

import contextlib
import contextvars

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import ImproperlyConfigured

_user = contextvars.ContextVar("uploads_current_user")


def current_user(get_response):
    """Middleware: put it after ``AuthenticationMiddleware``."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            with submitted_by(request.user):
                return await get_response(request)

        markcoroutinefunction(middleware)
        return middleware

    def middleware(request):
        with submitted_by(request.user):
            return get_response(request)

    return middleware


@contextlib.contextmanager
def submitted_by(user):
    """Treat ``user`` as the submitting user: for forms validated outside a request (tests, scripts)."""
    token = _user.set(user)
    try:
        yield user
    finally:
        _user.reset(token)


def get_user():
    try:
        return _user.get()
    except LookupError:
        raise ImproperlyConfigured(
            "An upload form field was used outside a request: add 'uploads.middleware.current_user' to "
            "MIDDLEWARE, or validate the form inside uploads.middleware.submitted_by(user)."
        ) from None


def peek_user():
    """The submitting user, or None outside a request (rendering must not fail for that)."""
    return _user.get(None)
