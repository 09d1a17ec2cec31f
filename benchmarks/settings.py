"""The demo's settings, plus the peer app and a few views to measure against; a throw-away database."""

from project.settings import *  # noqa: F403

from benchmarks import peer

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
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # Two gunicorn workers write at once: wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {  # noqa: F405
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
