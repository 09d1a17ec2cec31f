"""The app's background work, on Django's Tasks API (``django.tasks``; the ``django-tasks``
backport on Django 5.2), enqueued on the backend ``UPLOADS["TASK_BACKEND"]`` names.

A task is retried when S3 fails, after ``TASK_RETRY_DELAY`` seconds, doubled each time, up to
``TASK_ATTEMPTS`` tries. One whose worker died is asked for again once the upload's
``variants_due`` has passed (``services.ask_again``).
"""

import datetime
import logging
import time
import uuid

from django.utils import timezone

try:
    from django.tasks import TaskResult, task
except ImportError:  # Django 5.2
    from django_tasks import TaskResult, task

from uploads import conf, rendering
from uploads.errors import StorageUnavailable

logger = logging.getLogger("uploads")


@task()
def make_variants(upload_id: str, attempt: int = 1) -> str:
    """Make the variants of one verified upload; returns what ``rendering.make`` says."""
    try:
        return rendering.make(upload_id)
    except StorageUnavailable:
        if attempt >= conf.get("TASK_ATTEMPTS"):
            logger.error(
                "Variants of upload %s: S3 failed %d times; asked for again later.", upload_id, attempt
            )
            return "retry later"
        delay = conf.get("TASK_RETRY_DELAY") * 2 ** (attempt - 1)
        logger.warning("Variants of upload %s: S3 failed; trying again in %d s.", upload_id, delay)
        enqueue_variants(upload_id, attempt=attempt + 1, delay=delay)
        return "retrying"


def enqueue_variants(upload_id: uuid.UUID | str, *, attempt: int = 1, delay: float = 0) -> TaskResult:
    """Ask the configured backend to make an upload's variants, now or after ``delay`` seconds."""
    runner = make_variants.using(backend=conf.get("TASK_BACKEND"))
    if delay and runner.get_backend().supports_defer:
        runner = runner.using(run_after=timezone.now() + datetime.timedelta(seconds=delay))
    elif delay:
        time.sleep(delay)  # a backend that runs at once (scripts, tests) waits here instead
    return runner.enqueue(str(upload_id), attempt)
