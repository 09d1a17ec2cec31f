"""Model fields that attach verified uploads to a project's own models.

``UploadField`` holds one upload (a one-to-one key: an upload belongs to one row), and
``UploadsField`` holds an ordered list of them (a many-to-many whose link table has a
``position`` and at most one link per upload). Both are restricted to one upload profile and
render the uploader in forms, the admin included; see ``uploads.forms`` for what a form accepts.
Each concrete field joins ``uploads.attachments``, which answers where an upload is used
(``where_used``, also importable from here).
"""

import uuid
from collections.abc import Callable, Collection, Iterable
from typing import Any

import django
from django.core import checks
from django.db import models, router, transaction
from django.db.models import signals
from django.db.models.fields.related import lazy_related_operation
from django.db.models.fields.related_descriptors import ManyToManyDescriptor
from django.utils.functional import cached_property
from django.utils.text import capfirst

from uploads import attachments, conf
from uploads.attachments import where_used  # noqa: F401  what a project asks of its upload fields
from uploads.forms import UploadFormField
from uploads.widgets import check_capture


class UploadFieldMixin:
    """What both fields share: the profile, its checks, and joining the registry."""

    def _take_profile(self, kwargs: dict[str, Any], profile: str):
        for fixed in ("to", "limit_choices_to"):
            if fixed in kwargs:
                raise TypeError(
                    f"{self.__class__.__name__} decides {fixed!r} itself: "
                    "it holds verified uploads of one profile."
                )
        self.profile = profile
        kwargs["to"] = "uploads.Upload"
        kwargs.setdefault("related_name", "+")
        return kwargs

    def check(self, **kwargs) -> list[checks.CheckMessage]:
        return [*super().check(**kwargs), *self._check_profile()]

    def _check_profile(self):
        if self.profile in conf.profiles():
            return []
        return [
            checks.Error(
                f"{self.__class__.__name__} names the upload profile {self.profile!r}, "
                "which is not configured.",
                hint=f"Add {self.profile!r} to UPLOADS['PROFILES'], "
                f"or use one of: {', '.join(conf.profiles())}.",
                obj=self,
                id="uploads.E040",
            )
        ]

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("to", None)
        if kwargs.get("related_name") == "+":
            del kwargs["related_name"]
        if self.capture is not None:
            kwargs["capture"] = self.capture
        return name, path, args, {"profile": self.profile, **kwargs}


class UploadField(UploadFieldMixin, models.OneToOneField):
    """One verified upload of ``profile``; a given upload can be attached to one row only."""

    @property
    def non_db_attrs(self) -> tuple[str, ...]:
        # A property, as Django's own is on relations from 6.1 on; on a class attribute
        # (Django 5.2 and 6.0) super() finds the tuple all the same.
        return (*super().non_db_attrs, "profile", "capture")

    def __init__(
        self,
        profile: str = conf.DEFAULT_PROFILE,
        on_delete: Callable[..., None] = models.RESTRICT,
        capture: str | None = None,
        **kwargs,
    ) -> None:
        kwargs = self._take_profile(kwargs, profile)
        self.capture = check_capture(capture, type(self).__name__)
        # No upload is NULL; blank decides whether a form needs one. RESTRICT: an attached upload
        # cannot be deleted from under the row (the API refuses with 409 too), unless the row goes
        # in the same deletion (a seller's account with their products and uploads).
        kwargs.setdefault("null", True)
        super().__init__(on_delete=on_delete, **kwargs)

    def contribute_to_class(self, cls: type[models.Model], name: str, **kwargs) -> None:
        super().contribute_to_class(cls, name, **kwargs)
        attachments.register(self, cls)

    def holders_of(self, upload_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        rows = self.model._base_manager.filter(**{f"{self.attname}__in": upload_ids})
        return set(rows.values_list(self.attname, flat=True))

    def holding(self, upload: object) -> models.QuerySet:
        return self.model._base_manager.filter(**{self.attname: upload})

    def holders_by_upload(self, upload_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, models.Model]]:
        rows = self.model._base_manager.filter(**{f"{self.attname}__in": upload_ids})
        return [(getattr(row, self.attname), row) for row in rows]

    def formfield(self, **kwargs) -> UploadFormField:
        return UploadFormField(
            profile=self.profile,
            capture=self.capture,
            required=not self.blank,
            label=capfirst(self.verbose_name),
            **_form_kwargs(kwargs, self),
        )


