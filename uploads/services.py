"""What the API does, as plain functions over rows: the views only parse and reply."""

import datetime
import functools
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from uploads import conf, fields, keys, publishing, s3, tasks, variants, verify
from uploads.errors import (
    InUse,
    NotFound,
    NotReviewable,
    ReasonNeeded,
    StorageUnavailable,
    UploadExpired,
    VerificationFailed,
)
from uploads.models import Decision, Upload, Variant
from uploads.signals import upload_deleted, upload_failed, upload_reviewed, upload_verified

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
    record_verified(row, etag, image)


def record_verified(row, etag, image):
    """Mark ``row`` verified (its ``etag`` and ``image`` dimensions), inside the caller's
    transaction: ``upload_verified`` and the variants' task follow on commit, and a decision
    made before on the same bytes carries over."""
    row.status = Upload.Status.UPLOADED
    row.etag, row.width, row.height = etag, image.width, image.height
    row.verified_at = timezone.now()
    wants_variants = bool(variants.specs(row.profile))
    if wants_variants:
        row.variants_due = row.verified_at + datetime.timedelta(seconds=conf.get("TASK_LEASE"))
    row.save(update_fields=["key", "status", "etag", "width", "height", "verified_at", "variants_due"])
    transaction.on_commit(lambda: upload_verified.send(Upload, instance=row))
    _inherit_review(row)
    if wants_variants:
        # Enqueued once the row is committed, so a worker finds it; complete never waits for it.
        transaction.on_commit(functools.partial(_enqueue_variants, row.pk))


def _inherit_review(row):
    """A decision follows the bytes: the same file uploaded again is rejected again (whoever was
    refused it before), and approved again only for the seller it was approved for."""
    if not row.sha256 or publishing.review_of(row.profile) is None:
        return
    same = Upload.objects.filter(sha256=row.sha256, profile=row.profile, status=Upload.Status.UPLOADED).exclude(pk=row.pk)
    earlier = (
        same.filter(review=Upload.Review.REJECTED).first()
        or same.filter(review=Upload.Review.APPROVED, owner_id=row.owner_id).first()
    )
    if earlier is None:
        return
    decided = latest_decisions([earlier]).get(earlier.pk)
    decision = Decision.objects.create(
        upload=row,
        reviewer=None,  # decided by the app, from the earlier decision on the same bytes
        before=row.review,
        after=earlier.review,
        reason=decided.reason if decided else "",
        note=decided.note if decided else "",
    )
    row.review = earlier.review
    row.save(update_fields=["review"])
    transaction.on_commit(lambda: upload_reviewed.send(Upload, instance=row, decision=decision))


def _enqueue_variants(upload_id):
    try:
        tasks.enqueue_variants(upload_id)
    except Exception:
        # The queue is down: the upload stays verified, and its due time asks again later.
        logger.exception("Could not enqueue the variants of upload %s; they are asked for again later.", upload_id)


def ask_again(rows, *, now=None):
    """Enqueue the variants of those ``rows`` whose ``variants_due`` has passed (a lost task).

    Each is claimed with a conditional update first, so of two simultaneous callers one enqueues.
    """
    now = now or timezone.now()
    lease = datetime.timedelta(seconds=conf.get("TASK_LEASE"))
    asked = []
    for row in rows:
        if row.variants_due is None or row.variants_due > now:
            continue
        claimed = Upload.objects.filter(pk=row.pk, variants_due=row.variants_due).update(variants_due=now + lease)
        if claimed:
            row.variants_due = now + lease
            _enqueue_variants(row.pk)
            asked.append(row)
    return asked


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
        delete_stored([row.key], [row.sha256])
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


def release_variants(sources):
    """Delete the variants of ``sources`` (SHA-256s) that no verified upload has any more: their
    rows first, then their objects (an object left by an S3 failure is the clean-up's)."""
    sources = {source for source in sources if source}
    if not sources:
        return []
    still = set(
        Upload.objects.filter(sha256__in=sources, status=Upload.Status.UPLOADED).values_list("sha256", flat=True)
    )
    unused = Variant.objects.filter(source__in=sources - still)
    doomed = list(unused.values_list("key", flat=True))
    unused.delete()
    if doomed:
        location = s3.location()
        for start in range(0, len(doomed), 1000):
            s3.delete_many([key for key in doomed[start : start + 1000] if variants.made_here(key, location)])
    return doomed


def delete_stored(object_keys, sources):
    """After rows are gone: delete their objects, and the variants no verified upload needs now."""
    with s3.deadline(conf.get("S3_DEADLINE")):
        delete_objects(object_keys)
        release_variants(sources)


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


