"""Every S3 call the app makes, through django-storages' configured boto3 client."""

import base64
import concurrent.futures
import contextlib
import contextvars
import functools
import hashlib
import hmac
import json
import os
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import SplitResult, quote, urlsplit

import boto3.session
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import ReadOnlyCredentials
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string
from storages.backends.s3 import S3Storage

from uploads import conf
from uploads.errors import ObjectChanged, ObjectMissing, StorageUnavailable

# --- The client: built once from the settings, built again when one of them changes --------

# The app's own settings the client is made with; the others are STORAGES and the AWS_* ones.
_CLIENT_SETTINGS = ("STORAGE", "S3_CONNECT_TIMEOUT", "S3_READ_TIMEOUT", "S3_MAX_ATTEMPTS", "S3_RETRY_MODE")


def storage_backend(alias: str | None) -> tuple[type[S3Storage], dict]:
    """The storage class and its OPTIONS: S3Storage and none, or the ``STORAGES`` entry named by
    ``alias`` (``UPLOADS["STORAGE"]``). Raises ImportError for a BACKEND that does not import and
    ImproperlyConfigured for any other mistake (the system checks tell them apart)."""
    if alias is None:
        return S3Storage, {}
    entry = settings.STORAGES.get(alias) if isinstance(alias, str) else None
    if entry is None:
        raise ImproperlyConfigured(f"UPLOADS['STORAGE'] is {alias!r}, which names no entry of STORAGES.")
    backend = import_string(entry.get("BACKEND", ""))
    if not (isinstance(backend, type) and issubclass(backend, S3Storage)):
        raise ImproperlyConfigured(
            f"STORAGES[{alias!r}] is not django-storages' S3Storage or a subclass of it."
        )
    return backend, entry.get("OPTIONS", {})


class _Configured:
    """What the settings build: the storage (and so its boto3 client), the boto3 session its
    credentials come from and the addresses boto3 resolves once; and what it was built from."""

    def __init__(self) -> None:
        self.built_from = _settings_read()
        app = self.built_from[0]
        backend, options = storage_backend(app["STORAGE"])
        base = backend(**options)
        patience = Config(
            connect_timeout=app["S3_CONNECT_TIMEOUT"],
            read_timeout=app["S3_READ_TIMEOUT"],
            retries={"mode": app["S3_RETRY_MODE"], "total_max_attempts": app["S3_MAX_ATTEMPTS"]},
        )
        self.storage = backend(**{**options, "client_config": base.client_config.merge(patience)})

    @functools.cached_property
    def session(self) -> boto3.session.Session:
        """A boto3 session made as django-storages makes the one its client comes from
        (``S3Storage._create_session``): the storage's profile, else its keys, else (keys None)
        boto3's own chain. So ``get_credentials()`` finds the credentials the client signs with."""
        store = self.storage
        if store.session_profile:
            return boto3.session.Session(profile_name=store.session_profile)
        return boto3.session.Session(
            aws_access_key_id=store.access_key,
            aws_secret_access_key=store.secret_key,
            aws_session_token=store.security_token,
        )

    @functools.cached_property
    def post_url(self) -> str:
        # The form's address depends on the endpoint, bucket and addressing style only: ask boto3 once.
        s3 = self.storage.connection.meta.client
        return s3.generate_presigned_post(self.storage.bucket_name, "k")["url"]

    @functools.cached_property
    def get_base(self) -> SplitResult:
        # Where objects live (endpoint, bucket, addressing style) does not change per key: ask boto3 once.
        url = self.storage.connection.meta.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.storage.bucket_name, "Key": "k"}
        )
        parts = urlsplit(url)
        return parts._replace(path=parts.path.removesuffix("k"), query="")


def _reads(setting: str) -> bool:
    """Whether the client may depend on ``setting``: ``UPLOADS`` (for ``_CLIENT_SETTINGS``),
    ``STORAGES`` (``UPLOADS["STORAGE"]`` may name an entry) and every ``AWS_*`` one."""
    return setting in ("UPLOADS", "STORAGES") or setting.startswith("AWS_")