class UploadsField(UploadFieldMixin, models.ManyToManyField):
    """Verified uploads of ``profile`` in the order they were given (``obj.field.all()`` keeps it).

    The order is the order of the links: they are written in the chosen order, so their ids keep
    it. That needs no column of ours in the link table, which Django's migrations never see.
    """

    @property
    def non_db_attrs(self) -> tuple[str, ...]:
        return (*super().non_db_attrs, "profile", "max_count", "first_badge", "capture")

    def __init__(
        self,
        profile: str = conf.DEFAULT_PROFILE,
        max_count: int | None = None,
        first_badge: str | None = None,
        capture: str | None = None,
        **kwargs,
    ) -> None:
        """``first_badge``: a label the uploader shows on the first image (e.g. ``_("Cover")``),
        for a model that shows its first image first; None (the default) shows none."""
        if "through" in kwargs:
            raise TypeError("UploadsField builds its own link table; it takes no 'through'.")
        kwargs = self._take_profile(kwargs, profile)
        self.max_count = max_count
        self.first_badge = first_badge
        self.capture = check_capture(capture, type(self).__name__)
        super().__init__(**kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        if self.max_count is not None:
            kwargs["max_count"] = self.max_count
        if self.first_badge is not None:
            kwargs["first_badge"] = self.first_badge
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type[models.Model], name: str, **kwargs) -> None:
        # Django would build a link table that lets one upload sit in many rows and vanish with a
        # deleted upload; ours allows one link per upload and protects it, so build it first.
        if not cls._meta.abstract and not cls._meta.swapped and not self.remote_field.through:
            self.set_attributes_from_name(name)
            self.remote_field.through = _link_model(self, cls)
        super().contribute_to_class(cls, name, **kwargs)
        setattr(cls, self.name, _OrderedDescriptor(self.remote_field, reverse=False))
        attachments.register(self, cls)

    def holders_of(self, upload_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        links = self.remote_field.through._base_manager.filter(
            **{f"{self.m2m_reverse_field_name()}__in": upload_ids}
        )
        return set(links.values_list(self.m2m_reverse_field_name(), flat=True))

    def holding(self, upload: object) -> models.QuerySet:
        return self.remote_field.through._base_manager.filter(**{self.m2m_reverse_field_name(): upload})

    def holders_by_upload(self, upload_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, models.Model]]:
        target, source = self.m2m_reverse_field_name(), self.m2m_field_name()
        links = self.remote_field.through._base_manager.filter(
            **{f"{target}__in": upload_ids}
        ).select_related(source)
        return [(getattr(link, f"{target}_id"), getattr(link, source)) for link in links]

    def save_form_data(self, instance: models.Model, data: list[models.Model] | None) -> None:
        getattr(instance, self.attname).set(data or [])

    def formfield(self, **kwargs) -> UploadFormField:
        return UploadFormField(
            profile=self.profile,
            multiple=True,
            max_count=self.max_count,
            first_badge=self.first_badge,
            capture=self.capture,
            required=not self.blank,
            label=capfirst(self.verbose_name),
            **_form_kwargs(kwargs, self),
        )


def _form_kwargs(kwargs: dict[str, Any], field: models.Field):
    # The admin passes a queryset and a widget meant for select boxes; the uploader replaces both.
    for name in ("queryset", "widget", "form_class", "limit_choices_to", "blank"):
        kwargs.pop(name, None)
    kwargs.setdefault("help_text", field.help_text)
    return kwargs


