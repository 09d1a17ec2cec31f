from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from uploads import fields, services, verify
from uploads.models import Upload


class SharedFileFilter(admin.SimpleListFilter):
    """Uploads whose bytes (by SHA-256) another seller has uploaded too."""

    title = _("same file as another seller")
    parameter_name = "shared"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        elsewhere = Upload.objects.filter(sha256=OuterRef("sha256"), status=Upload.Status.UPLOADED).exclude(
            owner=OuterRef("owner")
        )
        shared = Q(Exists(elsewhere)) & ~Q(sha256="")
        return queryset.filter(shared) if self.value() == "yes" else queryset.exclude(shared)


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = [
        "thumbnail",
        "filename",
        "owner",
        "status",
        "failure_reason",
        "review",
        "human_size",
        "content_type",
        "dimensions",
        "created_at",
    ]
    list_display_links = ["thumbnail", "filename"]
    list_filter = ["status", "review", "profile", "content_type", ("created_at", admin.DateFieldListFilter), SharedFileFilter]
    list_select_related = ["owner"]
    search_fields = ["filename", f"owner__{get_user_model().USERNAME_FIELD}", "=sha256"]
    date_hierarchy = "created_at"
    actions = ["approve", "reject"]
    fields = [
        "preview",
        "filename",
        "owner",
        "attached_to",
        "status",
        "failure_reason",
        "review",
        "reviewed_by",
        "reviewed_at",
        "profile",
        "content_type",
        "human_size",
        "width",
        "height",
        "etag",
        "sha256",
        "key",
        "created_at",
        "expires_at",
        "verified_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        # Rows are made only by the API, after S3 has the file.
        return False

    def has_change_permission(self, request, obj=None):
        # The list keeps "change" for the approve and reject actions; one upload's page is view-only.
        return obj is None and super().has_change_permission(request)

    @admin.display(description=_("preview"))
    def thumbnail(self, row):
        return self._image(row, 64)

    @admin.display(description=_("preview"))
    def preview(self, row):
        return self._image(row, 480)

    def _image(self, row, size):
        url = services.view_url(row)  # signed locally: no request to S3 per row
        if not url:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" style="max-width:{}px;max-height:{}px" loading="lazy">',
            url,
            row.filename,
            size,
            size,
        )

    @admin.display(description=_("attached to"))
    def attached_to(self, row):
        held = fields.holders(row)
        if not held:
            return _("nothing")
        return format_html_join(", ", "{}", ((self._link(obj, field),) for obj, field in held))

    def _link(self, obj, field):
        label = gettext("%(model)s “%(object)s” (%(field)s)") % {
            "model": obj._meta.verbose_name,
            "object": obj,
            "field": field.verbose_name,
        }
        try:
            url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("size"), ordering="size")
    def human_size(self, row):
        return verify.human_size(row.size)

    @admin.display(description=_("dimensions"))
    def dimensions(self, row):
        return f"{row.width} × {row.height}" if row.width else "—"

    @admin.action(description=_("Approve selected verified uploads"), permissions=["change"])
    def approve(self, request, queryset):
        self._review(request, queryset, Upload.Review.APPROVED)

    @admin.action(description=_("Reject selected uploads"), permissions=["change"])
    def reject(self, request, queryset):
        self._review(request, queryset, Upload.Review.REJECTED)

    def _review(self, request, queryset, verdict):
        verified = queryset.filter(status=Upload.Status.UPLOADED)
        done = verified.update(review=verdict, reviewed_by=request.user, reviewed_at=timezone.now())
        skipped = queryset.count() - done
        if verdict == Upload.Review.APPROVED:
            marked = ngettext("Marked %(n)d upload as approved.", "Marked %(n)d uploads as approved.", done)
        else:
            marked = ngettext("Marked %(n)d upload as rejected.", "Marked %(n)d uploads as rejected.", done)
        self.message_user(request, marked % {"n": done}, messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "Skipped %(n)d upload that is not verified.", "Skipped %(n)d uploads that are not verified.", skipped
                )
                % {"n": skipped},
                messages.WARNING,
            )

    # Objects go with their rows, so deleting in the admin leaves nothing behind in the bucket; only
    # once the rows are gone (an attached upload is refused), so no row points at a deleted object.
    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(lambda: services.delete_objects([obj.key]))

    def delete_queryset(self, request, queryset):
        keys = list(queryset.values_list("key", flat=True))
        super().delete_queryset(request, queryset)
        transaction.on_commit(lambda: services.delete_objects(keys))
