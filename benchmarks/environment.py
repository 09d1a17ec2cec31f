"""Everything a benchmark run needs, started for that run only: SeaweedFS on free ports, a
throw-away database (PostgreSQL, or SQLite), the demo under benchmarks.settings with the database
tasks backend, a seller and a staff login."""

import os
import secrets
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks import database
from project.locals3 import SeaweedFS

BUCKET = "bench-uploads"
PASSWORD = "bench-password"


@dataclass
class Environment:
    workdir: Path
    s3: SeaweedFS
    database: database.Database

    @property
    def env(self):
        """The environment for processes that load benchmarks.settings (gunicorn, workers, the browser run)."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "DATABASE_URL": self.database.url,
            "DJANGO_TASKS_BACKEND": "database",
            "AWS_S3_ENDPOINT_URL": self.s3.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.s3.access_key,
            "AWS_SECRET_ACCESS_KEY": self.s3.secret_key,
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_REGION_NAME": "us-east-1",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        }

    def allow_origin(self, origin):
        self.s3.client().put_bucket_cors(
            Bucket=BUCKET,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": [origin],
                        "AllowedMethods": ["GET", "PUT", "POST", "HEAD", "DELETE"],
                        "AllowedHeaders": ["*"],
                        "ExposeHeaders": ["ETag"],
                    }
                ]
            },
        )


@contextmanager
def started(database_kind="postgresql", postgres_server=database.POSTGRES_SERVER):
    """``with started() as env:`` sets up the whole environment, and tears it down (the database
    dropped, SeaweedFS stopped, the folder removed) however the block ends."""
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="uploads-bench-")))
        db = stack.enter_context(database.throwaway(database_kind, workdir, postgres_server))
        s3 = SeaweedFS(
            workdir / "s3", access_key="bench-" + secrets.token_hex(4), secret_key=secrets.token_hex(16)
        )
        stack.callback(s3.stop)
        s3.start()
        environment = Environment(workdir=workdir, s3=s3, database=db)
        os.environ.update(environment.env)
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        s3.client().create_bucket(Bucket=BUCKET)
        User = get_user_model()
        User.objects.create_user("seller", password=PASSWORD)
        User.objects.create_user("staff", password=PASSWORD, is_staff=True, is_superuser=True)
        yield environment
