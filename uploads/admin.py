"""The review admin: read-only metadata, thumbnails that are variants, a list that opens on what
awaits review (as a table or a grid), and one upload's page to approve or reject it from, with
every decision recorded and shown."""

import uuid
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, Field, Model, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from uploads import attachments, conf, publishing, services, variants, verify
from uploads.errors import NotReviewable, ReasonNeeded
from uploads.models import Decision, Upload

ALL = "all"
# The changelist's ``?view=grid``: a layout, not a filter, so links keep it and lookups ignore it.
VIEW_VAR, GRID = "view", "grid"
# The upload's page shows the largest variant that fits in this many pixels (else the smallest).
PREVIEW_MAX = 800
# How many of the selected uploads the bulk rejection's page names.
LISTED = 20
VERDICTS = {"approve": Upload.Review.APPROVED, "reject": Upload.Review.REJECTED}

STATE_LABELS = {
    publishing.AWAITING_REVIEW: _("Awaiting review"),
    publishing.PUBLISHED: _("Published"),
    publishing.REJECTED: _("Rejected"),
    publishing.FAILED: _("Failed"),
}


def state_label(row: Upload) -> str:
    return STATE_LABELS.get(publishing.state(row)) or row.get_status_display()


class ReviewStateFilter(admin.SimpleListFilter):
    """What the list opens on: the uploads no reviewer has decided on. "All" is a choice of its own."""

    title = _("review state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [*STATE_LABELS.items(), (ALL, _("All"))]

    def value(self) -> str:
        return super().value() or publishing.AWAITING_REVIEW

    def choices(self, changelist: ChangeList) -> Iterator[dict[str, Any]]:
        choices = super().choices(changelist)
        next(choices)  # Django's own "All" drops the parameter, which here means the default
        yield from choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Upload]) -> QuerySet[Upload]:
        wanted = self.value()
        if wanted == ALL:
            return queryset
        if wanted == publishing.AWAITING_REVIEW:
            # Undecided, whatever others see meanwhile: an "after_publish" upload is published too.
            # Not the leftovers of forms never saved: nobody will show them, and they go by themselves.
            return queryset.filter(publishing.awaiting_review_q()).exclude(services.leftover_q())
        if wanted not in publishing.STATES:
            raise IncorrectLookupParameters(wanted)
        return queryset.filter(publishing.state_q(wanted))


class SharedFileFilter(admin.SimpleListFilter):
    """Uploads whose bytes (by SHA-256) another seller has uploaded too."""

    title = _("same file as another seller")
    parameter_name = "shared"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Upload]) -> QuerySet[Upload]:
        if self.value() not in ("yes", "no"):
            return queryset
        elsewhere = Upload.objects.filter(sha256=OuterRef("sha256"), status=Upload.Status.UPLOADED).exclude(
            owner=OuterRef("owner")
        )
        shared = Q(Exists(elsewhere)) & ~Q(sha256="")
        return queryset.filter(shared) if self.value() == "yes" else queryset.exclude(shared)


class ReviewChangeList(ChangeList):
    """The changelist with a layout parameter that is no lookup, and the made variants of the
    page's rows (only those) fetched with them in one query."""

    def get_filters_params(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        lookups = super().get_filters_params(params)
        lookups.pop(VIEW_VAR, None)
        return lookups

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = self.result_list.with_variants()


class RejectForm(forms.Form):
    """Why uploads are rejected: one of the project's REJECTION_REASONS, a note, or both."""

    # The page's "r" key focuses the reason (review.js).
    reason = forms.ChoiceField(
        label=_("Reason"), required=False, widget=forms.Select(attrs={"data-review-key": "reject"})
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 40})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("Pick a reason")), *conf.get("REJECTION_REASONS")]


def _awaiting_oldest_first():
    awaiting = Upload.objects.filter(publishing.awaiting_review_q()).exclude(services.leftover_q())
    return awaiting.order_by("created_at", "pk").values_list("pk", flat=True)


def next_awaiting(row: Upload, *, wrap: bool = False) -> uuid.UUID | None:
    """The id of the upload awaiting review after ``row``, oldest first; with ``wrap``, the oldest
    one left when none comes after it. None when none is left."""
    awaiting = _awaiting_oldest_first().exclude(pk=row.pk)
    later = Q(created_at__gt=row.created_at) | Q(created_at=row.created_at, pk__gt=row.pk)
    return awaiting.filter(later).first() or (awaiting.first() if wrap else None)


def previous_awaiting(row: Upload) -> uuid.UUID | None:
    """The id of the upload awaiting review before ``row``, oldest first, or None."""
    earlier = Q(created_at__lt=row.created_at) | Q(created_at=row.created_at, pk__lt=row.pk)
    return _awaiting_oldest_first().exclude(pk=row.pk).filter(earlier).last()