def _link_model(field: "UploadsField", klass: type[models.Model]):
    """The link table Django would make for ``field``, with one link per upload, protecting it."""
    to_model = "uploads.Upload"
    name = f"{klass._meta.object_name}_{field.name}"
    source = klass._meta.model_name
    target = "upload" if source != "upload" else "to_upload"

    def set_managed(
        model: type[models.Model], related: type[models.Model], through: type[models.Model]
    ) -> None:
        through._meta.managed = model._meta.managed or related._meta.managed

    lazy_related_operation(set_managed, klass, to_model, name)
    meta = type(
        "Meta",
        (),
        {
            "db_table": field._get_m2m_db_table(klass._meta),
            "auto_created": klass,
            "app_label": klass._meta.app_label,
            "db_tablespace": klass._meta.db_tablespace,
            "unique_together": (source, target),
            "verbose_name": f"{klass._meta.model_name}-upload link",
            "apps": klass._meta.apps,
        },
    )
    return type(
        name,
        (models.Model,),
        {
            "Meta": meta,
            "__module__": klass.__module__,
            source: models.ForeignKey(klass, related_name=f"{name}+", on_delete=models.CASCADE),
            # One link per upload: an upload in one gallery is never also in another row's. An
            # attached upload cannot be deleted from under the row (the API answers 409 too),
            # unless the row goes in the same deletion.
            target: models.OneToOneField(to_model, related_name=f"{name}+", on_delete=models.RESTRICT),
        },
    )


