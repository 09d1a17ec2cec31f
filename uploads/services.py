"""What the API does, as plain functions over rows: the views only parse and reply.

Each view makes one call here, for uploads of either kind: sent in one POST, or in parts (the
S3 multipart steps are ``uploads.multipart``'s, called from here). Services take plain values and
return rows or dataclasses; they never see the request. The one thing a view passes in that is
not a value is ``create_upload``'s ``within_limits``: the per-user rate limits, which count the
request, are held while the upload is recorded.
"""

import contextlib
import datetime
import functools
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from uploads import attachments, conf, keys, multipart, publishing, s3, tasks, variants, verify
from uploads.errors import (
    Forbidden,
    InUse,
    InvalidField,
    NotFound,
    NotMultipart,
    NotPending,
    NotReviewable,
    ObjectMissing,
    ReasonNeeded,
    SentInParts,
    StorageUnavailable,
    UploadExpired,
    VerificationFailed,
)
from uploads.models import Decision, Upload, Variant
from uploads.signals import upload_deleted, upload_failed, upload_reviewed, upload_verified

logger = logging.getLogger("uploads")
# An upload's id as a URL or a form gives it, or as a row holds it.
UploadId = uuid.UUID | str
# Who looks at an upload: a user, the anonymous user, or nobody known (None).
Viewer = AbstractBaseUser | AnonymousUser | None
# How much more than SNIFF_BYTES to read, once, when an image's header runs past the first window.
LARGER_READ = 16


@dataclass(frozen=True)
class Created:
    """What ``create_upload`` gives: the new pending ``row`` and its POST ``policy`` (None for an
    upload in parts), or, when ``duplicate``, the owner's verified upload of the same bytes."""

    row: Upload
    policy: dict[str, Any] | None = None
    duplicate: bool = False


def create_upload(
    owner: AbstractBaseUser,
    declared: verify.Declared,
    *,
    within_limits: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
) -> Created:
    """Start an upload of the ``declared`` file for ``owner``, if their account may upload its profile.

    The owner's verified upload of the same bytes is given back instead, and no second copy is
    made. Otherwise the pending row is recorded, while ``within_limits()`` holds the owner's rate
    limits, with a POST policy signed for exactly its key, type, size (and digest), or, for a file
    above ``MULTIPART_THRESHOLD``, with S3's multipart upload started.
    """
    if not may_start(owner, declared.profile):
        message = gettext("Your account may not upload %(profile)s files.")
        raise Forbidden(message % {"profile": declared.profile}, field="profile")
    if existing := already_uploaded(owner, declared):
        return Created(existing, duplicate=True)
    in_parts = multipart.goes_in_parts(declared.size)
    with within_limits():
        expires = conf.get("EXPIRES", declared.profile)
        row = Upload(
            owner=owner,
            profile=declared.profile,
            filename=keys.display_name(declared.filename),
            content_type=declared.content_type,
            size=declared.size,
            # In parts, S3 checks each part's digest and never the whole file's (see uploads.multipart).
            sha256="" if in_parts else declared.sha256,
            expires_at=timezone.now() + datetime.timedelta(seconds=expires),
        )
        row.key = keys.build_key(
            owner.pk,
            declared.filename,
            declared.content_type,
            token=row.id,
            profile=row.profile,
            location=s3.location(),
        )
        policy = None
        if in_parts:
            multipart.start(row)
        else:
            policy = s3.presign_post(
                row.key, content_type=row.content_type, size=row.size, expires=expires, sha256=row.sha256
            )
        row.save(force_insert=True)
    return Created(row, policy)


def may_start(user: AbstractBaseUser, profile: str) -> bool:
    """Whether ``user`` may start uploads of ``profile``: its PERMISSION, a codename or a callable."""
    permission = conf.get("PERMISSION", profile)
    if permission is None:
        return True
    if callable(permission):
        return bool(permission(user))
    return user.has_perm(permission)


