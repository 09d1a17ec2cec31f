"""Per-user limits on starting uploads: open policies, uploads per hour, bytes per day.

Counts that the database already knows (rows and the bytes they declared) are read from it; the
hourly rate is counted in Django's cache by django-ratelimit.

An upload whose policy is still valid counts toward every limit until the policy expires,
whatever its status: deleting an upload cannot take back the policy, which could still store
its bytes. One user's creates are counted one at a time (``holding``), so a burst of
simultaneous requests cannot all pass the same count.
"""

import contextlib
import datetime
import logging
from collections.abc import Iterator

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, ngettext, npgettext
from django_ratelimit.core import get_usage

from uploads import conf
from uploads.errors import LimitsUnavailable, TooManyRequests
from uploads.models import Upload, UploaderLock
from uploads.verify import Declared, human_size

DAY = datetime.timedelta(days=1)
logger = logging.getLogger("uploads")


@contextlib.contextmanager
def holding(request: HttpRequest, declared: Declared) -> Iterator[None]:
    """Check the user's limits, and hold them until the block has recorded the upload.

    Raises ``TooManyRequests``. The block runs in the same transaction, which holds the user's
    lock row: a second create of the same user waits for it and counts the first one.
    """
    if conf.get("MAX_PENDING") is None and conf.get("BYTES_PER_DAY") is None:
        check(request, declared)  # nothing counted from the rows: nothing to hold
        yield
        return
    with transaction.atomic():
        _lock(request.user)
        check(request, declared)
        yield


def _lock(user: AbstractBaseUser) -> None:
    # An UPDATE takes the row's lock on every database (SQLite: the write lock) until commit.
    if UploaderLock.objects.filter(pk=user.pk).update(owner=user.pk):
        return
    try:
        with transaction.atomic():
            UploaderLock.objects.create(owner=user)
    except IntegrityError:
        UploaderLock.objects.filter(pk=user.pk).update(owner=user.pk)  # made meanwhile: wait for it


def check(request: HttpRequest, declared: Declared) -> None:
    """Raise ``TooManyRequests`` if starting this upload would break one of the user's limits."""
    user = request.user
    now = timezone.now()
    _check_open(user, now)
    _check_bytes(user, declared.size, now)
    _check_hourly(request)


def _check_open(user: AbstractBaseUser, now: datetime.datetime) -> None:
    limit = conf.get("MAX_PENDING")
    if limit is None:
        return
    open_policies = Upload.objects.filter(owner=user, expires_at__gt=now).aggregate(
        count=Count("pk"), first_expiry=Min("expires_at")
    )
    if open_policies["count"] >= limit:
        wait = (open_policies["first_expiry"] - now).total_seconds()
        message = ngettext(
            "You have started %(count)d upload in the last few minutes, the most at once; "
            "try again in %(wait)s.",
            "You have started %(count)d uploads in the last few minutes, the most at once; "
            "try again in %(wait)s.",
            limit,
        )
        raise TooManyRequests(message % {"count": limit, "wait": _minutes(wait)}, retry_after=wait)


def _check_bytes(user: AbstractBaseUser, size: int, now: datetime.datetime) -> None:
    limit = conf.get("BYTES_PER_DAY")
    if limit is None:
        return
    counted = Upload.objects.filter(owner=user, created_at__gt=now - DAY).filter(
        ~Q(status__in=[Upload.Status.FAILED, Upload.Status.DELETED]) | Q(expires_at__gt=now)
    )
    totals = counted.aggregate(used=Sum("size"), oldest=Min("created_at"))
    used, oldest = totals["used"] or 0, totals["oldest"]
    if used + size > limit:
        wait = (oldest + DAY - now).total_seconds() if oldest else DAY.total_seconds()
        message = gettext(
            "This file would take you past today's limit of %(limit)s "
            "(%(used)s used in the last 24 hours); try again in %(wait)s."
        )
        raise TooManyRequests(
            message % {"limit": human_size(limit), "used": human_size(used), "wait": _hours(wait)},
            retry_after=wait,
        )


def _check_hourly(request: HttpRequest) -> None:
    limit = conf.get("UPLOADS_PER_HOUR")
    if limit is None:
        return
    try:
        usage = get_usage(
            request,
            group="uploads.create",
            key=lambda group, request: str(request.user.pk),
            rate=f"{limit}/h",
            method="POST",
            increment=True,
        )
    except Exception as error:  # the cache's own errors: Redis down, Memcached unreachable, …
        # Refuse rather than let uploads through uncounted; say so in the error shape, not a 500.
        logger.exception("Cannot count uploads per hour: the cache failed.")
        raise LimitsUnavailable() from error
    if usage and usage["should_limit"]:
        message = ngettext(
            "You can start %(limit)d upload an hour; try again in %(wait)s.",
            "You can start %(limit)d uploads an hour; try again in %(wait)s.",
            limit,
        )
        wait = usage["time_left"]
        raise TooManyRequests(message % {"limit": limit, "wait": _minutes(wait)}, retry_after=wait)


# A duration that fills "try again in %(wait)s."; the context tells translators which case it takes.
def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return npgettext("try again in …", "%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def _hours(seconds: float) -> str:
    if seconds < 3600:
        return _minutes(seconds)
    hours = round(seconds / 3600)
    return npgettext("try again in …", "%(count)d hour", "%(count)d hours", hours) % {"count": hours}