def _settings_read() -> tuple[dict[str, Any], dict[str, str]]:
    """What the client is made from, as it is now: ``_CLIENT_SETTINGS``, ``STORAGES`` and every
    ``AWS_*`` setting (copied, so that a dict changed in place is a change), and the ``AWS_*``
    environment variables, which django-storages and boto3's own chain of credentials read too."""
    found = {name: conf.get(name) for name in _CLIENT_SETTINGS}
    for name in dir(settings):
        if name == "STORAGES" or name.startswith("AWS_"):
            value = getattr(settings, name)
            try:
                found[name] = deepcopy(value)
            except TypeError:  # a value that cannot be copied is compared as it is
                found[name] = value
    return found, {name: value for name, value in os.environ.items() if name.startswith("AWS_")}


_current = None  # the _Configured in use; None until the first S3 call
_changed = False  # whether a setting it may depend on was set since it was last looked at


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs) -> None:
    """Note that ``override_settings`` (or pytest-django's ``settings``) set a setting the client
    may depend on. Settings do not change otherwise while a process runs.

    Connected when this module is imported, so whenever there is a client to drop. (Deleting a
    setting with pytest-django's ``del settings.NAME`` sends no signal: set it to None instead.)"""
    global _changed
    if _reads(setting):
        _changed = True


def _configured() -> _Configured:
    """The ``_Configured`` of the current settings: made on first use, and again after a setting it
    read has changed. A setting set back to the value it was built with (as each test's fixtures
    do) is no change, so the client (slow to make: boto3 loads its models) is kept then."""
    global _current, _changed
    current = _current
    if _changed:
        _changed = False
        if current is not None and current.built_from != _settings_read():
            current = None
    if current is None:
        current = _current = _Configured()
    return current


def storage() -> S3Storage:
    """The S3Storage of ``UPLOADS["STORAGE"]`` (by default, the one the ``AWS_*`` settings
    describe) with the app's timeouts and retries, made once per configuration."""
    return _configured().storage


def client() -> BaseClient:
    # django-storages keeps one boto3 resource per thread; its client is thread-safe to reuse there.
    return storage().connection.meta.client


def bucket_name() -> str:
    return storage().bucket_name


def location() -> str:
    """The storage's ``location`` (``AWS_LOCATION``): every key the app makes starts with it."""
    return storage().location


@dataclass(frozen=True)
class ObjectHead:
    size: int
    content_type: str
    etag: str
    sha256: str = ""
    # Headers stored with the object that our policies never set (see _extras).
    extra_headers: tuple[str, ...] = ()


# Stored headers that would change how a viewer gets the file. Our policies never set them; a
# store that does not refuse unlisted form fields (SeaweedFS takes these) may have stored them.
_EXTRA_HEADERS = {
    "ContentEncoding": "Content-Encoding",
    "ContentDisposition": "Content-Disposition",
    "ContentLanguage": "Content-Language",
    "CacheControl": "Cache-Control",
    "ExpiresString": "Expires",
    "WebsiteRedirectLocation": "x-amz-website-redirect-location",
}


# What a browser with its cache turned off sends; SeaweedFS stores it, and it only makes caches stricter.
_HARMLESS_CACHE_CONTROL = {"no-cache", "no-store", "max-age=0", "must-revalidate", "private"}


def _extras(reply: dict[str, Any]) -> tuple[str, ...]:
    found = [header for field, header in _EXTRA_HEADERS.items() if reply.get(field)]
    directives = {part.strip().lower() for part in reply.get("CacheControl", "").split(",") if part.strip()}
    if directives and directives <= _HARMLESS_CACHE_CONTROL:
        found.remove("Cache-Control")
    return tuple(found)


