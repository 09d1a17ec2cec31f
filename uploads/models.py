import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from uploads import variants


class UploadQuerySet(models.QuerySet):
    def with_variants(self) -> "UploadQuerySet":
        """Fetch the made variants of every row in one more query, whenever the rows are fetched
        (in a ``Prefetch`` too), so ``variant()`` and the thumbnails ask nothing per row."""
        clone = self._chain()
        clone._with_variants = True
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._with_variants = getattr(self, "_with_variants", False)
        return clone

    def _fetch_all(self):
        fetched = self._result_cache is None
        super()._fetch_all()
        if fetched and getattr(self, "_with_variants", False):
            prefetch_variants(self._result_cache)


class Upload(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        UPLOADED = "uploaded", _("Uploaded")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        DELETED = "deleted", _("Deleted")

    class Review(models.TextChoices):
        UNREVIEWED = "unreviewed", _("Not reviewed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads", verbose_name=_("owner")
    )
    profile = models.CharField(_("profile"), max_length=50, default="default")
    key = models.CharField(_("object key"), max_length=512, unique=True)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(
        _("size"), help_text=_("Declared by the client and signed into the policy.")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    etag = models.CharField(_("ETag"), max_length=100, blank=True)
    sha256 = models.CharField(
        _("SHA-256"),
        max_length=44,
        blank=True,
        help_text=_(
            "Base64 digest of the bytes: pinned in the policy (S3 refused any other bytes), "
            "or read from the verified copy when its variants were made."
        ),
    )
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    # The latest decision's verdict, kept here for filtering; the decisions themselves are ``Decision`` rows.
    review = models.CharField(_("review"), max_length=16, choices=Review, default=Review.UNREVIEWED)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("policy expires"))
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    # Set when variants are asked for, cleared once they are all made: a moment passed here means
    # the task was lost (its worker died), and the variants are asked for again.
    variants_due = models.DateTimeField(_("variants due"), null=True, blank=True)
    # An upload sent in parts (S3 multipart): S3's id of that multipart upload, and the bytes of
    # every part but the last, fixed when it starts. Empty and None for an upload sent in one POST.
    multipart_id = models.CharField(_("multipart upload id"), max_length=1024, blank=True)
    part_size = models.PositiveBigIntegerField(_("part size"), null=True, blank=True)

    objects = UploadQuerySet.as_manager()

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="uploads_owner_created"),
            models.Index(fields=["status", "-created_at"], name="uploads_status_created"),
            models.Index(fields=["content_type"], name="uploads_type"),
            models.Index(fields=["review"], name="uploads_review"),
            models.Index(fields=["sha256"], name="uploads_sha256"),
            models.Index(fields=["profile"], name="uploads_profile"),
            models.Index(fields=["variants_due"], name="uploads_variants_due"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    def variant(self, name: str) -> "Variant | None":
        """The made variant ``name`` of this upload's profile (a ``Variant``), or None until it is made.

        ``Upload.objects.with_variants()`` fetches them for many rows at once; otherwise the first
        call asks the database for this row's.
        """
        if not hasattr(self, "_variants"):
            prefetch_variants([self])
        return self._variants.get(name)

    @property
    def made_variants(self) -> dict[str, "Variant"]:
        """``{name: Variant}`` of the variants made so far."""
        if not hasattr(self, "_variants"):
            prefetch_variants([self])
        return dict(self._variants)


class UploadPart(models.Model):
    """One part of an upload sent in parts: the SHA-256 its URL was signed with, so S3 took only
    those bytes as that part. Recorded before the URL is given out, and never changed."""

    upload = models.ForeignKey(
        Upload, on_delete=models.CASCADE, related_name="parts", verbose_name=_("upload")
    )
    number = models.PositiveIntegerField(_("number"))
    sha256 = models.CharField(_("SHA-256"), max_length=44)

    class Meta:
        verbose_name = _("upload part")
        verbose_name_plural = _("upload parts")
        ordering = ["upload", "number"]
        constraints = [models.UniqueConstraint(fields=["upload", "number"], name="uploads_part_once")]

    def __str__(self) -> str:
        return f"{self.upload_id} #{self.number}"


class Variant(models.Model):
    """A smaller copy of some verified bytes, made to one spec: shared by every upload of those
    bytes whose profile asks for that spec, and deleted once no verified upload has them."""

    source = models.CharField(
        _("source SHA-256"), max_length=44, help_text=_("Base64 digest of the source bytes.")
    )
    spec = models.CharField(
        _("spec"), max_length=32, help_text=_("Fingerprint of the size, fit, format and quality.")
    )
    key = models.CharField(_("object key"), max_length=512, unique=True)
    content_type = models.CharField(_("type"), max_length=100)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size = models.PositiveBigIntegerField(_("size"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [models.UniqueConstraint(fields=["source", "spec"], name="uploads_variant_once")]

    def __str__(self) -> str:
        return f"{self.width} × {self.height} {self.content_type} of {self.source}"


class Decision(models.Model):
    """One review decision: who moved an upload from which review state to which, when and why."""

    upload = models.ForeignKey(
        Upload, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("upload")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)
    before = models.CharField(_("from"), max_length=16, choices=Upload.Review)
    after = models.CharField(_("to"), max_length=16, choices=Upload.Review)
    reason = models.CharField(
        _("reason"), max_length=50, blank=True, help_text=_("A code of REJECTION_REASONS.")
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["upload", "-decided_at"], name="uploads_decision_upload")]

    def __str__(self) -> str:
        return f"{self.get_before_display()} → {self.get_after_display()}"


def prefetch_variants(rows: Iterable[object]) -> None:
    """Give each upload in ``rows`` its made variants by name (``row._variants``), in one query."""
    rows = [row for row in rows if isinstance(row, Upload)]
    wanted = {row.pk: variants.specs(row.profile) for row in rows}
    sources = {row.sha256 for row in rows if row.sha256 and wanted[row.pk]}
    made = {}
    if sources:
        for found in Variant.objects.filter(source__in=sources):
            made[found.source, found.spec] = found
    for row in rows:
        row._variants = {
            name: made[row.sha256, spec.fingerprint()]
            for name, spec in wanted[row.pk].items()
            if (row.sha256, spec.fingerprint()) in made
        }


class UploaderLock(models.Model):
    """One row per user who has started an upload, and nothing else: the create call locks it,
    so one user's simultaneous creates are counted one after the other."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("owner"),
    )

    class Meta:
        verbose_name = _("uploader lock")
        verbose_name_plural = _("uploader locks")

    def __str__(self) -> str:
        # No words, so nothing to translate: people see it only in the admin's list of what deleting a
        # user deletes, after the (translated) verbose name: "Uploader lock: 42".
        return str(self.owner_id)
