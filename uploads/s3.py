"""Every S3 call the app makes, through django-storages' configured boto3 client."""

import functools
from dataclasses import dataclass
from http import HTTPStatus

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from django.conf import settings
from storages.backends.s3 import S3Storage

from uploads.errors import ObjectChanged, ObjectMissing, StorageUnavailable

# The django-storages settings that shape the client; a change to any of them builds a new one.
_STORAGE_SETTINGS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_S3_ACCESS_KEY_ID",
    "AWS_S3_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_S3_SIGNATURE_VERSION",
    "AWS_S3_ADDRESSING_STYLE",
    "AWS_S3_CLIENT_CONFIG",
)


@functools.lru_cache(maxsize=4)
def _storage(_fingerprint):
    return S3Storage()


def storage():
    """The S3Storage built from the project's ``AWS_*`` settings, made once per configuration."""
    fingerprint = tuple(repr(getattr(settings, name, None)) for name in _STORAGE_SETTINGS)
    return _storage(fingerprint)


def client():
    # django-storages keeps one boto3 resource per thread; its client is thread-safe to reuse there.
    return storage().connection.meta.client


def bucket_name():
    return storage().bucket_name


@dataclass(frozen=True)
class ObjectHead:
    size: int
    content_type: str
    etag: str


def presign_post(key, *, content_type, size, expires):
    """A POST policy for exactly this key, type and byte count; S3 refuses anything else."""
    return client().generate_presigned_post(
        bucket_name(),
        key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]],
        ExpiresIn=expires,
    )


def presign_get(key, *, content_type, filename, expires):
    """A short-lived GET URL that makes S3 serve the verified type, inline, under a safe name."""
    return client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket_name(),
            "Key": key,
            "ResponseContentType": content_type,
            "ResponseContentDisposition": f'inline; filename="{filename}"',
        },
        ExpiresIn=expires,
    )


def head(key):
    """Size, type and ETag of an object; ``ObjectMissing`` if it is not there."""
    with _storage_errors():
        reply = client().head_object(Bucket=bucket_name(), Key=key)
    return ObjectHead(size=reply["ContentLength"], content_type=reply.get("ContentType", ""), etag=reply["ETag"].strip('"'))


def read_head(key, nbytes, *, etag):
    """The first ``nbytes`` of an object, with one ranged GET; ``ObjectChanged`` if it is no longer ``etag``."""
    with _storage_errors():
        reply = client().get_object(Bucket=bucket_name(), Key=key, Range=f"bytes=0-{nbytes - 1}", IfMatch=f'"{etag}"')
        return reply["Body"].read()


def delete(key):
    """Delete an object; deleting one that is not there is not an error (S3 says 204 either way)."""
    with _storage_errors():
        client().delete_object(Bucket=bucket_name(), Key=key)


def ensure_bucket(cors_origins):
    """Create the bucket if missing and allow browsers on ``cors_origins`` to POST to it and read it."""
    s3 = client()
    name = bucket_name()
    try:
        s3.head_bucket(Bucket=name)
        created = False
    except ClientError as error:
        if _status(error) != HTTPStatus.NOT_FOUND:
            raise
        s3.create_bucket(Bucket=name)
        created = True
    s3.put_bucket_cors(
        Bucket=name,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": list(cors_origins),
                    "AllowedMethods": ["POST", "GET", "HEAD"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                    "MaxAgeSeconds": 3600,
                }
            ]
        },
    )
    return created


def _status(error):
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


class _storage_errors:
    """Turn a 404 into ObjectMissing and an unreachable or failing S3 into StorageUnavailable."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, ClientError):
            status = _status(error)
            if status == HTTPStatus.NOT_FOUND:
                raise ObjectMissing() from error
            if status == HTTPStatus.PRECONDITION_FAILED:
                raise ObjectChanged() from error
            if status and status >= HTTPStatus.INTERNAL_SERVER_ERROR:
                raise StorageUnavailable() from error
        elif isinstance(error, (BotoConnectionError, HTTPClientError)):
            raise StorageUnavailable() from error
        return False
