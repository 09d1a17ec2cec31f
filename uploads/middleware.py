"""Who is submitting: upload form fields accept only the submitting user's new uploads.

Django forms never see the request, so this middleware lends its user to them for the length
of the request (a context variable: safe with threads and async views alike).
"""

import contextlib
import contextvars
from dataclasses import dataclass, field

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import ImproperlyConfigured

_submission = contextvars.ContextVar("uploads_submission")


@dataclass
class Submission:
    """Who submits, and which uploads this request's form fields have claimed so far: one new
    upload chosen in two fields of one save (a gallery and an inline) must be refused once."""

    user: object
    claims: dict = field(default_factory=dict)

    def claim(self, upload_id, claimant):
        """Claim an upload for ``claimant``; False when another field of this request has it."""
        return self.claims.setdefault(upload_id, claimant) == claimant


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
    token = _submission.set(Submission(user))
    try:
        yield user
    finally:
        _submission.reset(token)


def get_submission():
    try:
        return _submission.get()
    except LookupError:
        raise ImproperlyConfigured(
            "An upload form field was used outside a request: add 'uploads.middleware.current_user' to "
            "MIDDLEWARE, or validate the form inside uploads.middleware.submitted_by(user)."
        ) from None


def peek_user():
    """The submitting user, or None outside a request (rendering must not fail for that)."""
    submission = _submission.get(None)
    return submission.user if submission else None
