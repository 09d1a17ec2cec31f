"""``python -m project.devserver``: local S3 + database + task worker + Django on http://127.0.0.1:8000.

Starts SeaweedFS on the port of AWS_S3_ENDPOINT_URL (data in .data/seaweedfs, so files survive a
restart), migrates, sets up the bucket and its CORS, makes the demo logins, starts the worker that
makes the images' variants (``db_worker`` for DJANGO_TASKS_BACKEND=database, the default;
``rqworker`` for rq; none for immediate), then runs Django's development server. Ctrl-C stops all.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
ADDRESS = "127.0.0.1:8000"
DEMO_USERS = (
    # user name, password, staff and superuser
    ("seller", "seller-demo-pass", False),
    ("admin", "admin-demo-pass", True),
)


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django
    from django.conf import settings

    django.setup()
    from django.core.management import call_command

    from project.locals3 import LocalS3Error, SeaweedFS

    (BASE_DIR / ".data").mkdir(exist_ok=True)
    _stop_on_signals()
    local_s3 = None
    endpoint = settings.AWS_S3_ENDPOINT_URL
    try:
        if endpoint and urlsplit(endpoint).hostname in ("127.0.0.1", "localhost"):
            local_s3 = SeaweedFS(
                BASE_DIR / ".data" / "seaweedfs",
                access_key=settings.AWS_ACCESS_KEY_ID,
                secret_key=settings.AWS_SECRET_ACCESS_KEY,
                s3_port=urlsplit(endpoint).port or 80,
                region=settings.AWS_S3_REGION_NAME,
            )
            local_s3.start()
            print(f"Local S3 (SeaweedFS) at {endpoint}, data in .data/seaweedfs")
        call_command("migrate", interactive=False, verbosity=0)
        call_command(
            "uploads_setup_bucket", origin=[f"http://{ADDRESS}", f"http://localhost:{ADDRESS.split(':')[1]}"]
        )
        _demo_users()
        print(f"\nOpen http://{ADDRESS}/ and log in:")
        for name, password, staff in DEMO_USERS:
            print(
                f"  {name} / {password}"
                + ("   (staff: reviews uploads in /admin/)" if staff else "   (seller)")
            )
        print("These logins are for local use only. Ctrl-C stops the site and the local S3.\n", flush=True)
        worker = _start_worker(settings.TASKS_BACKEND)
        # Its own process group, so stopping it also stops the autoreloader's child.
        server = subprocess.Popen(
            [sys.executable, str(BASE_DIR / "manage.py"), "runserver", ADDRESS], start_new_session=True
        )
        try:
            server.wait()
        finally:
            _stop_group(server)
            if worker:
                _stop_group(worker)
    except KeyboardInterrupt:
        pass
    except LocalS3Error as error:
        sys.exit(f"Could not start the local S3: {error}")
    finally:
        if local_s3:
            local_s3.stop()
            print("Local S3 stopped.")


WORKERS = {
    "database": ["db_worker", "--no-startup-delay"],
    "rq": ["rqworker", "default", "--with-scheduler", "--job-class", "django_tasks_rq.Job"],
}


def _start_worker(backend):
    """The process that runs the queued tasks (the images' variants); None when tasks run at once."""
    if backend not in WORKERS:
        return None
    print(f"Task worker: manage.py {' '.join(WORKERS[backend])} (DJANGO_TASKS_BACKEND={backend})")
    return subprocess.Popen(
        [sys.executable, str(BASE_DIR / "manage.py"), *WORKERS[backend]], start_new_session=True
    )


def _stop_on_signals():
    # Set explicitly: a shell that starts us in the background leaves SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def _stop_group(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _demo_users():
    from django.contrib.auth import get_user_model

    User = get_user_model()
    for name, password, staff in DEMO_USERS:
        # An address, so the review notices' emails show on the console (EMAIL_BACKEND).
        email = f"{name}@example.com"
        if not User.objects.filter(username=name).exists():
            User.objects.create_user(name, email=email, password=password, is_staff=staff, is_superuser=staff)
        else:
            User.objects.filter(username=name, email="").update(email=email)


if __name__ == "__main__":
    main()
