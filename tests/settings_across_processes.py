"""The demo's settings for the servers of tests/test_limits_across_processes.py.

The test gives each run its own cache key prefix (so runs sharing the machine's Redis never see each
other's counts) and the hourly limit; only that limit is on.
"""

import os

from project.settings import *  # noqa: F403
from project.settings import CACHES, UPLOADS

CACHES["default"]["KEY_PREFIX"] = os.environ["UPLOADS_TEST_CACHE_PREFIX"]
UPLOADS = {
    **UPLOADS,
    "UPLOADS_PER_HOUR": int(os.environ["UPLOADS_TEST_PER_HOUR"]),
    "MAX_PENDING": None,
    "BYTES_PER_DAY": None,
    # The create calls then need no digest: the test is about counting them.
    "REQUIRE_CHECKSUM": False,
}