def view_url(row, variant=None):
    """A short-lived GET URL for a verified upload, or for its made variant ``variant``; None
    before it is verified or made. Who may see it is the caller's question (``visible_url``)."""
    if row.status != Upload.Status.UPLOADED:
        return None
    stem = row.key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if variant is not None:
        made = row.variant(variant)
        if made is None:
            return None
        extension = made.key.rsplit(".", 1)[-1]
        # A variant's bytes never change under its key: sign it at the start of the current
        # window, so every page within it gets the same URL and the browser's cache serves it
        # again; it stays valid at least VIEW_EXPIRES seconds after the page was made.
        window = conf.get("VIEW_EXPIRES")
        signed_at = datetime.datetime.fromtimestamp(timezone.now().timestamp() // window * window, datetime.UTC)
        return s3.presign_get(
            made.key,
            content_type=made.content_type,
            filename=f"{stem}-{variant}.{extension}",
            expires=2 * window,
            now=signed_at,
        )
    return s3.presign_get(
        row.key,
        content_type=row.content_type,
        filename=row.key.rsplit("/", 1)[-1],
        expires=conf.get("VIEW_EXPIRES"),
    )


def viewable(viewer, upload_id):
    """The verified upload ``upload_id`` if ``viewer`` may see it (``publishing.may_view``), else None."""
    row = Upload.objects.filter(pk=upload_id, status=Upload.Status.UPLOADED).with_variants().first()
    return row if row is not None and publishing.may_view(row, viewer) else None


def visible_url(row, viewer, variant=None):
    """``view_url`` for a viewer allowed to see the upload (``publishing.may_view``); None otherwise."""
    if row is None or not publishing.may_view(row, viewer):
        return None
    return view_url(row, variant)


def thumbnail_url(row, viewer=None):
    """The URL of the upload's smallest variant, for a thumbnail; None until it is made (the page
    shows a placeholder), and never the original. ``viewer=None``: the caller has checked."""
    name = variants.thumbnail_name(row.profile)
    if name is None or (viewer is not None and not publishing.may_view(row, viewer)):
        return None
    return view_url(row, name)


def variants_json(row):
    """``{name: {url, width, height, size}}`` of the variants made so far."""
    return {
        name: {"url": view_url(row, name), "width": made.width, "height": made.height, "size": made.size}
        for name, made in row.made_variants.items()
    } if row.status == Upload.Status.UPLOADED else {}


def decide(upload_id, reviewer, verdict, *, reason="", note=""):
    """Approve or reject an upload (``verdict``), record the decision and send ``upload_reviewed``.

    A rejection needs a reason: a code of ``REJECTION_REASONS``, or a note, or both. Raises
    ``NotFound``, ``NotReviewable`` (not verified) or ``ReasonNeeded``.
    """
    codes = [code for code, _text in conf.get("REJECTION_REASONS")]
    note = note.strip()
    if reason and reason not in codes:
        raise ReasonNeeded(field="reason")
    if verdict == Upload.Review.REJECTED and not (reason or note):
        raise ReasonNeeded(field="reason")
    with transaction.atomic():
        row = Upload.objects.select_for_update().filter(pk=upload_id).first()
        if row is None:
            raise NotFound()
        if row.status != Upload.Status.UPLOADED:
            raise NotReviewable()
        decision = Decision.objects.create(
            upload=row, reviewer=reviewer, before=row.review, after=verdict, reason=reason, note=note
        )
        row.review = verdict
        row.save(update_fields=["review"])
        transaction.on_commit(lambda: upload_reviewed.send(Upload, instance=row, decision=decision))
    return decision


def reason_text(decision):
    """What a decision's reason says to people: the project's text for its code, and the note."""
    texts = dict(conf.get("REJECTION_REASONS"))
    parts = [str(texts.get(decision.reason, decision.reason)) if decision.reason else "", decision.note]
    return " ".join(part for part in parts if part)


def latest_decisions(rows, *, rejected_only=False):
    """``{upload id: latest Decision}`` for ``rows``, in one query (none when no row qualifies)."""
    latest = {}
    ids = [row.pk for row in rows if not rejected_only or row.review == Upload.Review.REJECTED]
    if not ids:
        return latest
    for decision in Decision.objects.filter(upload__in=ids).order_by("upload", "-decided_at", "-pk"):
        latest.setdefault(decision.upload_id, decision)
    return latest


# The library's view of what ``library`` leaves out: uploads nothing uses, which the clean-up removes.
NOT_USED = "not_used"


def library(owner, state=None):
    """The owner's images as their library shows them, newest first: verified and failed ones,
    without the leftovers of forms never saved or images taken off a product (an unattached
    upload of a profile that discards unattached ones); ``state`` one of ``publishing.STATES``
    narrows it, and ``NOT_USED`` gives those leftovers alone (to delete them before the clean-up)."""
    rows = Upload.objects.filter(owner=owner, status__in=[Upload.Status.UPLOADED, Upload.Status.FAILED])
    if state == NOT_USED:
        rows = rows.filter(leftover_q())
    else:
        if state is not None:
            rows = rows.filter(publishing.state_q(state))
        rows = rows.exclude(leftover_q())
    return rows.with_variants().order_by("-created_at", "pk")


def leftover_q():
    """A ``Q`` for the leftovers of forms never saved: unattached uploads of a profile that
    discards those (``DISCARD_UNATTACHED``); nothing when no profile does."""
    discarding = [name for name in conf.profiles() if conf.get("DISCARD_UNATTACHED", name) is not None]
    if not discarding:
        return Q(pk__in=[])
    return Q(profile__in=discarding) & ~fields.attached_q()


def ready(rows):
    """``rows`` with their variants fetched; those whose variant task was lost are asked for again."""
    rows = list(rows)
    ask_again(rows)
    return rows


def listed(owner, *, status=None, profile=None):
    """The owner's uploads, newest first, without the deleted ones; of ``status`` and ``profile``
    alone when given (checked by the caller)."""
    rows = Upload.objects.filter(owner=owner).exclude(status=Upload.Status.DELETED)
    if status is not None:
        rows = rows.filter(status=status)
    if profile is not None:
        rows = rows.filter(profile=profile)
    return rows.order_by("-created_at", "pk")