class _OrderedDescriptor(ManyToManyDescriptor):
    """``obj.images`` reads in link order and writes with ``set()`` / ``add()`` in the order given."""

    @cached_property
    def related_manager_cls(self):
        base = super().related_manager_cls
        field = self.rel.field
        # The link's key to the upload is hidden ("…+") but still queryable by that name; the
        # upload has one link per field, so ordering through it reuses the join and adds no rows.
        link_key = self.rel.through._meta.get_field(field.m2m_reverse_field_name())
        in_link_order = f"{link_key.related_query_name()}__pk"

        class OrderedUploads(base):
            """Django's manager of the link table, writing links in the order given.

            It sends Django's ``m2m_changed`` as Django's own manager does: ``sender`` the link
            table, ``instance``, ``reverse``, ``model`` (Upload), ``using``, and ``pk_set`` the ids
            added (``pre_add``/``post_add``) or removed (``pre_remove``/``post_remove``), or None
            (``pre_clear``/``post_clear``); from Django 6.1 on also ``raw``, True during loaddata.
            ``remove()`` and ``clear()`` are Django's own. The order adds one thing: links are read
            in the order they were written, so ``set()`` moving an upload to a later place removes
            its link and writes it again after the others, and the signals say so (the moved
            uploads in ``pk_set`` of a remove, then of an add). ``set()`` of the same uploads in
            the same order writes nothing and sends nothing.
            """

            def get_queryset(self):
                queryset = super().get_queryset()
                if queryset._result_cache is not None:  # prefetched, and ordered there
                    return queryset
                return queryset.order_by(in_link_order)

            def get_prefetch_querysets(
                self, instances: list[models.Model], querysets: list[Any] | None = None
            ) -> tuple:
                queryset = querysets[0] if querysets else self.model._default_manager.all()
                if not queryset.query.order_by:
                    queryset = queryset.order_by(in_link_order)
                return super().get_prefetch_querysets(instances, [queryset])

            def add(self, *uploads: Any, through_defaults: dict[str, Any] | None = None) -> None:
                """Append, in the order given (Django's own add() collects the ids in a set)."""
                self._remove_prefetched_objects()
                if not uploads:
                    return
                ids = self._ids(uploads)
                db = router.db_for_write(self.through, instance=self.instance)
                with transaction.atomic(using=db, savepoint=False):
                    self._append(ids, set(self._linked(db)), db)

            add.alters_data = True

            def set(
                self,
                uploads: Iterable[Any],
                *,
                clear: bool = False,
                through_defaults: dict[str, Any] | None = None,
            ) -> None:
                """Exactly these uploads, in this order (forms and loaddata come through here)."""
                self.set_base(uploads, clear=clear)

            set.alters_data = True

            def set_base(
                self,
                uploads: Iterable[Any],
                *,
                clear: bool = False,
                through_defaults: dict[str, Any] | None = None,
                raw: bool = False,
            ) -> None:
                # Django 6.1's set() and its deserializer (loaddata, with raw=True) call set_base();
                # before 6.1 nothing does, and loaddata calls set().
                wanted = self._ids(uploads)  # read before anything is deleted, as Django does
                db = router.db_for_write(self.through, instance=self.instance)
                with transaction.atomic(using=db, savepoint=False):
                    self._remove_prefetched_objects()
                    if clear:
                        self._send("pre_clear", None, db, raw)
                        self._links(db).delete()
                        self._send("post_clear", None, db, raw)
                        if wanted:
                            self._append(wanted, set(), db, raw)
                        return
                    linked = self._linked(db)
                    # Links already in the wanted order at its start stay; the rest are written again
                    # after them.
                    kept = wanted[: _in_order(linked, wanted)]
                    dropped = set(linked).difference(kept)
                    if dropped:
                        self._send("pre_remove", dropped, db, raw)
                        self._links(db).filter(**{f"{self.target_field.attname}__in": dropped}).delete()
                        self._send("post_remove", dropped, db, raw)
                    if len(kept) < len(wanted):
                        self._append(wanted, set(kept), db, raw)

            def _ids(self, uploads: Iterable[Any]):
                """The ids of ``uploads`` (Upload rows or their ids) in the order given, each once."""
                ids = {}
                for upload in uploads:
                    if isinstance(upload, self.model):
                        if upload.pk is None:
                            raise ValueError(f"Cannot add {upload!r}: it is not saved yet.")
                        ids[upload.pk] = None
                    elif isinstance(upload, models.Model):
                        raise TypeError(f"'{self.model._meta.object_name}' instance expected, got {upload!r}")
                    else:
                        ids[self.target_field.get_prep_value(upload)] = None
                return list(ids)

            def _links(self, db: str):
                return self.through._base_manager.using(db).filter(**{self.source_field_name: self.instance})

            def _linked(self, db: str):
                """The ids of the linked uploads, in link order."""
                return list(self._links(db).order_by("pk").values_list(self.target_field.attname, flat=True))

            def _append(self, ids: list[Any], linked: Collection[Any], db: str, raw: bool = False):
                """Link those of ``ids`` not in ``linked``, after the others and in this order."""
                pk_set = {pk for pk in ids if pk not in linked}
                self._send("pre_add", pk_set, db, raw)
                # As with Django's add(), a pre_add receiver may take ids out of pk_set.
                links = [
                    self.through(**{self.source_field_name: self.instance, self.target_field.attname: pk})
                    for pk in ids
                    if pk in pk_set
                ]
                self.through._base_manager.using(db).bulk_create(links)
                self._send("post_add", pk_set, db, raw)

            def _send(self, action: str, pk_set: Collection[Any] | None, db: str, raw: bool):
                signals.m2m_changed.send(
                    sender=self.through,
                    action=action,
                    instance=self.instance,
                    reverse=self.reverse,
                    model=self.model,
                    pk_set=pk_set,
                    using=db,
                    **({"raw": raw} if _M2M_CHANGED_HAS_RAW else {}),
                )

        return OrderedUploads


# Django sends m2m_changed with ``raw`` (True during loaddata) from 6.1 on.
_M2M_CHANGED_HAS_RAW = django.VERSION >= (6, 1)


def _in_order(linked: list[Any], wanted: list[Any]):
    """How many of ``wanted``'s first ids are in ``linked`` in that same order: their links can stay."""
    position = {pk: index for index, pk in enumerate(linked)}
    after = -1
    for count, pk in enumerate(wanted):
        if position.get(pk, -1) <= after:
            return count
        after = position[pk]
    return len(wanted)
