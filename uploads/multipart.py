"""The S3 multipart steps of an upload sent in parts (files above ``MULTIPART_THRESHOLD``), on a
row ``uploads.services`` has found for its owner and checked; the services call them, the views
never do.

An upload in parts, step by step (``services.X`` is what the API calls):

1. ``services.create_upload``: the pending row, and S3's multipart upload made with SHA-256
   checksums (``start``). The part size is fixed on the row; part ``n`` is the file's bytes from
   ``(n - 1) * part_size``.
2. ``services.sign_parts``: the client gives parts' numbers and SHA-256s, a batch at a time as it
   reads the file. Each digest is recorded and never changes (``record_digests``), then each part
   gets a PUT URL that S3 honours only for exactly those bytes (``sign``). ``expires_at`` moves to
   the last URL's expiry.
3. ``services.stored_parts``: the parts S3 holds (``held``), so a resumed upload sends only the others.
4. ``services.complete_upload``: the parts as S3 lists them (never as the browser says) are
   assembled with their recorded digests (``assemble``); the object is then verified as a single
   POST's is, and its COMPOSITE checksum must be the one the recorded digests give.
5. ``services.delete_upload``: the row deleted and the multipart upload aborted (``abort``); the
   clean-up aborts whatever is left over (``all_parts_stored``, ``abandon``).

``Upload.sha256`` stays empty for an upload in parts. S3 checks each part's digest, never the
whole file's, so the client's word for that is unchecked; and that field names variants and
finds duplicates. The variant task fills it from the verified bytes, as it does for an upload
sent without a digest. The object cannot change after it is verified: no URL names its key,
and the part URLs die with the multipart upload, so it needs no verified copy either.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext

from uploads import conf, s3, verify
from uploads.errors import ObjectMissing, PartChanged, PartsMissing, UploadExpired, VerificationFailed
from uploads.models import Upload, UploadPart

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


@dataclass(frozen=True)
class Assembled:
    """What ``assemble`` leaves to check: the COMPOSITE ``checksum`` the object must have, and
    whether S3 still ``listed`` the upload's parts (False: completed by an earlier call whose
    reply was lost, or aborted, and then there is no object)."""

    checksum: str
    listed: bool


def goes_in_parts(size: object) -> bool:
    """Whether a create call declaring ``size`` (as sent: any JSON value) goes in parts: a whole
    number of bytes above ``MULTIPART_THRESHOLD``."""
    return conf.is_int(size) and size > conf.get("MULTIPART_THRESHOLD")


def start(row: Upload) -> None:
    """Fix the part size of a new ``row`` and start its multipart upload in S3 (not yet saved:
    if the row cannot be saved after this, the clean-up aborts the upload)."""
    row.part_size = conf.get("MULTIPART_PART_SIZE")
    with s3.deadline(conf.get("S3_DEADLINE")):
        row.multipart_id = s3.create_multipart(row.key, content_type=row.content_type)


def record_digests(row: Upload, wanted: list[tuple[int, str]]) -> None:
    """Record the digests of the ``wanted`` parts, ``[(number, sha256)]``, of a locked pending
    ``row``, and move its ``expires_at`` to the expiry of the URLs ``sign`` makes.

    The first call that names a part fixes its digest: naming it again with the same digest
    is a retry or a resumed upload; with another raises ``PartChanged``.
    """
    verify.check_part_numbers(wanted, verify.part_count(row.size, row.part_size))
    # A part named before keeps its row (the conflict is ignored); then every digest is compared.
    named = [UploadPart(upload=row, number=number, sha256=sha256) for number, sha256 in wanted]
    UploadPart.objects.bulk_create(named, ignore_conflicts=True)
    numbers = [number for number, _ in wanted]
    recorded = dict(row.parts.filter(number__in=numbers).values_list("number", "sha256"))
    for number, sha256 in wanted:
        if recorded[number] != sha256:
            raise PartChanged(number)
    expires = conf.get("EXPIRES", row.profile)
    row.expires_at = max(row.expires_at, timezone.now() + datetime.timedelta(seconds=expires))
    row.save(update_fields=["expires_at"])


def sign(row: Upload, wanted: list[tuple[int, str]]) -> list[SignedPart]:
    """A PUT URL for each of the ``wanted`` parts, valid ``EXPIRES`` seconds, for exactly the
    bytes of its recorded digest."""
    expires = conf.get("EXPIRES", row.profile)
    signed = []
    for number, sha256 in wanted:
        size = verify.part_length(number, row.size, row.part_size)
        url = s3.presign_part(row.key, row.multipart_id, number, sha256=sha256, size=size, expires=expires)
        signed.append(SignedPart(number, size, url, sha256))
    return signed


def held(row: Upload) -> tuple[list[HeldPart], list[int]]:
    """The parts S3 holds (``HeldPart``s) and the numbers of those still to send.

    When S3 no longer knows the upload but holds its object (completed, and the reply lost),
    nothing is left to send; without the object it was aborted, and ``UploadExpired`` says so.
    """
    with s3.deadline(conf.get("S3_DEADLINE")):
        stored = s3.list_parts(row.key, row.multipart_id)
        if stored is None:
            try:
                s3.head(row.key)
            except ObjectMissing:
                raise UploadExpired() from None
            return [], []
    digests = dict(row.parts.values_list("number", "sha256"))
    parts = [HeldPart(part.number, part.size, part.etag, digests.get(part.number)) for part in stored]
    return parts, verify.missing_parts(stored, verify.part_count(row.size, row.part_size))


def assemble(row: Upload) -> Assembled:
    """Assemble the parts S3 holds, with their recorded digests, into the object.

    Raises ``VerificationFailed`` for a part no URL of ours was signed for, of the wrong size, or
    whose bytes are not its digest's, and ``PartsMissing`` (the row stays pending) until every
    part is there.
    """
    digests = dict(row.parts.values_list("number", "sha256"))
    count = verify.part_count(row.size, row.part_size)
    stored = s3.list_parts(row.key, row.multipart_id)
    if stored is not None:
        verify.check_stored_parts(stored, digests, size=row.size, part_size=row.part_size)
        if missing := verify.missing_parts(stored, count):
            raise PartsMissing(missing)
        try:
            s3.complete_multipart(
                row.key, row.multipart_id, [(part.number, part.etag, digests[part.number]) for part in stored]
            )
        except s3.BadDigest:
            message = gettext("A part in storage is not the bytes its declared digest names.")
            raise VerificationFailed(message) from None
    checksum = verify.composite_checksum([digests.get(number, "") for number in range(1, count + 1)])
    return Assembled(checksum, listed=stored is not None)


def abort(row: Upload) -> None:
    """Abort the row's multipart upload in S3, so that no part arrives any more."""
    s3.abort_multipart(row.key, row.multipart_id)


def all_parts_stored(row: Upload) -> bool:
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


def abandon(row: Upload) -> None:
    """Give up a pending upload in parts that was never finished: marked expired, and its
    multipart upload aborted. Run in the clean-up's transaction: if S3 fails, the row stays
    pending and the next run tries again."""
    Upload.objects.filter(pk=row.pk, status=Upload.Status.PENDING).update(status=Upload.Status.EXPIRED)
    abort(row)
