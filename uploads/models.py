import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    size = models.PositiveBigIntegerField(_("size"), help_text=_("Declared by the client and signed into the policy."))
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    etag = models.CharField(_("ETag"), max_length=100, blank=True)
    sha256 = models.CharField(
        _("SHA-256"), max_length=44, blank=True, help_text=_("Base64 digest pinned in the policy; S3 refused any other bytes.")
    )
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    review = models.CharField(_("review"), max_length=16, choices=Review, default=Review.UNREVIEWED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("policy expires"))
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

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
        ]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"


class UploaderLock(models.Model):
    """One row per user who has started an upload, and nothing else: the create call locks it,
    so one user's simultaneous creates are counted one after the other."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("owner")
    )

    class Meta:
        verbose_name = _("uploader lock")
        verbose_name_plural = _("uploader locks")
