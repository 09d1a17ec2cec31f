"""Who is submitting: upload form fields accept only the submitting user's new uploads.

Django forms never see the request, so this middleware lends it to them for the length of the
request (a context variable: safe with threads and async views alike). The user is read when a
form asks, so authentication that happens later (a view's own token check) still counts.
"""

import contextlib
import contextvars
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.decorators import sync_and_async_middleware

if TYPE_CHECKING:  # for the hints only: the module stays importable before Django is set up
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

_submission: contextvars.ContextVar["Submission"] = contextvars.ContextVar("uploads_submission")
# A view or the next middleware, as Django hands it over: sync or async (its result awaited).
GetResponse = Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]


@dataclass
class Submission:
    """Who submits, and which uploads the request's form fields have claimed so far: one new
    upload chosen in two fields of one save (a gallery and an inline) is refused the second time."""

    request: HttpRequest | None = None
    fixed_user: "AbstractBaseUser | AnonymousUser | None" = None
    # upload id -> the field that claimed it (its posted name, or the form field's id() without one)
    claims: dict[uuid.UUID, str | int] = field(default_factory=dict)

    @property
    def user(self) -> "AbstractBaseUser | AnonymousUser | None":
        return self.fixed_user if self.request is None else self.request.user

    def claim(self, upload_id: uuid.UUID, field_name: str | int) -> bool:
        """Claim an upload for the field posted as ``field_name``; False when another field has it."""
        return self.claims.setdefault(upload_id, field_name) == field_name


@sync_and_async_middleware
def current_user(get_response: GetResponse) -> GetResponse:
    """Middleware: put it after ``AuthenticationMiddleware``."""
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponseBase:
            with _submitting(Submission(request=request)):
                return await get_response(request)

        markcoroutinefunction(middleware)
        return middleware

    def middleware(request: HttpRequest) -> HttpResponseBase:
        with _submitting(Submission(request=request)):
            return get_response(request)

    return middleware


@contextlib.contextmanager
def _submitting(submission: Submission) -> Iterator[Submission]:
    token = _submission.set(submission)
    try:
        yield submission
    finally:
        _submission.reset(token)


@contextlib.contextmanager
def submitted_by(user: "AbstractBaseUser | AnonymousUser") -> Iterator["AbstractBaseUser | AnonymousUser"]:
    """Treat ``user`` as the submitting user: for forms validated outside a request (tests, scripts)."""
    with _submitting(Submission(fixed_user=user)):
        yield user


def get_submission() -> Submission:
    try:
        return _submission.get()
    except LookupError:
        raise ImproperlyConfigured(
            "An upload form field was used outside a request: add 'uploads.middleware.current_user' to "
            "MIDDLEWARE, or validate the form inside uploads.middleware.submitted_by(user)."
        ) from None


def peek_user() -> "AbstractBaseUser | AnonymousUser | None":
    """The submitting user, or None outside a request (rendering must not fail for that)."""
    submission = _submission.get(None)
    return submission.user if submission else None
