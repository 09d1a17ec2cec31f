"""The uploader as a form widget: the same element the ``{% uploader %}`` tag renders, plus a
hidden input that carries the chosen upload ids, in order, back to the form."""

import json
import uuid
from collections.abc import Mapping
from typing import Any

from django import forms
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext

from uploads import conf, filetypes, publishing, services, variants, verify
from uploads.middleware import peek_user
from uploads.models import Decision, Upload
from uploads.selection import Selection, ids_of

# reverse() needs a real UUID; the JavaScript fills "{id}" back in.
_PLACEHOLDER = uuid.UUID(int=0)


# The values of the file input's capture attribute: the camera facing the user, or the one facing away.
CAPTURE_VALUES = ("user", "environment")


def check_capture(capture: str | None, owner: str) -> str | None:
    """``capture`` if it is None (no camera asked for) or one of ``CAPTURE_VALUES``; a ValueError
    that names ``owner`` (what was given it) otherwise."""
    if capture is None or capture in CAPTURE_VALUES:
        return capture
    raise ValueError(
        f"{owner}: capture must be 'user' (the camera facing the user) or 'environment' (the camera "
        f"facing away), not {capture!r}; leave it out to have phones offer their files too."
    )


def _url_template(name: str) -> str:
    return reverse(name, args=[_PLACEHOLDER]).replace(str(_PLACEHOLDER), "{id}")


def uploader_context(profile: str, capture: str | None = None) -> dict[str, Any]:
    """Everything the uploader element needs for one profile: API URLs, limits and texts."""
    allowed = conf.get("ALLOWED_TYPES", profile)
    return {
        "profile": profile,
        "create_url": reverse("uploads:list"),
        "detail_url": _url_template("uploads:detail"),
        "complete_url": _url_template("uploads:complete"),
        "parts_url": _url_template("uploads:parts"),
        "renew_url": _url_template("uploads:renew"),
        # Not per profile: a file above it goes in parts whatever its profile (if MAX_SIZE lets it).
        "multipart_threshold": conf.get("MULTIPART_THRESHOLD"),
        "capture": capture,
        "max_size": conf.get("MAX_SIZE", profile),
        "allowed_types": allowed,
        # What the script needs of each allowed type (data-types): its name and extensions.
        "types": filetypes.for_page(allowed),
        "type_names": ", ".join(filetypes.name(t) for t in allowed),
        "limit": verify.human_size(conf.get("MAX_SIZE", profile)),
        "parallel": conf.get("PARALLEL"),
        "min_width": conf.get("MIN_WIDTH", profile),
        "min_height": conf.get("MIN_HEIGHT", profile),
        "client_resize": client_resize(profile),
        "catalog_url": reverse("uploads:jsi18n"),
        "script_url": static("uploads/uploader.js"),
        "style_url": static("uploads/uploader.css"),
    }


def client_resize(profile: str) -> str:
    """The profile's CLIENT_RESIZE with its defaults filled in, as the JSON of data-client-resize;
    "" when it has none (the page then sends every file as picked)."""
    spec = conf.get("CLIENT_RESIZE", profile)
    if spec is None:
        return ""
    return json.dumps({**conf.CLIENT_RESIZE_DEFAULTS, **spec}, sort_keys=True, separators=(",", ":"))


