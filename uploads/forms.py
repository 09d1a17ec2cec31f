"""The form field behind ``UploadField`` and ``UploadsField``: it takes upload ids and gives rows.

What it accepts, whatever the browser sent: verified uploads of the field's profile that the
submitting user owns and that nothing else holds yet, plus the ones the object already holds.
Anything else is a field error, and the rest of the choice comes back intact with the form.
"""

import uuid

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection
from django.forms.boundfield import BoundField
from django.utils.functional import cached_property
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from uploads import attachments, conf
from uploads.middleware import get_submission
from uploads.models import Upload
from uploads.selection import Selection, as_uuid
from uploads.widgets import UploadWidget


class _SelectionBoundField(BoundField):
    """Carries the ids the saved object holds next to the ids chosen, for clean() and the widget.

    They are read from the form's instance, never from ``initial``: initial data can come from
    the request (the admin fills it from the query string), and held ids are trusted.
    """

    @cached_property
    def held(self):
        instance = getattr(self.form, "instance", None)
        if instance is None or instance.pk is None:
            return []
        try:
            model_field = instance._meta.get_field(self.name)
        except FieldDoesNotExist:
            return []
        return model_field.value_from_object(instance) if attachments.is_registered(model_field) else []

    @property
    def data(self):
        return Selection.of(super().data, attached=self.held, name=self.html_name)

    def value(self):
        return Selection.of(super().value(), attached=self.held, name=self.html_name)


class UploadFormField(forms.Field):
    default_error_messages = {
        "invalid": _("“%(value)s” is not an upload id."),
        "one_only": _("Only one file can be attached here."),
        "max_count": ngettext_lazy(
            "At most %(limit)d file can be attached here; %(count)d were chosen.",
            "At most %(limit)d files can be attached here; %(count)d were chosen.",
            "limit",
        ),
        "required": _("Add at least one image."),
        "not_found": _("One of the chosen files does not exist or is not yours."),
        "pending": _("“%(name)s” has not finished uploading."),
        "failed": _("“%(name)s” was refused: %(reason)s"),
        "gone": _("“%(name)s” is no longer available."),
        "profile": _("“%(name)s” was uploaded for something else and cannot be used here."),
        "taken": _("“%(name)s” is already used by %(holder)s."),
        "chosen_twice": _("“%(name)s” is also chosen in another field of this form."),
    }

    def __init__(
        self,
        *,
        profile: str = conf.DEFAULT_PROFILE,
        multiple: bool = False,
        max_count: int | None = None,
        first_badge: str | None = None,
        capture: str | None = None,
        **kwargs,
    ) -> None:
        self.profile, self.multiple, self.max_count = profile, multiple, max_count
        kwargs.setdefault(
            "widget",
            UploadWidget(
                profile=profile,
                multiple=multiple,
                max_count=max_count,
                first_badge=first_badge,
                capture=capture,
            ),
        )
        if not multiple:
            kwargs["error_messages"] = {"required": _("Add an image."), **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)

    # The admin wraps relation widgets in add/change links meant for select boxes; the uploader
    # is its own interface, so keep the uploader and drop the wrapper.
    @property
    def widget(self) -> forms.Widget:
        return self._widget

    @widget.setter
    def widget(self, widget: forms.Widget) -> None:
        inner = getattr(widget, "widget", None)
        self._widget = (
            inner if isinstance(inner, UploadWidget) and not isinstance(widget, UploadWidget) else widget
        )

    def get_bound_field(self, form: forms.BaseForm, field_name: str) -> BoundField:
        return _SelectionBoundField(form, self, field_name)

    def prepare_value(self, value: object) -> Selection:
        return Selection.of(value)

    def has_changed(self, initial: object, data: object) -> bool:
        return Selection.of(initial).uuids() != Selection.of(data).uuids()

    def clean(self, value: object) -> Upload | list[Upload] | None:
        selection = Selection.of(value)
        for text in selection.ids:
            if as_uuid(text) is None:
                raise ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"value": text[:40]}
                )
        ids = selection.uuids()
        if not ids:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return [] if self.multiple else None
        self._check_count(ids)
        rows = self._check_each(ids, selection.attached, selection.name)
        return rows if self.multiple else rows[0]

    def _check_count(self, ids: list[uuid.UUID]):
        if not self.multiple and len(ids) > 1:
            raise ValidationError(self.error_messages["one_only"], code="one_only")
        if self.max_count is not None and len(ids) > self.max_count:
            raise ValidationError(
                self.error_messages["max_count"],
                code="max_count",
                params={"limit": self.max_count, "count": len(ids)},
            )

    def _check_each(self, ids: list[uuid.UUID], attached: frozenset[uuid.UUID], field_name: str | None):
        """One error per refused id, in the order given; nothing about anyone else's upload.

        Inside a transaction (the admin's, ATOMIC_REQUESTS, or the view's own) the chosen rows
        stay locked until it ends, so a simultaneous save or DELETE of the same upload waits and
        then sees this one's outcome instead of both succeeding.
        """
        submission = get_submission()
        user = submission.user
        rows = Upload.objects.all()
        if connection.in_atomic_block:
            rows = rows.select_for_update()
        rows = rows.in_bulk(ids)
        usable = [pk for pk in ids if pk in rows and (pk in attached or rows[pk].owner_id == user.pk)]
        new = [pk for pk in usable if pk not in attached]
        held_elsewhere = attachments.attached(new)
        claimed_elsewhere = {pk for pk in new if not submission.claim(pk, field_name or id(self))}
        errors = []
        for pk in ids:
            if pk not in usable:
                errors.append(ValidationError(self.error_messages["not_found"], code="not_found"))
            elif problem := self._problem(
                rows[pk], taken=pk in held_elsewhere, claimed=pk in claimed_elsewhere
            ):
                errors.append(problem)
        if errors:
            raise ValidationError(errors)
        return [rows[pk] for pk in ids]

    def _problem(self, row: Upload, *, taken: bool, claimed: bool):
        name = {"name": row.filename}
        if row.status == Upload.Status.PENDING:
            return ValidationError(self.error_messages["pending"], code="pending", params=name)
        if row.status == Upload.Status.FAILED:
            return ValidationError(
                self.error_messages["failed"], code="failed", params={**name, "reason": row.failure_reason}
            )
        if row.status != Upload.Status.UPLOADED:
            return ValidationError(self.error_messages["gone"], code="gone", params=name)
        if row.profile != self.profile:
            return ValidationError(self.error_messages["profile"], code="profile", params=name)
        if taken:
            holder = ", ".join(
                gettext("%(model)s “%(object)s”") % {"model": obj._meta.verbose_name, "object": obj}
                for obj, _field in attachments.holders(row)
            )
            return ValidationError(
                self.error_messages["taken"], code="taken", params={**name, "holder": holder}
            )
        if claimed:
            return ValidationError(self.error_messages["chosen_twice"], code="taken", params=name)
        return None
