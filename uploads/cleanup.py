"""Clean-up of what uploads leave behind, safe to run at any time and as often as wanted.

Five passes, each its own small steps, so an S3 failure part-way leaves every row and object
consistent and the next run simply carries on:

1. Pending uploads whose policy expired more than ``grace`` ago are settled: verified exactly
   as ``complete`` would (the browser may have died after S3 took the file), or marked expired
   when no file arrived. S3 refuses a POST once its policy has expired, so none can come later.
   An upload in parts whose part URLs all expired is completed when S3 holds every part, and
   otherwise marked expired and its multipart upload aborted.
2. For profiles with ``DISCARD_UNATTACHED``, verified uploads that no model's upload field holds
   and that were verified longer ago than that are marked deleted; the next pass deletes their
   objects with the rest, a page at a time.
3. Variants whose source no verified upload has any more are deleted (row, then object), and
   the variants of uploads whose task was lost (``variants_due`` passed) are asked for again.
4. The bucket is listed under each profile's area (``<location>/<prefix>/``) a page at a time.
   Only an object this installation can prove it made is ever deleted: its key lies under one
   of this installation's roots, in the exact shape the app builds (``keys.made_here``). Of
   those, one is deleted when no row points at it and it is older than ``grace`` (an orphan),
   or when its row is failed, deleted or expired (a leftover). Objects of uploaded and pending
   rows are never touched. Everything else under the area (the project's own files, another
   installation's uploads, keys from before installation ids) is reported and kept. A variant's
   object (its key in the exact shape ``variants.key`` builds) is deleted when no ``Variant``
   row names it and it is older than ``grace``.
5. The bucket's unfinished multipart uploads are listed under each profile's area, and those
   this installation made (``keys.made_here``) are aborted unless a pending row is still sending
   them: their row is finished or deleted, or there is none and they started before ``grace``.
   Another installation's are reported and kept.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from uploads import attachments, conf, keys, multipart, s3, services, variants
from uploads.errors import (
    InUse,
    ObjectChanged,
    ObjectMissing,
    PartsMissing,
    UploadExpired,
    VerificationFailed,
)
from uploads.models import Upload, Variant

VERIFY, EXPIRE, DISCARD, DELETE, KEEP = "verify", "expire", "discard", "delete", "keep"
RELEASE, ASK_AGAIN, ABORT = "release", "ask again", "abort"
UPLOADED, FAILED, LEFT_PENDING, NOT_DELETED = "uploaded", "failed", "left pending", "not deleted"
# Rows that will never point at a wanted object again: nothing moves a row out of these.
FINISHED = (Upload.Status.FAILED, Upload.Status.DELETED, Upload.Status.EXPIRED)
ROW_BATCH = 500


@dataclass(frozen=True)
class Action:
    """One thing the clean-up did, or with ``dry_run`` would do, to one object key.

    ``reason`` is known before acting, so a dry run prints the same; ``outcome`` (``uploaded``,
    ``failed``, ``left pending``, ``not deleted``) and its ``detail`` only when it really runs
    and the result is not simply the action itself.
    """

    kind: str
    key: str
    reason: str
    outcome: str = ""
    detail: str = ""

    def __str__(self) -> str:
        line = f"{self.kind} {self.key} ({self.reason})"
        if self.outcome:
            line += f" -> {self.outcome}"
        return f"{line}: {self.detail}" if self.detail else line


def run(
    *,
    now: datetime.datetime | None = None,
    grace: datetime.timedelta | None = None,
    dry_run: bool = False,
    page_size: int = 1000,
) -> Iterator[Action]:
    """Settle abandoned uploads, then delete orphaned and leftover objects; yield each ``Action``.

    ``grace`` is a ``timedelta`` (default: the ``CLEANUP_GRACE`` setting). Raises
    ``StorageUnavailable`` when S3 stops answering; what was done until then stays done.
    """
    now = now or timezone.now()
    if grace is None:
        grace = datetime.timedelta(seconds=conf.get("CLEANUP_GRACE"))
    cutoff = now - grace
    yield from settle_abandoned(cutoff, dry_run=dry_run)
    yield from discard_unattached(now, dry_run=dry_run)
    yield from release_unused_variants(dry_run=dry_run)
    yield from ask_again_for_variants(now, dry_run=dry_run)
    yield from sweep_bucket(cutoff, dry_run=dry_run, page_size=page_size)
    yield from abort_unfinished(cutoff, dry_run=dry_run, page_size=page_size)


def settle_abandoned(cutoff: datetime.datetime, *, dry_run: bool = False) -> Iterator[Action]:
    """Verify or expire each pending upload whose policy expired before ``cutoff``."""
    location = s3.location()
    for row in _abandoned(cutoff):
        if not keys.made_here(row.key, location):
            # A row of another installation (a copied database) or from before installation ids:
            # verifying it could delete or copy objects that are not ours.
            yield Action(
                KEEP, row.key, f"upload {row.pk} still pending, its key not made by this installation"
            )
            continue
        reason = f"upload {row.pk} still pending, policy expired {row.expires_at:%Y-%m-%dT%H:%M:%SZ}"
        if dry_run:
            yield _settle_dry(row, reason)
            continue
        action = _settle(row, reason, cutoff)
        if action:
            yield action


def _abandoned(cutoff: datetime.datetime):
    rows = Upload.objects.filter(status=Upload.Status.PENDING, expires_at__lt=cutoff).select_related("owner")
    for batch in _batches(rows):
        yield from batch


def _settle_dry(row: Upload, reason: str):
    if row.multipart_id:
        if multipart.all_parts_stored(row):
            return Action(VERIFY, row.key, f"{reason}, all parts found")
        return Action(EXPIRE, row.key, f"{reason}, parts missing")
    try:
        s3.head(row.key)
    except ObjectMissing:
        return Action(EXPIRE, row.key, f"{reason}, no file")
    return Action(VERIFY, row.key, f"{reason}, file found")


def _settle(row: Upload, reason: str, cutoff: datetime.datetime):
    # The row stays locked from the check to the change, so a ``complete`` arriving meanwhile
    # waits and then sees the settled row; one renewed or signed for since we listed it is left.
    with transaction.atomic():
        pending = Upload.objects.select_for_update().filter(pk=row.pk, status=Upload.Status.PENDING)
        expires_at = pending.values_list("expires_at", flat=True).first()
        if expires_at is None or expires_at >= cutoff:
            return None  # settled by someone else, or given a new policy, since we listed it
        try:
            verified = services.complete_upload(row.owner, row.pk)
        except ObjectMissing:
            Upload.objects.filter(pk=row.pk).update(status=Upload.Status.EXPIRED)
            return Action(EXPIRE, row.key, f"{reason}, no file")
        except PartsMissing:
            multipart.abandon(row)
            return Action(EXPIRE, row.key, f"{reason}, parts missing")
        except UploadExpired:
            return Action(EXPIRE, row.key, f"{reason}, its multipart upload gone")
        except VerificationFailed as failure:
            return Action(
                VERIFY, row.key, f"{reason}, file found", FAILED, f"{failure.message} Object deleted."
            )
        except ObjectChanged:
            changed = "the file changed while it was checked"
            return Action(VERIFY, row.key, f"{reason}, file found", LEFT_PENDING, changed)
    return Action(VERIFY, row.key, f"{reason}, file found", UPLOADED, f"{verified.width} × {verified.height}")


def discard_unattached(now: datetime.datetime, *, dry_run: bool = False) -> Iterator[Action]:
    """Delete verified uploads nothing holds, per profile, once ``DISCARD_UNATTACHED`` has passed."""
    for profile in conf.profiles():
        seconds = conf.get("DISCARD_UNATTACHED", profile)
        if seconds is None:
            continue
        verified_before = now - datetime.timedelta(seconds=seconds)
        rows = Upload.objects.filter(
            profile=profile, status=Upload.Status.UPLOADED, verified_at__lt=verified_before
        ).select_related("owner")
        for batch in _batches(rows):
            held = attachments.attached(row.pk for row in batch)
            for row in batch:
                if row.pk in held:
                    continue
                verified = f"{row.verified_at:%Y-%m-%dT%H:%M:%SZ}"
                action = Action(DISCARD, row.key, f"upload {row.pk} verified {verified}, attached to nothing")
                if not dry_run:
                    try:
                        services.discard(row.owner, row.pk)
                    except InUse:
                        continue  # attached since we looked: it stays
                yield action


def release_unused_variants(*, dry_run: bool = False) -> Iterator[Action]:
    """Delete the variants whose source no verified upload has any more (rows, then objects)."""
    live = Upload.objects.filter(sha256=OuterRef("source"), status=Upload.Status.UPLOADED)
    unused = Variant.objects.exclude(Exists(live)).order_by("pk")
    while batch := list(unused.values_list("pk", "key", "source")[:ROW_BATCH]):
        if dry_run:
            yield from (
                Action(RELEASE, key, "no verified upload has its source") for _pk, key, _source in batch
            )
            return
        released = set(services.release_variants({source for _pk, _key, source in batch}))
        yield from (
            Action(RELEASE, key, "no verified upload has its source")
            for _pk, key, _source in batch
            if key in released
        )


def ask_again_for_variants(now: datetime.datetime, *, dry_run: bool = False) -> Iterator[Action]:
    """Enqueue again the variants of uploads whose task was lost (its worker died, the queue failed)."""
    rows = Upload.objects.filter(variants_due__lt=now)
    for batch in _batches(rows):
        asked = batch if dry_run else services.ask_again(batch, now=now)
        yield from (
            Action(
                ASK_AGAIN,
                row.key,
                f"upload {row.pk}: variants due since {row.variants_due:%Y-%m-%dT%H:%M:%SZ}",
            )
            for row in asked
        )


def _batches(rows: QuerySet[Upload]):
    # Batches by primary key instead of one open cursor: each row changes while we walk, and
    # SQLite gives a cursor no isolation from writes on the same connection.
    rows = rows.order_by("pk")
    batch = list(rows[:ROW_BATCH])
    while batch:
        yield batch
        batch = list(rows.filter(pk__gt=batch[-1].pk)[:ROW_BATCH])


def _areas(location: str):
    """Every profile's area, each listed once (an area inside another is already covered)."""
    kept = []
    for area in sorted({keys.area(profile, location) for profile in conf.profiles()}):
        if not any(area.startswith(outer) for outer in kept):
            kept.append(area)
    return kept


