"""Everything a benchmark run needs, started for that run only: SeaweedFS on free ports, a
throw-away SQLite database, the demo under benchmarks.settings, a seller and a staff login."""

import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from project.locals3 import SeaweedFS

BUCKET = "bench-uploads"
PASSWORD = "bench-password"


@dataclass
class Environment:
    workdir: Path
    s3: SeaweedFS

    @property
    def env(self):
        """The environment for processes that load benchmarks.settings (gunicorn, the browser run)."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "DATABASE_URL": f"sqlite:///{self.workdir / 'db.sqlite3'}",
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


class started:
    """``with started() as env:`` sets up and tears down the whole environment."""

    def __enter__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="uploads-bench-")
        workdir = Path(self._tmp.name)
        s3 = SeaweedFS(workdir / "s3", access_key="bench-" + secrets.token_hex(4), secret_key=secrets.token_hex(16))
        s3.start()
        self.environment = Environment(workdir=workdir, s3=s3)
        os.environ.update(self.environment.env)
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        s3.client().create_bucket(Bucket=BUCKET)
        User = get_user_model()
        User.objects.create_user("seller", password=PASSWORD)
        User.objects.create_user("staff", password=PASSWORD, is_staff=True, is_superuser=True)
        return self.environment

    def __exit__(self, *exc):
        self.environment.s3.stop()
        self._tmp.cleanup()
