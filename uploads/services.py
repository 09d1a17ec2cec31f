"""What the API does, as plain functions over rows: the views only parse and reply."""

import datetime
import functools
import logging

from django.db import transaction
from django.utils import timezone

from uploads import conf, fields, keys, s3, verify
from uploads.errors import InUse, NotFound, StorageUnavailable, UploadExpired, VerificationFailed
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
    row.key = keys.build_key(
        owner.pk, declared.filename, declared.content_type, token=row.id, profile=row.profile, location=s3.location()
    )
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
    with transaction.atomic(), s3.deadline(conf.get("S3_DEADLINE")):
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
        delete_objects([row.key])
        row.status = Upload.Status.FAILED
        row.failure_reason = failure.message
        row.save(update_fields=["status", "failure_reason"])
        logger.info("Upload %s failed verification: %s", row.pk, failure.message)
        transaction.on_commit(lambda: upload_failed.send(Upload, instance=row))
        return
    if not row.sha256:
        row.key = _keep_verified(row.key, etag)
    row.status = Upload.Status.UPLOADED
    row.etag, row.width, row.height = etag, image.width, image.height
    row.verified_at = timezone.now()
    row.save(update_fields=["key", "status", "etag", "width", "height", "verified_at"])
    transaction.on_commit(lambda: upload_verified.send(Upload, instance=row))


def _keep_verified(key, etag):
    """Copy the verified bytes to a key no policy names, and return that key.

    Without a pinned digest, the upload's policy could store other bytes under its key until it
    expires; the copy (made only if the object is still the one verified) is what the row points
    at from now on. The signed key is deleted; if S3 fails at that, the clean-up removes it later.
    """
    kept = keys.verified_key(key)
    s3.copy(key, kept, etag=etag)
    try:
        s3.delete(key)
    except StorageUnavailable:
        logger.warning("Could not delete %s after copying it to %s; the clean-up will.", key, kept)
    return kept


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
    points at nothing. Returns whether the object is gone now; when S3 does not answer, it is
    left for the clean-up, which deletes the objects of deleted rows.
    """
    row = discard(owner, upload_id)
    try:
        with s3.deadline(conf.get("S3_DEADLINE")):
            delete_objects([row.key])
    except StorageUnavailable:
        logger.warning("Upload %s is deleted; S3 did not answer, so the clean-up will delete %s.", row.pk, row.key)
        return False
    return True


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


def delete_objects(object_keys):
    """Delete the objects of these keys that this installation made; never any other.

    A row can name a key this installation did not make: a database copied from another
    installation that shares the bucket, or a row from before keys carried an installation id.
    Those objects are left alone (the clean-up reports them).
    """
    location = s3.location()
    ours = [key for key in object_keys if keys.made_here(key, location)]
    for key in sorted(set(object_keys) - set(ours)):
        logger.warning("Not deleting %s: this installation did not make it.", key)
    if len(ours) == 1:
        s3.delete(ours[0])
        return
    for start in range(0, len(ours), 1000):  # S3 takes at most 1000 keys a request
        s3.delete_many(ours[start : start + 1000])


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