def already_uploaded(owner: AbstractBaseUser, declared: verify.Declared) -> Upload | None:
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
    held = attachments.attached(row.pk for row in candidates)
    return next((row for row in candidates if row.pk not in held), None)


def owned(owner: AbstractBaseUser, upload_id: UploadId, *, for_update: bool = False) -> Upload:
    """The owner's upload with this id; ``NotFound`` for anyone else's, a deleted one or none."""
    rows = Upload.objects.filter(owner=owner).exclude(status=Upload.Status.DELETED)
    if for_update:
        rows = rows.select_for_update()
    try:
        return rows.get(pk=upload_id)
    except Upload.DoesNotExist:
        raise NotFound() from None


def complete_upload(owner: AbstractBaseUser, upload_id: UploadId) -> Upload:
    """Verify the stored object and record it; the same answer every time it is asked.

    An upload in parts is first assembled from the parts S3 holds: ``PartsMissing`` (the row
    stays pending) until every part is there. The row is locked for the whole check so two
    simultaneous calls run one verification. Raises ``ObjectMissing`` (the row stays pending),
    ``VerificationFailed`` (object deleted) or ``UploadExpired``.
    """
    with transaction.atomic():
        row = owned(owner, upload_id, for_update=True)
        if row.status == Upload.Status.PENDING:
            with s3.deadline(conf.get("MULTIPART_DEADLINE" if row.multipart_id else "S3_DEADLINE")):
                _verify_and_record(row)
    if row.status == Upload.Status.FAILED:
        raise VerificationFailed(row.failure_reason)
    if row.status == Upload.Status.EXPIRED:
        raise UploadExpired()
    return row


def _verify_and_record(row: Upload):
    try:
        if row.multipart_id:
            assembled = multipart.assemble(row)
            try:
                etag, image = _verify(row, functools.partial(verify.check_composite, assembled.checksum))
            except ObjectMissing:
                if assembled.listed:
                    raise
                # S3 knows neither the parts nor the object: it aborted the upload.
                row.status = Upload.Status.EXPIRED
                row.save(update_fields=["status"])
                return
        else:
            pinned = functools.partial(verify.check_digest, _declared(row)) if row.sha256 else None
            etag, image = _verify(row, pinned)
    except VerificationFailed as failure:
        _fail(row, failure)
        return
    if not row.sha256 and not row.multipart_id:
        row.key = _keep_verified(row.key, etag)
    record_verified(row, etag, image)


def _fail(row: Upload, failure: VerificationFailed):
    if row.multipart_id:
        multipart.abort(row)
    delete_objects([row.key])
    row.status = Upload.Status.FAILED
    row.failure_reason = failure.message
    row.save(update_fields=["status", "failure_reason"])
    logger.info("Upload %s failed verification: %s", row.pk, failure.message)
    transaction.on_commit(lambda: upload_failed.send(Upload, instance=row))


def record_verified(row: Upload, etag: str, image: verify.ImageInfo) -> None:
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


def _inherit_review(row: Upload):
    """A decision follows the bytes: the same file uploaded again is rejected again (whoever was
    refused it before), and approved again only for the seller it was approved for."""
    if not row.sha256 or publishing.review_of(row.profile) is None:
        return
    same = Upload.objects.filter(
        sha256=row.sha256, profile=row.profile, status=Upload.Status.UPLOADED
    ).exclude(pk=row.pk)
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


def _enqueue_variants(upload_id: UploadId):
    try:
        tasks.enqueue_variants(upload_id)
    except Exception:
        # The queue is down: the upload stays verified, and its due time asks again later.
        logger.exception(
            "Could not enqueue the variants of upload %s; they are asked for again later.", upload_id
        )


def ask_again(rows: Iterable[Upload], *, now: datetime.datetime | None = None) -> list[Upload]:
    """Enqueue the variants of those ``rows`` whose ``variants_due`` has passed (a lost task).

    Each is claimed with a conditional update first, so of two simultaneous callers one enqueues.
    """
    now = now or timezone.now()
    lease = datetime.timedelta(seconds=conf.get("TASK_LEASE"))
    asked = []
    for row in rows:
        if row.variants_due is None or row.variants_due > now:
            continue
        claimed = Upload.objects.filter(pk=row.pk, variants_due=row.variants_due).update(
            variants_due=now + lease
        )
        if claimed:
            row.variants_due = now + lease
            _enqueue_variants(row.pk)
            asked.append(row)
    return asked


