"""Uploads that outlast one signed request: files above ``MULTIPART_THRESHOLD`` sent to S3 in parts,
and a new POST policy for a pending upload whose policy expired. The views only parse and reply.

An upload in parts, step by step:

1. ``create_upload``: the pending row and S3's multipart upload, made with SHA-256 checksums. The
   part size is fixed on the row; part ``n`` is the file's bytes from ``(n - 1) * part_size``.
2. ``sign_parts``: the client gives parts' numbers and SHA-256s, a batch at a time as it reads
   the file. Each digest is recorded (and never changes), then each part gets a PUT URL that S3
   honours only for exactly those bytes. ``expires_at`` moves to the last URL's expiry.
3. ``stored_parts``: the parts S3 holds, so a resumed upload sends only the others.
4. ``complete_upload``: the parts as S3 lists them (never as the browser says) are assembled
   with their recorded digests; the object is then verified as a single POST's is, and its
   COMPOSITE checksum must be the one the recorded digests give.
5. ``delete_upload``: the row deleted and the multipart upload aborted; the clean-up aborts
   whatever is left over.

``Upload.sha256`` stays empty for an upload in parts. S3 checks each part's digest, never the
whole file's, so the client's word for that is unchecked; and that field names variants and
finds duplicates. The variant task fills it from the verified bytes, as it does for an upload
sent without a digest. The object cannot change after it is verified: no URL names its key,
and the part URLs die with the multipart upload, so it needs no verified copy either.
"""

import datetime
import functools
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from uploads import conf, keys, s3, services, verify
from uploads.errors import (
    NotMultipart,
    NotPending,
    ObjectMissing,
    PartChanged,
    PartsMissing,
    SentInParts,
    StorageUnavailable,
    UploadExpired,
    VerificationFailed,
)
from uploads.models import Upload, UploadPart
from uploads.signals import upload_failed

logger = logging.getLogger("uploads")
# The header a part's PUT must carry: its URL signs it, and S3 checks the bytes against it.
CHECKSUM_HEADER = "x-amz-checksum-sha256"


@dataclass(frozen=True)
class SignedPart:
    number: int
    size: int
    url: str
    sha256: str


@dataclass(frozen=True)
class HeldPart:
    """A part S3 holds, with the digest its URL was signed with (None for one no URL of ours sent)."""

    number: int
    size: int
    etag: str
    sha256: str | None


def goes_in_parts(data):
    """Whether a create call's body declares a file larger than ``MULTIPART_THRESHOLD``."""
    size = data.get("size") if isinstance(data, dict) else None
    return isinstance(size, int) and not isinstance(size, bool) and size > conf.get("MULTIPART_THRESHOLD")


def create_upload(owner, declared):
    """Record a pending upload and start its multipart upload in S3; return the row.

    If the row cannot be saved after S3 started the upload, the clean-up aborts that upload.
    """
    expires = conf.get("EXPIRES", declared.profile)
    row = Upload(
        owner=owner,
        profile=declared.profile,
        filename=keys.display_name(declared.filename),
        content_type=declared.content_type,
        size=declared.size,
        part_size=conf.get("MULTIPART_PART_SIZE"),
        expires_at=timezone.now() + datetime.timedelta(seconds=expires),
    )
    row.key = keys.build_key(
        owner.pk, declared.filename, declared.content_type, token=row.id, profile=row.profile, location=s3.location()
    )
    with s3.deadline(conf.get("S3_DEADLINE")):
        row.multipart_id = s3.create_multipart(row.key, content_type=row.content_type)
    row.save(force_insert=True)
    return row


