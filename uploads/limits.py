"""Per-user limits on starting uploads: pending count, uploads per hour, bytes per day.

Counts that the database already knows (pending rows, bytes declared) are read from it; the hourly
rate is counted in Django's cache by django-ratelimit.
"""

import datetime

from django.db.models import Count, Min, Sum
from django.utils import timezone
from django_ratelimit.core import get_usage

from uploads import conf
from uploads.errors import TooManyRequests
from uploads.models import Upload
from uploads.verify import human_size

DAY = datetime.timedelta(days=1)


def check(request, declared):
    """Raise ``TooManyRequests`` if starting this upload would break one of the user's limits."""
    user = request.user
    now = timezone.now()
    _check_pending(user, now)
    _check_bytes(user, declared.size, now)
    _check_hourly(request)


def _check_pending(user, now):
    limit = conf.get("MAX_PENDING")
    if limit is None:
        return
    pending = Upload.objects.filter(owner=user, status=Upload.Status.PENDING, expires_at__gt=now).aggregate(
        count=Count("pk"), first_expiry=Min("expires_at")
    )
    if pending["count"] >= limit:
        raise TooManyRequests(
            f"You have {limit} uploads in progress, the most at once; finish or cancel one first.",
            retry_after=(pending["first_expiry"] - now).total_seconds(),
        )


def _check_bytes(user, size, now):
    limit = conf.get("BYTES_PER_DAY")
    if limit is None:
        return
    counted = Upload.objects.filter(owner=user, created_at__gt=now - DAY).exclude(
        status__in=[Upload.Status.FAILED, Upload.Status.DELETED]
    )
    totals = counted.aggregate(used=Sum("size"), oldest=Min("created_at"))
    used, oldest = totals["used"] or 0, totals["oldest"]
    if used + size > limit:
        wait = (oldest + DAY - now).total_seconds() if oldest else DAY.total_seconds()
        raise TooManyRequests(
            f"This file would take you past today's limit of {human_size(limit)} "
            f"({human_size(used)} used in the last 24 hours); try again in {_hours(wait)}.",
            retry_after=wait,
        )


def _check_hourly(request):
    limit = conf.get("UPLOADS_PER_HOUR")
    if limit is None:
        return
    usage = get_usage(
        request,
        group="uploads.create",
        key=lambda group, request: str(request.user.pk),
        rate=f"{limit}/h",
        method="POST",
        increment=True,
    )
    if usage and usage["should_limit"]:
        raise TooManyRequests(
            f"You can start {limit} uploads an hour; try again in {_minutes(usage['time_left'])}.",
            retry_after=usage["time_left"],
        )


def _minutes(seconds):
    minutes = max(1, round(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _hours(seconds):
    if seconds < 3600:
        return _minutes(seconds)
    hours = round(seconds / 3600)
    return "1 hour" if hours == 1 else f"{hours} hours"