def _keep_verified(key: str, etag: str):
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


def _declared(row: Upload):
    return verify.Declared(row.filename, row.content_type, row.size, row.sha256, row.profile)


def _verify(row: Upload, check_checksum: Callable[[str], None] | None):
    """The stored object's ETag and image, or ``VerificationFailed``.

    With nothing pinned (``check_checksum`` None), one ranged GET gives the size, type, ETag and
    first bytes, whatever the file's size. A pinned checksum (a declared SHA-256, or the
    COMPOSITE one the parts of an upload in parts give) costs a HEAD first: the stored checksum
    comes only with it, and ``check_checksum(stored)`` refuses another. Only an image whose
    header runs past the first window costs one more, larger read, pinned to the ETag seen.
    """
    declared = _declared(row)
    window = min(conf.get("SNIFF_BYTES"), row.size)
    if check_checksum is not None:
        # A ranged GET does not carry the stored checksum: ask for it first, then read that object.
        found = s3.head(row.key)
        check_checksum(found.sha256)
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


def delete_upload(owner: AbstractBaseUser, upload_id: UploadId) -> bool:
    """Cancel a pending upload or delete a stored one: the row is kept as deleted, the object goes.

    The object is deleted only once the row says so, so a failure never leaves a row that
    points at nothing; one still sent in parts has its multipart upload aborted first, so no
    part arrives after. Returns whether the object is gone now; when S3 does not answer, it is
    left for the clean-up, which aborts and deletes what deleted rows left.
    """
    row = discard(owner, upload_id)
    try:
        if row.multipart_id and row.verified_at is None:
            with s3.deadline(conf.get("S3_DEADLINE")):
                multipart.abort(row)
        delete_stored([row.key], [row.sha256])
    except StorageUnavailable:
        logger.warning(
            "Upload %s is deleted; S3 did not answer, so the clean-up will delete %s.", row.pk, row.key
        )
        return False
    return True


def discard(owner: AbstractBaseUser, upload_id: UploadId) -> Upload:
    """Mark the owner's upload deleted, and leave its object to ``s3.delete`` or the clean-up.

    An upload that a model's upload field holds is refused (``InUse``): the object would lose it.
    """
    with transaction.atomic():
        row = owned(owner, upload_id, for_update=True)
        if attachments.attached([row.pk]):
            raise InUse()
        row.status = Upload.Status.DELETED
        row.save(update_fields=["status"])
        transaction.on_commit(lambda: upload_deleted.send(Upload, instance=row))
    return row


def release_variants(sources: Iterable[str]) -> list[str]:
    """Delete the variants of ``sources`` (SHA-256s) that no verified upload has any more: their
    rows first, then their objects (an object left by an S3 failure is the clean-up's)."""
    sources = {source for source in sources if source}
    if not sources:
        return []
    still = set(
        Upload.objects.filter(sha256__in=sources, status=Upload.Status.UPLOADED).values_list(
            "sha256", flat=True
        )
    )
    unused = Variant.objects.filter(source__in=sources - still)
    doomed = list(unused.values_list("key", flat=True))
    unused.delete()
    if doomed:
        location = s3.location()
        for start in range(0, len(doomed), 1000):
            s3.delete_many([key for key in doomed[start : start + 1000] if variants.made_here(key, location)])
    return doomed


def delete_stored(object_keys: list[str], sources: list[str]) -> None:
    """After rows are gone: delete their objects, and the variants no verified upload needs now."""
    with s3.deadline(conf.get("S3_DEADLINE")):
        delete_objects(object_keys)
        release_variants(sources)


def delete_objects(object_keys: list[str]) -> None:
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