def presign_post(
    key: str, *, content_type: str, size: int, expires: int, sha256: str = "", now: datetime | None = None
) -> dict[str, Any]:
    """A POST policy for exactly this key, type and byte count; S3 refuses anything else.

    The same fields and policy as boto3's ``generate_presigned_post``, signed here with a
    signing key kept for the day: boto3 resolves the endpoint and derives the key again on
    every call, which was most of the cost of the create call.
    """
    now = now or datetime.now(UTC)
    signer = _signer(now)
    credentials, timestamp = signer.credentials, signer.timestamp
    fields = {"Content-Type": content_type}
    pinned = [{"Content-Type": content_type}, ["content-length-range", size, size]]
    if sha256:
        # S3 computes the digest of what arrives and refuses the upload (BadDigest) if it differs.
        fields |= {"x-amz-checksum-algorithm": "SHA256", "x-amz-checksum-sha256": sha256}
        pinned += [{"x-amz-checksum-algorithm": "SHA256"}, {"x-amz-checksum-sha256": sha256}]
    fields |= {
        "key": key,
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": f"{credentials.access_key}/{signer.scope}",
        "x-amz-date": timestamp,
    }
    conditions = [
        *pinned,
        {"bucket": signer.configured.storage.bucket_name},
        {"key": key},
        {"x-amz-algorithm": fields["x-amz-algorithm"]},
        {"x-amz-credential": fields["x-amz-credential"]},
        {"x-amz-date": timestamp},
    ]
    if credentials.token is not None:
        fields["x-amz-security-token"] = credentials.token
        conditions.append({"x-amz-security-token": credentials.token})
    expiration = (now + timedelta(seconds=expires)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = json.dumps({"expiration": expiration, "conditions": conditions})
    policy = base64.b64encode(document.encode()).decode()
    fields["policy"] = policy
    fields["x-amz-signature"] = signer.sign(policy)
    return {"url": signer.configured.post_url, "fields": fields}


@dataclass(frozen=True)
class _Signer:
    """SigV4 for one moment: the configured storage, its current credentials, the scope and the day's key."""

    configured: _Configured
    credentials: ReadOnlyCredentials
    timestamp: str
    scope: str
    key: bytes

    def sign(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()


def _signer(now: datetime) -> _Signer:
    configured = _configured()
    credentials = _credentials(configured.session)
    region = configured.storage.connection.meta.client.meta.region_name
    day = now.strftime("%Y%m%d")
    return _Signer(
        configured=configured,
        credentials=credentials,
        timestamp=now.strftime("%Y%m%dT%H%M%SZ"),
        scope=f"{day}/{region}/s3/aws4_request",
        key=_signing_key(credentials.secret_key, day, region),
    )


def _credentials(session: boto3.session.Session) -> ReadOnlyCredentials:
    """The credentials to sign with now. boto3 keeps the session's credentials object; one that
    expires (an instance role, SSO) renews itself when frozen, so this is called for every signature."""
    credentials = session.get_credentials()
    if credentials is None:
        raise ImproperlyConfigured("The uploads app needs AWS credentials to sign upload policies.")
    return credentials.get_frozen_credentials()


@functools.lru_cache(maxsize=8)
def _signing_key(secret_key: str, day: str, region: str) -> bytes:
    key = ("AWS4" + secret_key).encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def presign_get(
    key: str, *, content_type: str, filename: str, expires: int, now: datetime | None = None
) -> str:
    """A short-lived GET URL that makes S3 serve the verified type, inline, under a safe name.

    The same URL boto3's ``generate_presigned_url`` gives, signed here with the day's key: lists
    and the admin sign one per row, and boto3 spends most of its time resolving the endpoint.
    """
    now = now or datetime.now(UTC)
    signer = _signer(now)
    credentials, timestamp, scope = signer.credentials, signer.timestamp, signer.scope
    base = signer.configured.get_base
    path = base.path + quote(key, safe="/~")
    params = {
        "response-content-type": content_type,
        "response-content-disposition": f'inline; filename="{filename}"',
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{credentials.access_key}/{scope}",
        "X-Amz-Date": timestamp,
        "X-Amz-Expires": str(expires),
        "X-Amz-SignedHeaders": "host",
    }
    if credentials.token is not None:
        params["X-Amz-Security-Token"] = credentials.token
    query = "&".join(f"{_encode(name)}={_encode(value)}" for name, value in params.items())
    canonical_query = "&".join(sorted(query.split("&")))
    canonical_request = f"GET\n{path}\n{canonical_query}\nhost:{base.netloc}\n\nhost\nUNSIGNED-PAYLOAD"
    string_to_sign = (
        f"AWS4-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    )
    return f"{base.scheme}://{base.netloc}{path}?{query}&X-Amz-Signature={signer.sign(string_to_sign)}"


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def head(key: str) -> ObjectHead:
    """Size, type, ETag and stored SHA-256 of an object; ``ObjectMissing`` if it is not there."""
    reply = _request(lambda s3: s3.head_object(Bucket=bucket_name(), Key=key, ChecksumMode="ENABLED"))
    return ObjectHead(
        size=reply["ContentLength"],
        content_type=reply.get("ContentType", ""),
        etag=reply["ETag"].strip('"'),
        sha256=reply.get("ChecksumSHA256", ""),
        extra_headers=_extras(reply),
    )


def read_start(key: str, nbytes: int) -> tuple[ObjectHead, bytes]:
    """One ranged GET: the object's size, type and ETag, and its first ``nbytes`` bytes.

    S3 answers a range with the object's total size in Content-Range, so no HEAD is needed.
    """

    def read(s3: BaseClient):
        try:
            reply = s3.get_object(Bucket=bucket_name(), Key=key, Range=f"bytes=0-{nbytes - 1}")
        except ClientError as error:
            if _status(error) == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE:  # an empty object
                return None, b""
            raise
        with contextlib.closing(reply["Body"]) as body:
            return reply, body.read(nbytes)

    reply, data = _request(read)
    if reply is None:
        return head(key), data
    content_range = reply.get("ContentRange", "")
    size = int(content_range.rsplit("/", 1)[1]) if "/" in content_range else reply["ContentLength"]
    found = ObjectHead(
        size=size,
        content_type=reply.get("ContentType", ""),
        etag=reply["ETag"].strip('"'),
        extra_headers=_extras(reply),
    )
    return found, data


def read_head(key: str, nbytes: int, *, etag: str) -> bytes:
    """The first ``nbytes`` of an object, with one ranged GET; ``ObjectChanged`` if it is no longer
    ``etag``."""

    def read(s3: BaseClient):
        reply = s3.get_object(
            Bucket=bucket_name(), Key=key, Range=f"bytes=0-{nbytes - 1}", IfMatch=f'"{etag}"'
        )
        with contextlib.closing(reply["Body"]) as body:
            return body.read()

    return _request(read)


def read_all(key: str, *, etag: str) -> bytes:
    """The whole object, with one GET; ``ObjectChanged`` if it is no longer ``etag``."""

    def read(s3: BaseClient):
        reply = s3.get_object(Bucket=bucket_name(), Key=key, IfMatch=f'"{etag}"')
        with contextlib.closing(reply["Body"]) as body:
            return body.read()

    return _request(read)


def put(key: str, data: bytes, *, content_type: str) -> None:
    """Store ``data`` under ``key``, with S3 checking its SHA-256 on the way in."""
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    _request(
        lambda s3: s3.put_object(
            Bucket=bucket_name(),
            Key=key,
            Body=data,
            ContentType=content_type,
            ChecksumSHA256=digest,
            # The same key always holds the same bytes (it is derived from them), so caches may keep it.
            CacheControl="private, max-age=31536000, immutable",
        )
    )


def copy(source: str, target: str, *, etag: str) -> None:
    """Copy an object within the bucket, only if it is still ``etag`` (else ``ObjectChanged``)."""
    _request(
        lambda s3: s3.copy_object(
            Bucket=bucket_name(),
            Key=target,
            CopySource={"Bucket": bucket_name(), "Key": source},
            CopySourceIfMatch=f'"{etag}"',
            MetadataDirective="COPY",
        )
    )


def delete(key: str) -> None:
    """Delete an object; deleting one that is not there is not an error (S3 says 204 either way)."""
    _request(lambda s3: s3.delete_object(Bucket=bucket_name(), Key=key))


def bucket_exists() -> bool:
    """Whether the bucket is there: one HEAD; a 404 means no, any other error is raised."""
    try:
        client().head_bucket(Bucket=bucket_name())
    except ClientError as error:
        if _status(error) != HTTPStatus.NOT_FOUND:
            raise
        return False
    return True


def create_bucket() -> None:
    s3 = client()
    region = s3.meta.region_name
    # S3 wants the region named for any bucket outside us-east-1 (where naming it is an error).
    where = (
        {} if region in (None, "us-east-1") else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=bucket_name(), **where)


def cors_rules() -> list[dict[str, Any]]:
    """The bucket's CORS rules as S3 returns them; ``[]`` when it has no CORS configuration."""
    try:
        return client().get_bucket_cors(Bucket=bucket_name())["CORSRules"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchCORSConfiguration":
            return []
        raise


def put_cors_rules(rules: Sequence[dict[str, Any]]) -> None:
    """Replace the bucket's whole CORS configuration with ``rules`` (S3 has no per-rule call)."""
    client().put_bucket_cors(Bucket=bucket_name(), CORSConfiguration={"CORSRules": rules})


def _status(error: ClientError) -> int | None:
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


@contextlib.contextmanager
def _storage_errors() -> Iterator[None]:
    """Turn a 404 into ObjectMissing and an unreachable or failing S3 into StorageUnavailable."""
    try:
        yield
    except ClientError as error:
        status = _status(error)
        if status == HTTPStatus.NOT_FOUND:
            raise ObjectMissing() from error
        if status == HTTPStatus.PRECONDITION_FAILED:
            raise ObjectChanged() from error
        if status and status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise StorageUnavailable() from error
        raise
    except (BotoConnectionError, HTTPClientError, _DeadlinePassed) as error:
        raise StorageUnavailable() from error


# The moment (time.monotonic) by which the S3 calls of the current request must be answered.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("uploads_s3_deadline", default=None)


class _DeadlinePassed(Exception):
    """Raised before botocore sends another attempt once the deadline has passed."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every S3 call inside answers within ``seconds`` from now, all calls and retries together,
    or raises ``StorageUnavailable``. A deadline inside another never extends it."""
    ends = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(ends if outer is None else min(outer, ends))
    try:
        yield
    finally:
        _deadline.reset(token)


# What one S3 request's call gives back (a reply dict, bytes, …), for _request to pass on.
_Reply = TypeVar("_Reply")


def _request(call: Callable[[BaseClient], _Reply]) -> _Reply:
    """Run ``call(client)`` (one S3 request and the reading of its reply), with S3's errors turned
    into the app's, within the current deadline if there is one.

    botocore's timeouts hold per attempt, and a silent S3 costs every attempt's read timeout; a
    deadline needs a clock outside the call. So within one the call runs on a worker thread and
    the caller waits at most until the deadline; the abandoned attempt stops at its own timeout
    and sends no retry after the deadline (``_refuse_after_deadline``).
    """
    s3 = client()
    ends = _deadline.get()
    with _storage_errors():
        if ends is None:
            return call(s3)
        _watch(s3)
        future = _workers().submit(contextvars.copy_context().run, call, s3)
        try:
            return future.result(timeout=max(0.0, ends - time.monotonic()))
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise _DeadlinePassed() from None


@functools.lru_cache(maxsize=1)
def _workers():
    return concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="uploads-s3")


_watched = weakref.WeakSet()


def _watch(s3: BaseClient) -> None:
    if s3 not in _watched:
        s3.meta.events.register_first("before-send.s3", _refuse_after_deadline, unique_id="uploads-deadline")
        _watched.add(s3)


def _refuse_after_deadline(**kwargs) -> None:
    ends = _deadline.get()
    if ends is not None and time.monotonic() >= ends:
        raise _DeadlinePassed()


@dataclass(frozen=True)
class ListedObject:
    key: str
    last_modified: datetime


def list_pages(prefix: str, *, page_size: int = 1000) -> Iterator[list[ListedObject]]:
    """The objects under ``prefix``, one page (a list of at most ``page_size``) at a time, in key order.

    Each page is one ``ListObjectsV2`` request, so a bucket of any size never sits in memory at once.
    """
    paginator = client().get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=bucket_name(), Prefix=prefix, PaginationConfig={"PageSize": page_size})
    with _storage_errors():
        for page in pages:
            yield [ListedObject(item["Key"], item["LastModified"]) for item in page.get("Contents", [])]


def delete_many(keys: Sequence[str]) -> dict[str, str]:
    """Delete up to 1000 objects in one request; return ``{key: reason}`` for those S3 would not delete.

    Keys that are already gone count as deleted, as with ``delete``.
    """
    if not keys:
        return {}
    reply = _request(
        lambda s3: s3.delete_objects(
            Bucket=bucket_name(), Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
        )
    )
    return {error["Key"]: error.get("Message") or error.get("Code", "") for error in reply.get("Errors", [])}


# --- Multipart uploads: a file above MULTIPART_THRESHOLD goes to S3 in parts -----------------


def create_multipart(key: str, *, content_type: str) -> str:
    """Start a multipart upload of ``key`` whose parts S3 checks against the SHA-256 each is sent
    with (the object's checksum is then COMPOSITE); return S3's id of it."""
    reply = _request(
        lambda s3: s3.create_multipart_upload(
            Bucket=bucket_name(),
            Key=key,
            ContentType=content_type,
            ChecksumAlgorithm="SHA256",
            ChecksumType="COMPOSITE",
        )
    )
    return reply["UploadId"]


def presign_part(key: str, upload_id: str, number: int, *, sha256: str, size: int, expires: int) -> str:
    """A PUT URL for part ``number`` that S3 honours only for ``size`` bytes whose SHA-256 is
    ``sha256``: the browser sends the header ``x-amz-checksum-sha256: <sha256>`` (the URL signs it,
    so without it S3 answers 403) and S3 refuses any other bytes (400 BadDigest)."""
    return client().generate_presigned_url(
        "upload_part",
        Params={
            "Bucket": bucket_name(),
            "Key": key,
            "UploadId": upload_id,
            "PartNumber": number,
            "ChecksumSHA256": sha256,
            "ContentLength": size,
        },
        ExpiresIn=expires,
    )


@dataclass(frozen=True)
class StoredPart:
    number: int
    size: int
    etag: str


def _no_such_upload(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "NoSuchUpload"


def list_parts(key: str, upload_id: str, *, page_size: int = 1000) -> list[StoredPart] | None:
    """The parts S3 holds of a multipart upload, in order, ``page_size`` parts per request; None
    when S3 no longer knows the upload: it was completed or aborted."""

    def page(s3: BaseClient, marker: int):
        try:
            return s3.list_parts(
                Bucket=bucket_name(), Key=key, UploadId=upload_id, PartNumberMarker=marker, MaxParts=page_size
            )
        except ClientError as error:
            if _no_such_upload(error):
                return None
            raise

    parts, marker = [], 0
    while True:
        reply = _request(functools.partial(page, marker=marker))
        if reply is None:
            return None
        parts += [
            StoredPart(item["PartNumber"], item["Size"], item["ETag"].strip('"'))
            for item in reply.get("Parts", [])
        ]
        if not reply.get("IsTruncated"):
            return parts
        marker = reply["NextPartNumberMarker"]


def complete_multipart(key: str, upload_id: str, parts: Iterable[tuple[int, str, str]]) -> bool:
    """Assemble the parts ``[(number, etag, sha256)]`` into the object; False when S3 no longer knows
    the upload (completed already, or aborted).

    Raises ``ObjectChanged`` when a part is not the one listed any more (sent again meanwhile), and
    ``BadDigest`` when S3 holds a part whose bytes are not those of its digest.
    """

    def complete(s3: BaseClient):
        try:
            s3.complete_multipart_upload(
                Bucket=bucket_name(),
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [
                        {"PartNumber": number, "ETag": f'"{etag}"', "ChecksumSHA256": sha256}
                        for number, etag, sha256 in parts
                    ]
                },
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if _no_such_upload(error):
                return False
            if code == "BadDigest":
                raise BadDigest() from error
            if code == "InvalidPart":
                raise ObjectChanged() from error
            raise
        return True

    return _request(complete)


class BadDigest(Exception):
    """S3 holds a part whose bytes are not those of the SHA-256 it was to be assembled with."""


def abort_multipart(key: str, upload_id: str) -> None:
    """Abort a multipart upload: S3 drops its parts and takes no more. One that S3 no longer knows
    (completed or aborted) is not an error."""

    def abort(s3: BaseClient):
        try:
            s3.abort_multipart_upload(Bucket=bucket_name(), Key=key, UploadId=upload_id)
        except ClientError as error:
            if not _no_such_upload(error):
                raise

    _request(abort)


@dataclass(frozen=True)
class ListedUpload:
    key: str
    upload_id: str
    initiated: datetime


def list_multipart_pages(prefix: str, *, page_size: int = 1000) -> Iterator[list[ListedUpload]]:
    """The bucket's unfinished multipart uploads under ``prefix``, a page (a list of at most
    ``page_size``) per ``ListMultipartUploads`` request."""
    paginator = client().get_paginator("list_multipart_uploads")
    pages = paginator.paginate(Bucket=bucket_name(), Prefix=prefix, PaginationConfig={"PageSize": page_size})
    with _storage_errors():
        for page in pages:
            yield [
                ListedUpload(item["Key"], item["UploadId"], item["Initiated"].astimezone(UTC))
                for item in page.get("Uploads", [])
            ]
