"""What the API does, as plain functions over rows: the views only parse and reply."""

import datetime
import functools
import logging

from django.db import transaction
from django.utils import timezone

from uploads import conf, fields, keys, s3, verify
from uploads.errors import InUse, NotFound, UploadExpired, VerificationFailed
from uploads.models import Upload
from uploads.signals import upload_deleted, upload_failed, upload_verified

logger = logging.getLogger("uploads")
# How much more than SNIFF_BYTES to read, once, when an image's header runs past the first window.
LARGER_READ = 16


def create_upload(owner, declared):
    """Record a pending upload and sign a POST policy for exactly its key, type, size (and digest)."""
    expires = conf.get("EXPIRES", declared.profile)
    row = Upload(
        owner=owner,
        profile=declared.profile,
        filename=keys.display_name(declared.filename),
        content_type=declared.content_type,
        size=declared.size,
        sha256=declared.sha256,
        expires_at=timezone.now() + datetime.timedelta(seconds=expires),
    )
    row.key = keys.build_key(owner.pk, declared.filename, declared.content_type, token=row.id, profile=row.profile)
    policy = s3.presign_post(
        row.key, content_type=row.content_type, size=row.size, expires=expires, sha256=row.sha256
    )
    row.save(force_insert=True)
    return row, policy


def may_start(user, profile):
    """Whether ``user`` may start uploads of ``profile``: its PERMISSION, a codename or a callable."""
    permission = conf.get("PERMISSION", profile)
    if permission is None:
        return True
    if callable(permission):
        return bool(permission(user))
    return user.has_perm(permission)


def already_uploaded(owner, declared):
    """The owner's verified, unattached upload of exactly these bytes, if there is one (needs a digest)."""
    if not declared.sha256:
        return None
    same = Upload.objects.filter(
        owner=owner,
        status=Upload.Status.UPLOADED,
        sha256=declared.sha256,
        size=declared.size,
        content_type=declared.content_type,
        profile=declared.profile,
    ).order_by("created_at")
    # An upload that something already holds cannot be offered again: the same photo in a second
    # product is a second upload, or that product's form would refuse it on save.
    candidates = list(same[:5])  # a few: the same bytes are rarely uploaded more than twice
    held = fields.attached(row.pk for row in candidates)
    return next((row for row in candidates if row.pk not in held), None)


def owned(owner, upload_id, *, for_update=False):
    """The owner's upload with this id; ``NotFound`` for anyone else's, a deleted one or none."""
    rows = Upload.objects.filter(owner=owner).exclude(status=Upload.Status.DELETED)
    if for_update:
        rows = rows.select_for_update()
    try:
        return rows.get(pk=upload_id)
    except Upload.DoesNotExist:
        raise NotFound() from None


def complete_upload(owner, upload_id):
    """Verify the stored object and record it; the same answer every time it is asked.

    The row is locked for the whole check so two simultaneous calls run one verification.
    Raises ``ObjectMissing`` (the row stays pending) or ``VerificationFailed`` (object deleted).
    """
    with transaction.atomic():
        row = owned(owner, upload_id, for_update=True)
        if row.status == Upload.Status.PENDING:
            _verify_and_record(row)
    if row.status == Upload.Status.FAILED:
        raise VerificationFailed(row.failure_reason)
    if row.status == Upload.Status.EXPIRED:
        raise UploadExpired()
    return row


def _verify_and_record(row):
    try:
        etag, image = _verify(row)
    except VerificationFailed as failure:
        s3.delete(row.key)
        row.status = Upload.Status.FAILED
        row.failure_reason = failure.message
        row.save(update_fields=["status", "failure_reason"])
        logger.info("Upload %s failed verification: %s", row.pk, failure.message)
        transaction.on_commit(lambda: upload_failed.send(Upload, instance=row))
        return
    row.status = Upload.Status.UPLOADED
    row.etag, row.width, row.height = etag, image.width, image.height
    row.verified_at = timezone.now()
    row.save(update_fields=["status", "etag", "width", "height", "verified_at"])
    transaction.on_commit(lambda: upload_verified.send(Upload, instance=row))


def _verify(row):
    """One ranged GET gives the size, type, ETag and first bytes, whatever the file's size.

    A declared digest costs a HEAD first (the stored SHA-256 comes only with it). Only an image
    whose header runs past the first window costs one more, larger read, pinned to the ETag seen.
    """
    declared = verify.Declared(row.filename, row.content_type, row.size, row.sha256, row.profile)
    window = min(conf.get("SNIFF_BYTES"), row.size)
    if row.sha256:
        # A ranged GET does not carry the stored digest: ask for it first, then read that object.
        found = s3.head(row.key)
        verify.check_digest(declared, found.sha256)
        head = s3.read_head(row.key, window, etag=found.etag) if found.size == row.size else b""
    else:
        found, head = s3.read_start(row.key, window)
    check = functools.partial(
        verify.check_object,
        declared,
        size=found.size,
        content_type=found.content_type,
        extra_headers=found.extra_headers,
    )
    try:
        return found.etag, check(head=head)
    except verify.HeaderIncomplete:
        larger = min(window * LARGER_READ, row.size)
        return found.etag, check(head=s3.read_head(row.key, larger, etag=found.etag), final=True)


def delete_upload(owner, upload_id):
    """Cancel a pending upload or delete a stored one: the row is kept as deleted, the object goes.

    The object is deleted only once the row says so, so a failure never leaves a row that
    points at nothing; an object left by a failed delete is for the clean-up to find.
    """
    row = discard(owner, upload_id)
    s3.delete(row.key)
    return row


def discard(owner, upload_id):
    """Mark the owner's upload deleted, and leave its object to ``s3.delete`` or the clean-up.

    An upload that a model's upload field holds is refused (``InUse``): the object would lose it.
    """
    with transaction.atomic():
        row = owned(owner, upload_id, for_update=True)
        if fields.attached([row.pk]):
            raise InUse()
        row.status = Upload.Status.DELETED
        row.save(update_fields=["status"])
        transaction.on_commit(lambda: upload_deleted.send(Upload, instance=row))
    return row


def view_url(row):
    """A short-lived GET URL for a verified upload, or None before it is verified."""
    if row.status != Upload.Status.UPLOADED:
        return None
    return s3.presign_get(
        row.key,
        content_type=row.content_type,
        filename=row.key.rsplit("/", 1)[-1],
        expires=conf.get("VIEW_EXPIRES"),
    )


def listed(owner):
    """The owner's uploads, newest first, without the deleted ones."""
    return Upload.objects.filter(owner=owner).exclude(status=Upload.Status.DELETED).order_by("-created_at", "pk")