def view_url(row: Upload, variant: str | None = None) -> str | None:
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
        signed_at = datetime.datetime.fromtimestamp(
            timezone.now().timestamp() // window * window, datetime.UTC
        )
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


def view_link(viewer: Viewer, upload_id: UploadId, variant: str | None = None) -> str | None:
    """A fresh short-lived URL of the verified upload ``upload_id``, or of its made variant
    ``variant``, for a ``viewer`` who may see it (``publishing.may_view``); None otherwise."""
    row = Upload.objects.filter(pk=upload_id, status=Upload.Status.UPLOADED).with_variants().first()
    return visible_url(row, viewer, variant)


def visible_url(row: Upload | None, viewer: Viewer, variant: str | None = None) -> str | None:
    """``view_url`` for a viewer allowed to see the upload (``publishing.may_view``); None otherwise."""
    if row is None or not publishing.may_view(row, viewer):
        return None
    return view_url(row, variant)


def thumbnail_url(row: Upload, viewer: Viewer = None) -> str | None:
    """The URL of the upload's smallest variant, for a thumbnail; None until it is made (the page
    shows a placeholder), and never the original. ``viewer=None``: the caller has checked."""
    name = variants.thumbnail_name(row.profile)
    if name is None or (viewer is not None and not publishing.may_view(row, viewer)):
        return None
    return view_url(row, name)


def variants_json(row: Upload) -> dict[str, dict[str, Any]]:
    """``{name: {url, width, height, size}}`` of the variants made so far."""
    return (
        {
            name: {"url": view_url(row, name), "width": made.width, "height": made.height, "size": made.size}
            for name, made in row.made_variants.items()
        }
        if row.status == Upload.Status.UPLOADED
        else {}
    )


def decide(
    upload_id: UploadId, reviewer: AbstractBaseUser | None, verdict: str, *, reason: str = "", note: str = ""
) -> Decision:
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


def reason_text(decision: Decision) -> str:
    """What a decision's reason says to people: the project's text for its code, and the note."""
    texts = dict(conf.get("REJECTION_REASONS"))
    parts = [str(texts.get(decision.reason, decision.reason)) if decision.reason else "", decision.note]
    return " ".join(part for part in parts if part)


def latest_decisions(rows: Iterable[Upload], *, rejected_only: bool = False) -> dict[uuid.UUID, Decision]:
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


def library(owner: AbstractBaseUser, state: str | None = None) -> QuerySet[Upload]:
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


def leftover_q() -> Q:
    """A ``Q`` for the leftovers of forms never saved: unattached uploads of a profile that
    discards those (``DISCARD_UNATTACHED``); nothing when no profile does."""
    discarding = [name for name in conf.profiles() if conf.get("DISCARD_UNATTACHED", name) is not None]
    if not discarding:
        return Q(pk__in=[])
    return Q(profile__in=discarding) & ~attachments.attached_q()


@dataclass(frozen=True)
class Shown:
    """Uploads as their owner sees them in the API: ``rows`` ready to show (see ``ready``) and
    ``rejections``, the latest decision on each rejected one (``{upload id: Decision}``)."""

    rows: list[Upload]
    rejections: dict[uuid.UUID, Decision]


