"""The demo's settings, plus the peer app and a few views to measure against; a throw-away database."""

from benchmarks import peer
from project.settings import *  # noqa: F403

DEBUG = False
# The app's defaults: the demo's per-seller limits would stop the load runs within seconds. The
# demo's profiles stay, since its catalog's fields name them.
UPLOADS = {"MAX_SIZE": 10 * 2**20, "PROFILES": UPLOADS["PROFILES"]}  # noqa: F405
ROOT_URLCONF = "benchmarks.urls"
INSTALLED_APPS = [*INSTALLED_APPS, *peer.INSTALLED_APPS]  # noqa: F405
globals().update(peer.SETTINGS)
# Logins are made by the benchmark; a slow hasher would only measure itself.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# The demo emails sellers of review decisions; the run approves images and must not print mail.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # Two gunicorn workers write at once: wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {  # noqa: F405
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # As a shop runs PostgreSQL: connections kept between requests, not one opened per request.
    DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