def sweep_bucket(
    cutoff: datetime.datetime, *, dry_run: bool = False, page_size: int = 1000
) -> Iterator[Action]:
    """Delete this installation's objects that no row needs: orphans older than ``cutoff`` and
    leftovers of finished rows. Yield a ``KEEP`` action for each object it cannot prove it made."""
    location = s3.location()
    for page in (page for area in _areas(location) for page in s3.list_pages(area, page_size=page_size)):
        ours, renditions = [], []
        for item in page:
            if keys.made_here(item.key, location):
                ours.append(item)
            elif variants.made_here(item.key, location):
                renditions.append(item)
            else:
                yield Action(KEEP, item.key, "not made by this installation")
        status_of = dict(
            Upload.objects.filter(key__in=[item.key for item in ours]).values_list("key", "status")
        )
        doomed = []
        for item in ours:
            status = status_of.get(item.key)
            if status is None and item.last_modified < cutoff:
                modified = f"{item.last_modified:%Y-%m-%dT%H:%M:%SZ}"
                doomed.append(Action(DELETE, item.key, f"no upload, last modified {modified}"))
            elif status in FINISHED:
                doomed.append(Action(DELETE, item.key, f"upload is {status}"))
        recorded = set(
            Variant.objects.filter(key__in=[item.key for item in renditions]).values_list("key", flat=True)
        )
        for item in renditions:
            if item.key not in recorded and item.last_modified < cutoff:
                modified = f"{item.last_modified:%Y-%m-%dT%H:%M:%SZ}"
                doomed.append(Action(DELETE, item.key, f"no variant row, last modified {modified}"))
        refused = {} if dry_run else s3.delete_many([action.key for action in doomed])
        for action in doomed:
            if action.key in refused:
                yield Action(action.kind, action.key, action.reason, NOT_DELETED, refused[action.key])
            else:
                yield action


