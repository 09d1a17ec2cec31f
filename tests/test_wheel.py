"""The built wheel is the app a stranger installs: it holds `uploads` and its files, nothing of the
demo, and works in a fresh virtual environment and project with no path back to this repo."""

import fcntl
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import django
import pytest

from tests.conftest import TEST_BUCKET
from tests.images import image_bytes

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "uploads"

# Never copied into the build: setuptools writes build/ and *.egg-info/ next to pyproject.toml and
# ships whatever stale modules build/lib still holds, so the repo itself is never built in place.
NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".nox",
    ".data",
    "test-results",
    ".pytest_cache",
    "__pycache__",
    "*.pyc",
    "build",
    "dist",
    "*.egg-info",
    "node_modules",
    "staticfiles",
)


def run(args, *, cwd, env=None, timeout=600, with_stderr=False):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    command = " ".join(map(str, args))
    assert result.returncode == 0, f"{command} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr if with_stderr else result.stdout


def running_versions():
    """pip constraints pinning every distribution this test process runs with."""
    pins = {}
    for dist in importlib.metadata.distributions():  # in sys.path order, as imports find them
        name = dist.metadata["Name"]
        if name:
            pins.setdefault(name.lower(), f"{name}=={dist.version}\n")
    return "".join(sorted(pins.values()))


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    """The wheel pip builds from this repo's pyproject.toml (from a copy of the tree), once a run.

    pytest-xdist's workers each have a temporary folder inside the run's own: the first worker to
    take the lock there builds the wheel into it, and the others wait for it and take that one.
    """
    run_dir = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run_dir = run_dir.parent
    with open(run_dir / "wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = run_dir / "wheelhouse"
        if not out.exists():
            source = tmp_path_factory.mktemp("source") / "repo"
            shutil.copytree(REPO, source, ignore=NOT_SOURCES)
            building = tmp_path_factory.mktemp("building")
            run([sys.executable, "-m", "pip", "wheel", source, "--no-deps", "-w", building], cwd=building)
            building.rename(out)  # all at once: a wheelhouse that exists is whole
    (built,) = out.glob("*.whl")
    return built


def test_wheel_holds_the_app_with_its_files_and_nothing_from_the_demo(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    on_disk = {
        path.relative_to(REPO).as_posix()
        for path in APP.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }

    assert wheel.name == "django_direct_uploads-0.2.0-py3-none-any.whl"
    assert {
        "uploads/templates/uploads/uploader.html",
        "uploads/static/uploads/uploader.js",
        "uploads/static/uploads/uploader.css",
        "uploads/migrations/0001_initial.py",
        "uploads/management/commands/uploads_cleanup.py",
        "uploads/templatetags/uploads.py",
    } <= on_disk
    assert on_disk - names == set()
    assert {name.split("/")[0] for name in names} == {"uploads", "django_direct_uploads-0.2.0.dist-info"}


SETTINGS = """\
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "a-strangers-project"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "uploads",
    "shop",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "uploads.middleware.current_user",
]
ROOT_URLCONF = "shop.urls"
TEMPLATES = [{{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}}]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}}}
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = {use_tz}
{extra}
{s3}
"""

# django-storages' own settings, as a project that already stores files on S3 has them ...
AWS_SETTINGS = """\
AWS_ACCESS_KEY_ID = {access_key!r}
AWS_SECRET_ACCESS_KEY = {secret_key!r}
AWS_STORAGE_BUCKET_NAME = {bucket!r}
AWS_S3_ENDPOINT_URL = {endpoint_url!r}
AWS_S3_REGION_NAME = "us-east-1"
"""

# ... or as STORAGES entries: the project's media and the uploads in one bucket, each in its own
# location, and the app told which entry is its own.
STORAGES_ENTRY = """\
S3 = {{
    "access_key": {access_key!r},
    "secret_key": {secret_key!r},
    "bucket_name": {bucket!r},
    "endpoint_url": {endpoint_url!r},
    "region_name": "us-east-1",
}}
STORAGES = {{
    "default": {{"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {{**S3, "location": "media"}}}},
    "staticfiles": {{"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
    "uploads": {{"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {{**S3, "location": "direct-uploads"}}}},
}}
UPLOADS = {{"STORAGE": "uploads"}}
"""

# The stranger's own model, with a gallery of uploads: the lines the README asks for.
SHOP_MODELS = """\
from django.db import models

from uploads.fields import UploadsField


class Listing(models.Model):
    title = models.CharField(max_length=100)
    photos = UploadsField()
"""

URLS = """\
from django.urls import include, path

urlpatterns = [path("files/", include("uploads.urls"))]
"""

MANAGE = """\
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
from django.core.management import execute_from_command_line

execute_from_command_line(sys.argv)
"""

# Run by the new environment's python: one create call as a browser would make it, plus where
# Django found the app, its template and its static files.
API_CALL = """\
import json
import os
import platform
import sys
import sysconfig

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
import django

django.setup()

import uploads
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template import Context, Template
from django.template.loader import get_template
from django.test import Client

PHOTO = bytes.fromhex(sys.argv[1])

def attach(created):
    # Store the file (here with boto3, as any client could), complete it, attach it in a form.
    from django import forms

    from shop.models import Listing
    from uploads import s3
    from uploads.middleware import submitted_by

    s3.client().put_object(
        Bucket=s3.bucket_name(), Key=created["key"], Body=PHOTO, ContentType="image/jpeg"
    )
    completed = client.post(
        f"/files/api/uploads/{created['id']}/complete/",
        headers={"X-CSRFToken": token, "Content-Type": "application/json"},
    )
    ListingForm = forms.modelform_factory(Listing, fields=["title", "photos"])
    with submitted_by(user):
        form = ListingForm({"title": "Boots", "photos": created["id"]})
        valid = form.is_valid()
        listing = form.save() if valid else None
        widget = str(form["photos"])
    return {
        "completed": completed.json().get("status", completed.json()),
        "errors": form.errors.get_json_data(),
        "photos": [str(photo.pk) for photo in listing.photos.all()] if listing else [],
        "widget": widget,
    }


def clean_up_beside_the_projects_files(listing):
    # The project's own file where the app's keys go (a media storage at the bucket's root would
    # put it there), then the app's clean-up with no grace: only what the app made may go.
    import io

    from django.core.management import call_command

    from uploads import s3
    from uploads.models import Upload

    contract = "uploads/2025/contract.pdf"
    s3.client().put_object(Bucket=s3.bucket_name(), Key=contract, Body=b"%PDF-1.7 the project's")
    out = io.StringIO()
    call_command("uploads_cleanup", "--grace", "0", stdout=out)
    kept = [Upload.objects.get(pk=pk).key for pk in listing["photos"]] + [contract]
    listed = {item["Key"] for item in s3.client().list_objects_v2(Bucket=s3.bucket_name()).get("Contents", [])}
    return {"output": out.getvalue(), "kept": all(key in listed for key in kept)}


user = get_user_model().objects.create_user("stranger", password="stranger-password")
client = Client(enforce_csrf_checks=True)
assert client.login(username="stranger", password="stranger-password")
request = HttpRequest()
token = get_token(request)
client.cookies["csrftoken"] = request.META["CSRF_COOKIE"]
reply = client.post(
    "/files/api/uploads/",
    {"filename": "shoe.jpg", "content_type": "image/jpeg", "size": len(PHOTO)},
    content_type="application/json",
    headers={"X-CSRFToken": token},
)
print(json.dumps({
    "status": reply.status_code,
    "body": reply.json(),
    "user_id": user.pk,
    "user_model": user._meta.label,
    "uploads_file": uploads.__file__,
    "python": platform.python_version(),
    "django": django.get_version(),
    "site_packages": sysconfig.get_paths()["purelib"],
    "sys_path": sys.path,
    "template": get_template("uploads/uploader.html").origin.name,
    "script": finders.find("uploads/uploader.js"),
    "style": finders.find("uploads/uploader.css"),
    "widget": Template("{% load uploads %}{% uploader %}").render(Context({"request": HttpRequest()})),
    "listing": (listing := attach(reply.json())),
    "cleanup": clean_up_beside_the_projects_files(listing),
}))
"""


# After the worker ran: the thumbnail variant of the listing's photo, by name.
THUMBNAIL = """\
import json
from shop.models import Listing
photo = Listing.objects.get().photos.get()
thumb = photo.variant("thumb")
print(json.dumps({"thumb": {"width": thumb.width, "height": thumb.height}, "key": thumb.key}))
"""


# A project with its own user model, made before its first migration as Django asks.
PERSON = """\
from django.contrib.auth.models import AbstractUser
from django.db import models


class Person(AbstractUser):
    shop_name = models.CharField(max_length=100, blank=True)
"""
CUSTOM_USER = 'INSTALLED_APPS.insert(0, "people")\nAUTH_USER_MODEL = "people.Person"\n'

# Thumbnails made by a task queue of the project's choosing: django-tasks-db's table, run by its
# db_worker (the backport's package on Django 5.2, django.tasks itself on 6).
VARIANTS_ON_A_QUEUE = """import django
INSTALLED_APPS += ["django_tasks_db"] + (["django_tasks"] if django.VERSION < (6,) else [])
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
UPLOADS["VARIANTS"] = {"thumb": {"size": 32}}
"""


@pytest.mark.parametrize(
    ("use_tz", "custom_user"),
    [(True, False), (False, True)],
    ids=["stock-project", "custom-user-model-no-time-zones-and-a-storages-entry"],
)
def test_wheel_installs_into_a_fresh_project_that_checks_migrates_and_creates_an_upload(
    wheel, local_s3, tmp_path, use_tz, custom_user
):
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    site = tmp_path / "site"
    (site / "shop").mkdir(parents=True)
    (site / "shop" / "__init__.py").write_text("")
    (site / "shop" / "settings.py").write_text(
        SETTINGS.format(
            access_key=local_s3.access_key,
            secret_key=local_s3.secret_key,
            bucket=TEST_BUCKET,
            endpoint_url=local_s3.endpoint_url,
            use_tz=use_tz,
            extra=CUSTOM_USER if custom_user else "",
            s3=(STORAGES_ENTRY if custom_user else AWS_SETTINGS).format(
                access_key=local_s3.access_key,
                secret_key=local_s3.secret_key,
                bucket=TEST_BUCKET,
                endpoint_url=local_s3.endpoint_url,
            ),
        )
    )
    if custom_user:
        settings_file = site / "shop" / "settings.py"
        settings_file.write_text(settings_file.read_text() + VARIANTS_ON_A_QUEUE)
    (site / "shop" / "migrations").mkdir()
    (site / "shop" / "migrations" / "__init__.py").write_text("")
    (site / "shop" / "models.py").write_text(SHOP_MODELS)
    if custom_user:
        (site / "people" / "migrations").mkdir(parents=True)
        (site / "people" / "__init__.py").write_text("")
        (site / "people" / "migrations" / "__init__.py").write_text("")
        (site / "people" / "models.py").write_text(PERSON)
    (site / "shop" / "urls.py").write_text(URLS)
    (site / "manage.py").write_text(MANAGE)
    (site / "api_call.py").write_text(API_CALL)
    # Nothing of this process may leak in: not the repo on a path, not pytest-django's settings
    # module, not AWS credentials from the environment.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTHON", "DJANGO_", "VIRTUAL_ENV", "DATABASE_URL", "AWS_"))
    }

    # Without a pip of its own (seeding one costs seconds): this process's pip installs into it.
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path, env=env)
    # Dependencies come from the index as the wheel declares them, held to the versions this
    # suite runs with (requirements.txt's, or a nox session's Django) so the run is repeatable
    # (and served from pip's cache).
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(running_versions())
    pip = [sys.executable, "-m", "pip", "--python", python]
    extra = ["django-tasks-db"] if custom_user else []
    run([*pip, "install", "--no-input", "-c", constraints, wheel, *extra], cwd=tmp_path, env=env)
    apps = ["people", "shop"] if custom_user else ["shop"]
    run([python, "manage.py", "makemigrations", *apps], cwd=site, env=env)
    checked = run([python, "manage.py", "check"], cwd=site, env=env, with_stderr=True)
    migrated = run([python, "manage.py", "migrate", "--no-input"], cwd=site, env=env)
    photo = image_bytes("image/jpeg", 64, 48)
    found = json.loads(run([python, "api_call.py", photo.hex()], cwd=site, env=env))
    if custom_user:
        run([python, "manage.py", "db_worker", "--batch", "--no-startup-delay"], cwd=site, env=env)
        made = json.loads(
            run([python, "manage.py", "shell", "--no-imports", "-c", THUMBNAIL], cwd=site, env=env)
        )

    site_packages = Path(found["site_packages"])
    assert checked == "System check identified no issues (0 silenced).\n", checked
    assert "Applying uploads.0001_initial... OK" in migrated
    # The venv is made by this test's Python and given its Django: a nox session tests its own pair.
    assert (found["python"], found["django"]) == (platform.python_version(), django.get_version())
    assert found["status"] == 201, found["body"]
    assert found["user_model"] == ("people.Person" if custom_user else "auth.User")
    assert found["body"]["expires_at"].endswith("+00:00") == use_tz
    location = "direct-uploads/" if custom_user else ""
    assert re.match(
        rf"{location}uploads/[0-9a-f]{{12}}/{found['user_id']}/[0-9a-f]{{32}}/", found["body"]["key"]
    )
    assert found["body"]["key"].endswith(".jpg")
    assert found["body"]["upload"]["url"] == f"{local_s3.endpoint_url}/{TEST_BUCKET}"
    assert found["body"]["upload"]["fields"]["key"] == found["body"]["key"]
    assert Path(found["uploads_file"]) == site_packages / "uploads" / "__init__.py"
    assert site_packages.is_relative_to(venv)
    assert not any(Path(entry).resolve().is_relative_to(REPO) for entry in found["sys_path"] if entry), found[
        "sys_path"
    ]
    assert Path(found["template"]) == site_packages / "uploads/templates/uploads/uploader.html"
    assert Path(found["script"]) == site_packages / "uploads/static/uploads/uploader.js"
    assert Path(found["style"]) == site_packages / "uploads/static/uploads/uploader.css"
    assert 'data-create-url="/files/api/uploads/"' in found["widget"]
    assert '<script type="module" src="/static/uploads/uploader.js"></script>' in found["widget"]
    assert found["listing"]["completed"] == "uploaded"
    assert found["cleanup"]["kept"], found["cleanup"]["output"]
    assert "0 objects deleted" in found["cleanup"]["output"], found["cleanup"]["output"]
    assert found["listing"]["errors"] == {}
    assert found["listing"]["photos"] == [found["body"]["id"]]
    assert f'value="{found["body"]["id"]}"' in found["listing"]["widget"]
    if custom_user:  # complete enqueued the variants; the project's worker made them
        assert made["thumb"] == {"width": 32, "height": 24}
        assert re.match(
            r"direct-uploads/uploads/[0-9a-f]{12}/variants/[0-9a-f]{64}/[0-9a-f]{16}\.webp$", made["key"]
        )