def sign_parts(owner, upload_id, wanted):
    """Record the digests of the ``wanted`` parts, ``[(number, sha256)]``, and sign a PUT URL for each.

    The first call that names a part fixes its digest: naming it again with the same digest signs
    a new URL (a retry, a resumed upload); with another raises ``PartChanged``.
    """
    with transaction.atomic():
        row = _pending_in_parts(owner, upload_id)
        verify.check_part_numbers(wanted, verify.part_count(row.size, row.part_size))
        # A part named before keeps its row (the conflict is ignored); then every digest is compared.
        UploadPart.objects.bulk_create(
            [UploadPart(upload=row, number=number, sha256=sha256) for number, sha256 in wanted], ignore_conflicts=True
        )
        recorded = dict(row.parts.filter(number__in=[number for number, _ in wanted]).values_list("number", "sha256"))
        for number, sha256 in wanted:
            if recorded[number] != sha256:
                raise PartChanged(number)
        expires = conf.get("EXPIRES", row.profile)
        row.expires_at = max(row.expires_at, timezone.now() + datetime.timedelta(seconds=expires))
        row.save(update_fields=["expires_at"])
    signed = []
    for number, sha256 in wanted:
        size = verify.part_length(number, row.size, row.part_size)
        url = s3.presign_part(row.key, row.multipart_id, number, sha256=sha256, size=size, expires=expires)
        signed.append(SignedPart(number, size, url, sha256))
    return row, signed


def stored_parts(owner, upload_id):
    """The row, the parts S3 holds (``HeldPart``s) and the numbers of those still to send.

    When S3 no longer knows the upload but holds its object (completed, and the reply lost),
    nothing is left to send; without the object it was aborted, and ``UploadExpired`` says so.
    """
    row = services.owned(owner, upload_id)
    if not row.multipart_id:
        raise NotMultipart()
    _check_pending(row)
    with s3.deadline(conf.get("S3_DEADLINE")):
        stored = s3.list_parts(row.key, row.multipart_id)
        if stored is None:
            try:
                s3.head(row.key)
            except ObjectMissing:
                raise UploadExpired() from None
            return row, [], []
    digests = dict(row.parts.values_list("number", "sha256"))
    held = [HeldPart(part.number, part.size, part.etag, digests.get(part.number)) for part in stored]
    return row, held, verify.missing_parts(stored, verify.part_count(row.size, row.part_size))


def complete_upload(owner, upload_id):
    """Verify and record an upload of either kind; the same answer every time it is asked.

    ``services.complete_upload``, with an upload in parts first assembled from the parts S3 holds:
    ``PartsMissing`` (the row stays pending) until every part is there. The row is locked for the
    whole check, so two simultaneous calls run one verification.
    """
    with transaction.atomic():
        row = services.owned(owner, upload_id, for_update=True)
        if row.status == Upload.Status.PENDING and row.multipart_id:
            with s3.deadline(conf.get("MULTIPART_DEADLINE")):
                _assemble_and_verify(row)
        elif row.status == Upload.Status.PENDING:
            with s3.deadline(conf.get("S3_DEADLINE")):
                services._verify_and_record(row)
    if row.status == Upload.Status.FAILED:
        raise VerificationFailed(row.failure_reason)
    if row.status == Upload.Status.EXPIRED:
        raise UploadExpired()
    return row


def _assemble_and_verify(row):
    digests = dict(row.parts.values_list("number", "sha256"))
    count = verify.part_count(row.size, row.part_size)
    stored = s3.list_parts(row.key, row.multipart_id)
    if stored is not None:
        try:
            verify.check_stored_parts(stored, digests, size=row.size, part_size=row.part_size)
        except VerificationFailed as failure:
            return _fail(row, failure)
        if missing := verify.missing_parts(stored, count):
            raise PartsMissing(missing)
        try:
            s3.complete_multipart(
                row.key, row.multipart_id, [(part.number, part.etag, digests[part.number]) for part in stored]
            )
        except s3.BadDigest:
            failure = VerificationFailed(gettext("A part in storage is not the bytes its declared digest names."))
            return _fail(row, failure)
    # Completed now, or by an earlier call whose reply was lost; without the object, S3 aborted it.
    expected = verify.composite_checksum([digests.get(number, "") for number in range(1, count + 1)])
    try:
        etag, image = _verify(row, expected)
    except ObjectMissing:
        if stored is not None:
            raise
        row.status = Upload.Status.EXPIRED
        row.save(update_fields=["status"])
        return None
    except VerificationFailed as failure:
        return _fail(row, failure)
    return services.record_verified(row, etag, image)


