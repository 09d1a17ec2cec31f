"""Who is submitting: upload form fields accept only the submitting user's new uploads.

Django forms never see the request, so this middleware lends it to them for the length of the
request (a context variable: safe with threads and async views alike). The user is read when a
form asks, so authentication that happens later (a view's own token check) still counts.
"""

import contextlib
import contextvars
from dataclasses import dataclass, field

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import ImproperlyConfigured
from django.utils.decorators import sync_and_async_middleware

_submission = contextvars.ContextVar("uploads_submission")


@dataclass
class Submission:
    """Who submits, and which uploads the request's form fields have claimed so far: one new
    upload chosen in two fields of one save (a gallery and an inline) is refused the second time."""

    request: object = None
    fixed_user: object = None
    claims: dict = field(default_factory=dict)

    @property
    def user(self):
        return self.fixed_user if self.request is None else self.request.user

    def claim(self, upload_id, field_name):
        """Claim an upload for the field posted as ``field_name``; False when another field has it."""
        return self.claims.setdefault(upload_id, field_name) == field_name


@sync_and_async_middleware
def current_user(get_response):
    """Middleware: put it after ``AuthenticationMiddleware``."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            with _submitting(Submission(request=request)):
                return await get_response(request)

        markcoroutinefunction(middleware)
        return middleware

    def middleware(request):
        with _submitting(Submission(request=request)):
            return get_response(request)

    return middleware


@contextlib.contextmanager
def _submitting(submission):
    token = _submission.set(submission)
    try:
        yield submission
    finally:
        _submission.reset(token)


@contextlib.contextmanager
def submitted_by(user):
    """Treat ``user`` as the submitting user: for forms validated outside a request (tests, scripts)."""
    with _submitting(Submission(fixed_user=user)):
        yield user


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