@dataclass(frozen=True)
class Page(Shown):
    """One page of the owner's uploads: ``number`` of ``pages``, ``count`` uploads in all."""

    count: int = 0
    number: int = 1
    pages: int = 1

    @property
    def next_number(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None

    @property
    def previous_number(self) -> int | None:
        return self.number - 1 if self.number > 1 else None


def shown(rows: Iterable[Upload]) -> Shown:
    """``rows`` ready to show, with the latest decision on each rejected one."""
    rows = ready(rows)
    return Shown(rows, latest_decisions(rows, rejected_only=True))


def detail(owner: AbstractBaseUser, upload_id: UploadId) -> Shown:
    """The owner's upload ``upload_id`` as the API shows it (``NotFound`` as ``owned``)."""
    return shown([owned(owner, upload_id)])


def page(
    owner: AbstractBaseUser, number: object = 1, *, status: str | None = None, profile: str | None = None
) -> Page:
    """Page ``number`` (as the query string gives it) of ``listed``; ``InvalidField`` for a page
    that is not there."""
    paginator = Paginator(
        listed(owner, status=status, profile=profile).with_variants(), conf.get("PAGE_SIZE")
    )
    try:
        found = paginator.page(number)
    except (EmptyPage, PageNotAnInteger):
        message = gettext("There is no page %(page)s.")
        raise InvalidField(message % {"page": repr(number)}, field="page") from None
    ready_rows = shown(found.object_list)
    return Page(ready_rows.rows, ready_rows.rejections, paginator.count, found.number, paginator.num_pages)


def ready(rows: Iterable[Upload]) -> list[Upload]:
    """``rows`` with their variants fetched; those whose variant task was lost are asked for again."""
    rows = list(rows)
    ask_again(rows)
    return rows


def listed(
    owner: AbstractBaseUser, *, status: str | None = None, profile: str | None = None
) -> QuerySet[Upload]:
    """The owner's uploads, newest first, without the deleted ones; of ``status`` and ``profile``
    alone when given (checked by the caller)."""
    rows = Upload.objects.filter(owner=owner).exclude(status=Upload.Status.DELETED)
    if status is not None:
        rows = rows.filter(status=status)
    if profile is not None:
        rows = rows.filter(profile=profile)
    return rows.order_by("-created_at", "pk")


# --- Uploads in parts and renewed policies ---------------------------------------------------


def sign_parts(
    owner: AbstractBaseUser, upload_id: UploadId, wanted: list[tuple[int, str]]
) -> tuple[Upload, list[multipart.SignedPart]]:
    """Record the digests of the ``wanted`` parts, ``[(number, sha256)]``, of the owner's pending
    upload in parts, and sign a PUT URL for each (``multipart.record_digests``, ``multipart.sign``)."""
    with transaction.atomic():
        row = _pending(owner, upload_id, in_parts=True)
        multipart.record_digests(row, wanted)
    return row, multipart.sign(row, wanted)


def stored_parts(
    owner: AbstractBaseUser, upload_id: UploadId
) -> tuple[Upload, list[multipart.HeldPart], list[int]]:
    """The owner's pending upload in parts, the parts S3 holds and the numbers of those still to
    send (``multipart.held``)."""
    row = _pending(owner, upload_id, in_parts=True, for_update=False)
    held, missing = multipart.held(row)
    return row, held, missing


def renew_policy(owner: AbstractBaseUser, upload_id: UploadId) -> tuple[Upload, dict[str, Any]]:
    """A new POST policy for a pending upload sent in one piece: the same key, type, size and
    digest, valid ``EXPIRES`` seconds from now. ``expires_at`` moves with it, so the clean-up
    leaves the upload alone until the new policy has expired too."""
    with transaction.atomic():
        row = _pending(owner, upload_id, in_parts=False)
        expires = conf.get("EXPIRES", row.profile)
        now = timezone.now()
        policy = s3.presign_post(
            row.key, content_type=row.content_type, size=row.size, expires=expires, sha256=row.sha256, now=now
        )
        row.expires_at = now + datetime.timedelta(seconds=expires)
        row.save(update_fields=["expires_at"])
    return row, policy


def _pending(owner: AbstractBaseUser, upload_id: UploadId, *, in_parts: bool, for_update: bool = True):
    """The owner's upload, of the kind asked for, if it may be signed for again: only a pending
    upload of a key this installation made ever is."""
    row = owned(owner, upload_id, for_update=for_update)
    if in_parts and not row.multipart_id:
        raise NotMultipart()
    if not in_parts and row.multipart_id:
        raise SentInParts()
    if row.status == Upload.Status.EXPIRED or not keys.made_here(row.key, s3.location()):
        raise UploadExpired()
    if row.status != Upload.Status.PENDING:
        raise NotPending()
    return row