def thumbnail_html(row: Upload, css_class: str = "uploads-thumb") -> SafeString:
    """The smallest variant, or a placeholder of the same size until it is made; never the original."""
    url = services.thumbnail_url(row)  # signed locally: no request to S3 per row
    if url:
        return format_html('<img class="{}" src="{}" alt="{}" loading="lazy">', css_class, url, row.filename)
    return placeholder(row, css_class)


def placeholder(row: Upload, css_class: str) -> SafeString:
    # A profile without variants, or a file that was never verified, will not get a preview.
    coming = variants.thumbnail_name(row.profile) is not None and row.variants_due is not None
    text = gettext("Preparing preview…") if coming else gettext("No preview")
    return format_html('<span class="{} uploads-placeholder">{}</span>', css_class, text)


def preview_variant(row: Upload) -> str | None:
    """The name of the made variant the upload's page shows: the largest that fits in PREVIEW_MAX
    pixels, else the smallest made; None when none is made."""
    made = row.made_variants
    names = [name for name in variants.specs(row.profile) if name in made]  # largest first
    fitting = [name for name in names if max(made[name].width, made[name].height) <= PREVIEW_MAX]
    return fitting[0] if fitting else (names[-1] if names else None)


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    change_list_template = "admin/uploads/upload/change_list.html"
    change_form_template = "admin/uploads/upload/change_form.html"
    reject_template = "admin/uploads/upload/reject_selected.html"
    list_display = [
        "thumbnail",
        "filename",
        "owner",
        "state",
        "status",
        "failure_reason",
        "review",
        "human_size",
        "content_type",
        "dimensions",
        "created_at",
    ]
    list_display_links = ["thumbnail", "filename"]
    list_filter = [
        ReviewStateFilter,
        "status",
        "review",
        "profile",
        "content_type",
        ("created_at", admin.DateFieldListFilter),
        SharedFileFilter,
    ]
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Rows are made only by the API, after S3 has the file.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Upload | None = None) -> bool:
        # "Change" is the permission to review (the list's actions, the review form); one upload's
        # metadata stays view-only.
        return obj is None and super().has_change_permission(request)

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return ReviewChangeList

    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_review"
        review = path("<path:object_id>/review/", self.admin_site.admin_view(self.review_view), name=name)
        return [review, *super().get_urls()]

    # --- The list ---------------------------------------------------------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            response.context_data.update(self._layout_context(request, changelist))
        return response

    def _layout_context(self, request: HttpRequest, changelist: ChangeList):
        grid = request.GET.get(VIEW_VAR) == GRID
        context = {
            "grid": grid,
            "table_url": changelist.get_query_string(remove=[VIEW_VAR]),
            "grid_url": changelist.get_query_string({VIEW_VAR: GRID}),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        if grid:
            preserved = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
            context["cards"] = [
                {
                    "row": row,
                    "url": add_preserved_filters(preserved, changelist.url_for_result(row)),
                    "thumbnail": thumbnail_html(row, "uploads-card-image"),
                    "state": state_label(row),
                }
                for row in changelist.result_list
            ]
        return context

    @admin.display(description=_("preview"))
    def thumbnail(self, row: Upload) -> SafeString:
        return thumbnail_html(row)

    @admin.display(description=_("review state"))
    def state(self, row: Upload) -> str:
        return state_label(row)

    @admin.display(description=_("size"), ordering="size")
    def human_size(self, row: Upload) -> str:
        return verify.human_size(row.size)

    @admin.display(description=_("dimensions"))
    def dimensions(self, row: Upload) -> str:
        return f"{row.width} × {row.height}" if row.width else "—"

    @admin.action(description=_("Approve selected verified uploads"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Upload]) -> None:
        self._decide_each(request, queryset, Upload.Review.APPROVED)

    @admin.action(description=_("Reject selected uploads"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Upload]) -> HttpResponse | None:
        """Asks why on a page of its own first, then rejects every selected verified upload."""
        form = RejectForm(request.POST if "post" in request.POST else None)
        if form.is_valid():
            try:
                self._decide_each(request, queryset, Upload.Review.REJECTED, **form.cleaned_data)
                return None
            except ReasonNeeded as refused:
                form.add_error("reason", refused.message)
        request.current_app = self.admin_site.name
        count = queryset.count()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reject uploads"),
            "opts": self.opts,
            "form": form,
            "count": count,
            "listed": queryset.select_related("owner")[:LISTED],
            "more": max(count - LISTED, 0),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, self.reject_template, context)

    def _decide_each(
        self, request: HttpRequest, queryset: QuerySet[Upload], verdict: str, reason: str = "", note: str = ""
    ):
        verified = list(queryset.filter(status=Upload.Status.UPLOADED).values_list("pk", flat=True))
        skipped = queryset.count() - len(verified)
        done = 0
        # All or nothing: a reason refused for the first upload leaves every one as it was.
        with transaction.atomic():
            for upload_id in verified:
                try:
                    services.decide(upload_id, request.user, verdict, reason=reason, note=note)
                    done += 1
                except NotReviewable:  # deleted or failed since the list was shown
                    skipped += 1
        if verdict == Upload.Review.APPROVED:
            marked = ngettext("Marked %(n)d upload as approved.", "Marked %(n)d uploads as approved.", done)
        else:
            marked = ngettext("Marked %(n)d upload as rejected.", "Marked %(n)d uploads as rejected.", done)
        self.message_user(request, marked % {"n": done}, messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "Skipped %(n)d upload that is not verified.",
                    "Skipped %(n)d uploads that are not verified.",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )

    # --- One upload's page ------------------------------------------------------------------

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Upload | None = None,
    ) -> HttpResponse:
        if obj is not None:
            context.update(self._review_context(request, obj, context["preserved_filters"]))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _review_context(self, request: HttpRequest, row: Upload, preserved_filters: str):
        preserved = {"preserved_filters": preserved_filters, "opts": self.opts}
        texts = dict(conf.get("REJECTION_REASONS"))
        following, before = next_awaiting(row), previous_awaiting(row)
        return {
            "can_review": self.has_change_permission(request) and row.status == Upload.Status.UPLOADED,
            "review_state": state_label(row),
            "reject_form": RejectForm(),
            "next_url": following and add_preserved_filters(preserved, self._change_url(following)),
            "previous_url": before and add_preserved_filters(preserved, self._change_url(before)),
            "decision_headers": [
                Decision._meta.get_field(name).verbose_name
                for name in ("decided_at", "reviewer", "before", "after", "reason", "note")
            ],
            "decisions_title": Decision._meta.verbose_name_plural,
            "decisions": [
                {"decision": decision, "reason": texts.get(decision.reason, decision.reason)}
                for decision in row.decisions.select_related("reviewer")
            ],
        }

    def _change_url(self, upload_id: uuid.UUID | str):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[upload_id])

    def review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Approve or reject one upload from its page; "and next" goes on to the next one awaiting review."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        row = self.get_object(request, unquote(object_id))
        if row is None:
            raise Http404
        verdict = VERDICTS.get(request.POST.get("verdict"))
        if verdict is None:
            return HttpResponseBadRequest()
        preserved = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        back = add_preserved_filters(preserved, self._change_url(row.pk))
        try:
            services.decide(
                row.pk,
                request.user,
                verdict,
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
            )
        except (NotReviewable, ReasonNeeded) as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return redirect(back)
        if verdict == Upload.Review.APPROVED:
            done = gettext("Approved “%(name)s”.")
        else:
            done = gettext("Rejected “%(name)s”.")
        self.message_user(request, done % {"name": row.filename}, messages.SUCCESS)
        if request.POST.get("then") != "next":
            return redirect(back)
        following = next_awaiting(row, wrap=True)
        if following is None:
            self.message_user(request, gettext("No uploads are left to review."), messages.INFO)
            changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            return redirect(add_preserved_filters(preserved, changelist))
        return redirect(add_preserved_filters(preserved, self._change_url(following)))

    @admin.display(description=_("preview"))
    def preview(self, row: Upload) -> SafeString | str:
        name = preview_variant(row)
        if name is None:
            image = placeholder(row, "uploads-preview")
        else:
            made = row.variant(name)
            image = format_html(
                '<img class="uploads-preview" src="{}" alt="{}" width="{}" height="{}">',
                services.view_url(row, name),
                row.filename,
                made.width,
                made.height,
            )
        original = services.view_url(row)  # this page is for staff only
        if original is None:
            return image
        return format_html('{}<p><a href="{}">{}</a></p>', image, original, gettext("Open the original"))

    @admin.display(description=_("attached to"))
    def attached_to(self, row: Upload) -> SafeString | str:
        held = attachments.holders(row)
        if not held:
            return _("nothing")
        return format_html_join(", ", "{}", ((self._link(obj, field),) for obj, field in held))

    def _link(self, obj: Model, field: Field):
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

    # Objects go with their rows, so deleting in the admin leaves nothing behind in the bucket; only
    # once the rows are gone (an attached upload is refused), so no row points at a deleted object.
    def delete_model(self, request: HttpRequest, obj: Upload) -> None:
        super().delete_model(request, obj)
        transaction.on_commit(lambda: services.delete_stored([obj.key], [obj.sha256]))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Upload]) -> None:
        stored = list(queryset.values_list("key", "sha256"))
        super().delete_queryset(request, queryset)
        transaction.on_commit(
            lambda: services.delete_stored([key for key, _ in stored], [sha for _, sha in stored])
        )
