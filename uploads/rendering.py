"""Making an upload's variants: what the background task runs, safe to run any number of times.

Each run reads the verified object once, renders only the variants not made yet, stores each
under a key derived from the source's SHA-256 and the spec, records it, and then clears the
upload's ``variants_due``. A second run for the same bytes finds everything made and reads nothing.
"""

import base64
import hashlib
import logging
import uuid
from collections.abc import Mapping

from django.db import IntegrityError, transaction

from uploads import conf, imaging, s3, variants
from uploads.errors import ObjectChanged, ObjectMissing
from uploads.models import Upload, Variant

logger = logging.getLogger("uploads")
# Seconds the S3 calls of one run may take in all: a 10 MB read and a few small writes.
DEADLINE = 120
DONE, GONE, BROKEN = "done", "gone", "broken"


def make(upload_id: uuid.UUID | str) -> str:
    """Make the missing variants of one upload; return ``done``, ``gone`` (nothing to make any
    more) or ``broken`` (its bytes do not render). Raises ``StorageUnavailable`` when S3 fails,
    for the task to try again later."""
    row = Upload.objects.filter(pk=upload_id, status=Upload.Status.UPLOADED).first()
    if row is None:
        Upload.objects.filter(pk=upload_id).update(variants_due=None)
        return GONE
    wanted = variants.specs(row.profile)
    try:
        with s3.deadline(DEADLINE):
            outcome = _make(row, wanted)
    except (ObjectMissing, ObjectChanged):
        # Deleted meanwhile (or changed under its key, which the clean-up then settles).
        logger.info("Upload %s has no object to make variants from any more.", row.pk)
        outcome = GONE
    Upload.objects.filter(pk=row.pk).update(variants_due=None)
    return outcome


def _make(row: Upload, wanted: Mapping[str, imaging.Spec]) -> str:
    data = None
    if not row.sha256:
        # Sent without a digest: the verified copy no policy names is the truth, so its digest is.
        data = s3.read_all(row.key, etag=row.etag)
        row.sha256 = _digest(data)
        Upload.objects.filter(pk=row.pk, sha256="").update(sha256=row.sha256)
    made = set(Variant.objects.filter(source=row.sha256).values_list("spec", flat=True))
    missing = [spec for spec in wanted.values() if spec.fingerprint() not in made]
    if not missing:
        return DONE
    if data is None:
        data = s3.read_all(row.key, etag=row.etag)
    try:
        rendered = imaging.render(data, missing, max_pixels=conf.get("MAX_PIXELS", row.profile))
    except (imaging.UnreadableImage, imaging.ImageTooLarge) as error:
        logger.error("Upload %s verified, but its variants cannot be made: %s", row.pk, error)
        return BROKEN
    location = s3.location()
    for spec, image in zip(missing, rendered, strict=True):
        key = variants.key(row.sha256, spec, location)
        s3.put(key, image.data, content_type=image.content_type)
        _record(row.sha256, spec, key, image)
    return DONE


def _record(source: str, spec: imaging.Spec, key: str, image: imaging.Rendered) -> None:
    try:
        with transaction.atomic():
            Variant.objects.get_or_create(
                source=source,
                spec=spec.fingerprint(),
                defaults={
                    "key": key,
                    "content_type": image.content_type,
                    "width": image.width,
                    "height": image.height,
                    "size": len(image.data),
                },
            )
    except IntegrityError:
        pass  # another worker recorded the same bytes a moment ago


def _digest(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()
