"""The demo's settings for the worker processes of tests/test_variant_workers.py.

Everything that differs per run comes from the environment the test builds: the database, the
bucket, the Tasks backend (DJANGO_TASKS_BACKEND) and the Redis queue's name. A worker started with
UPLOADS_TEST_SLOW_RENDER renders slowly and leaves a file when it starts, so the test can kill it
part-way through a task.
"""

import os
import time
from pathlib import Path

from project.settings import *  # noqa: F403
from project.settings import RQ_QUEUES, UPLOADS

UPLOADS = {
    **UPLOADS,
    "VARIANTS": {"thumb": {"size": 64}, "card": {"size": 200}},
    "TASK_RETRY_DELAY": 1,
    "MAX_PENDING": None,
    "UPLOADS_PER_HOUR": None,
    "BYTES_PER_DAY": None,
}
# One queue per run: runs sharing the machine's Redis never take each other's jobs.
RQ_QUEUES = {
    "default": {**RQ_QUEUES["default"], "URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")}
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"uploads": {"handlers": ["console"], "level": "INFO"}},
}

if marker := os.environ.get("UPLOADS_TEST_SLOW_RENDER"):
    from uploads import imaging

    _render = imaging.render

    def _slow_render(*args, **kwargs):
        Path(marker).write_text(str(os.getpid()))
        parent = os.getppid()
        for _ in range(600):  # a minute at most
            if os.getppid() != parent:
                os._exit(1)  # rq's work-horse whose worker was killed: it goes too
            time.sleep(0.1)
        return _render(*args, **kwargs)

    imaging.render = _slow_render