def abort_unfinished(
    cutoff: datetime.datetime, *, dry_run: bool = False, page_size: int = 1000
) -> Iterator[Action]:
    """Abort this installation's multipart uploads that no pending row is sending: those of
    finished or deleted rows, and those with no row (or not their row's) started before ``cutoff``.
    Yield a ``KEEP`` action for each one it cannot prove it made."""
    location = s3.location()
    for page in (
        page for area in _areas(location) for page in s3.list_multipart_pages(area, page_size=page_size)
    ):
        ours = []
        for item in page:
            if keys.made_here(item.key, location):
                ours.append(item)
            else:
                yield Action(KEEP, item.key, "unfinished multipart upload not made by this installation")
        rows = Upload.objects.filter(key__in=[item.key for item in ours]).values_list(
            "key", "status", "multipart_id"
        )
        row_of = {key: (status, upload_id) for key, status, upload_id in rows}
        for item in ours:
            status, upload_id = row_of.get(item.key, (None, None))
            started = f"{item.initiated:%Y-%m-%dT%H:%M:%SZ}"
            if status is None and item.initiated < cutoff:
                action = Action(ABORT, item.key, f"unfinished multipart upload, no upload, started {started}")
            elif status is not None and status != Upload.Status.PENDING:
                action = Action(ABORT, item.key, f"unfinished multipart upload, upload is {status}")
            elif status is not None and upload_id != item.upload_id and item.initiated < cutoff:
                action = Action(
                    ABORT, item.key, f"unfinished multipart upload not the upload's own, started {started}"
                )
            else:
                continue  # still being sent, or just started; a pending row's is settled by the first pass
            if not dry_run:
                s3.abort_multipart(item.key, item.upload_id)
            yield action