def _verify(row, expected_checksum):
    """``services._verify`` for an assembled object: a HEAD gives its checksum, one ranged GET of
    that very object (If-Match) its first bytes; an image whose header runs past them costs one more."""
    declared = verify.Declared(row.filename, row.content_type, row.size, "", row.profile)
    found = s3.head(row.key)
    verify.check_composite(expected_checksum, found.sha256)
    window = min(conf.get("SNIFF_BYTES"), row.size)
    head = s3.read_head(row.key, window, etag=found.etag) if found.size == row.size else b""
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
        larger = min(window * services.LARGER_READ, row.size)
        return found.etag, check(head=s3.read_head(row.key, larger, etag=found.etag), final=True)


def _fail(row, failure):
    s3.abort_multipart(row.key, row.multipart_id)
    services.delete_objects([row.key])
    row.status = Upload.Status.FAILED
    row.failure_reason = failure.message
    row.save(update_fields=["status", "failure_reason"])
    logger.info("Upload %s failed verification: %s", row.pk, failure.message)
    transaction.on_commit(lambda: upload_failed.send(Upload, instance=row))


def delete_upload(owner, upload_id):
    """``services.delete_upload`` for an upload of either kind: one still sent in parts has its
    multipart upload aborted first, so no part arrives after. Returns whether S3 answered; if it
    did not, the clean-up aborts and deletes what is left."""
    row = services.discard(owner, upload_id)
    try:
        if row.multipart_id and row.verified_at is None:
            with s3.deadline(conf.get("S3_DEADLINE")):
                s3.abort_multipart(row.key, row.multipart_id)
        services.delete_stored([row.key], [row.sha256])
    except StorageUnavailable:
        logger.warning("Upload %s is deleted; S3 did not answer, so the clean-up will delete %s.", row.pk, row.key)
        return False
    return True


def renew_policy(owner, upload_id):
    """A new POST policy for a pending upload sent in one piece: the same key, type, size and
    digest, valid ``EXPIRES`` seconds from now. ``expires_at`` moves with it, so the clean-up
    leaves the upload alone until the new policy has expired too."""
    with transaction.atomic():
        row = services.owned(owner, upload_id, for_update=True)
        if row.multipart_id:
            raise SentInParts()
        _check_pending(row)
        expires = conf.get("EXPIRES", row.profile)
        now = timezone.now()
        policy = s3.presign_post(
            row.key, content_type=row.content_type, size=row.size, expires=expires, sha256=row.sha256, now=now
        )
        row.expires_at = now + datetime.timedelta(seconds=expires)
        row.save(update_fields=["expires_at"])
    return row, policy


def all_parts_stored(row):
    """Whether S3 holds every part of a pending upload in parts, or its assembled object: what a
    dry run of the clean-up asks before saying it would complete the upload."""
    stored = s3.list_parts(row.key, row.multipart_id)
    if stored is None:
        try:
            s3.head(row.key)
        except ObjectMissing:
            return False
        return True
    return not verify.missing_parts(stored, verify.part_count(row.size, row.part_size))


def abandon(row):
    """Give up a pending upload in parts that was never finished: marked expired, and its
    multipart upload aborted. Run in the clean-up's transaction: if S3 fails, the row stays
    pending and the next run tries again."""
    Upload.objects.filter(pk=row.pk, status=Upload.Status.PENDING).update(status=Upload.Status.EXPIRED)
    s3.abort_multipart(row.key, row.multipart_id)


def _pending_in_parts(owner, upload_id):
    row = services.owned(owner, upload_id, for_update=True)
    if not row.multipart_id:
        raise NotMultipart()
    _check_pending(row)
    return row


def _check_pending(row):
    """Only a pending upload of a key this installation made is ever signed for again."""
    if row.status == Upload.Status.EXPIRED or not keys.made_here(row.key, s3.location()):
        raise UploadExpired()
    if row.status != Upload.Status.PENDING:
        raise NotPending()