class UploadWidget(forms.Widget):
    """Renders the uploader; its value is a ``Selection`` (the ids chosen and those already attached)."""

    template_name = "uploads/widget.html"

    def __init__(
        self,
        attrs: dict[str, Any] | None = None,
        *,
        profile: str = conf.DEFAULT_PROFILE,
        multiple: bool = False,
        max_count: int | None = None,
        first_badge: str | None = None,
        capture: str | None = None,
    ) -> None:
        super().__init__(attrs)
        self.profile, self.multiple, self.max_count = profile, multiple, max_count
        # A label for the first image, for models that show it first (a cover); None shows none.
        self.first_badge = first_badge
        # The file input's capture attribute: phones open that camera ("user" or "environment").
        self.capture = check_capture(capture, "UploadWidget")

    @property
    def media(self) -> forms.Media:
        # The catalogue is a plain script so gettext() exists before the (deferred) module runs.
        return forms.Media(
            css={"all": ["uploads/uploader.css"]},
            js=[reverse("uploads:jsi18n"), forms.Script("uploads/uploader.js", type="module")],
        )

    def use_required_attribute(self, initial: object) -> bool:
        # The file input is empty once its files are on their way; the ids are what the form needs.
        return False

    def value_from_datadict(self, data: Mapping[str, Any], files: Mapping[str, Any], name: str) -> list[str]:
        # The page sends one comma-separated field; other clients may repeat the name instead.
        return ids_of(data.getlist(name) if hasattr(data, "getlist") else data.get(name))

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Mapping[str, Any], name: str) -> bool:
        return name not in data

    def get_context(self, name: str, value: object, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        selection = Selection.of(value)
        shown = self._shown(selection)
        given = context["widget"]["attrs"]
        base = given.get("id") or name
        # What the form adds (aria-invalid, its help text's id) belongs on the input people reach.
        file_attrs = {key: value for key, value in given.items() if key not in ("id", "aria-describedby")}
        file_attrs["aria-describedby"] = " ".join(
            filter(None, [f"{base}_hint", given.get("aria-describedby")])
        )
        context["widget"].update(
            {
                **uploader_context(self.profile, self.capture),
                "base_id": base,
                "file_input": {"attrs": file_attrs},
                "multiple": self.multiple,
                "max_count": self.max_count,
                "first_badge": self.first_badge if self.multiple else None,
                "uploads": shown,
                "ids": ",".join(str(shown_row["upload"].pk) for shown_row in shown),
            }
        )
        return context

    def _shown(self, selection: Selection) -> list[dict[str, Any]]:
        """The chosen uploads this viewer may see, each with its thumbnail and review note: their
        own verified ones, and those already attached.

        A submitted form comes back with whatever ids were posted; anyone else's upload must not
        come back as a picture (or a viewing URL) just because its id was sent. The thumbnail is
        a variant or nothing (the template shows a placeholder), never the original.
        """
        ids = selection.uuids()
        if not ids:
            return []
        user = peek_user()
        chosen = Upload.objects.filter(pk__in=ids, status=Upload.Status.UPLOADED, profile=self.profile)
        rows = chosen.with_variants().in_bulk()
        visible = [
            rows[pk]
            for pk in ids
            if pk in rows
            and (pk in selection.attached or (user is not None and rows[pk].owner_id == user.pk))
        ]
        rejections = services.latest_decisions(visible, rejected_only=True)
        return [_row(row, user, rejections.get(row.pk)) for row in visible]


def _row(upload: Upload, viewer: services.Viewer, rejection: Decision | None) -> dict[str, Any]:
    """One row's upload, thumbnail URL (or None, for the placeholder), review state and note."""
    # Shown to the viewer only as publishing allows: a rejected image to its owner and staff alone.
    visible = publishing.may_view(upload, viewer)
    state = publishing.state(upload)
    return {
        "upload": upload,
        "thumbnail": services.thumbnail_url(upload) if visible else None,
        "preview_coming": visible and _preview_coming(upload),
        "state": state,
        "review": review_note(upload, state, rejection),
    }


def _preview_coming(row: Upload) -> bool:
    """Whether a row without a thumbnail will have one: its profile names variants and their task
    has not finished. A task that finished without it found bytes that do not render."""
    return variants.thumbnail_name(row.profile) is not None and row.variants_due is not None


def review_note(row: Upload, state: str, rejection: Decision | None = None) -> str:
    """What the seller's form says of a reviewed upload in ``state`` (``publishing.state``), or "":
    awaiting review, approved, or rejected with the reason of ``rejection`` (its latest decision)."""
    if state == publishing.REJECTED:
        reason = services.reason_text(rejection) if rejection else ""
        return gettext("Rejected: %(reason)s") % {"reason": reason} if reason else gettext("Rejected")
    if state == publishing.AWAITING_REVIEW:
        return gettext("Awaiting review")
    if row.review == Upload.Review.APPROVED:
        return gettext("Approved")
    return ""
