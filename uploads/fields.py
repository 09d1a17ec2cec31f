"""Model fields that attach verified uploads to a project's own models.

``UploadField`` holds one upload (a one-to-one key: an upload belongs to one row), and
``UploadsField`` holds an ordered list of them (a many-to-many whose link table has a
``position`` and at most one link per upload). Both are restricted to one upload profile and
render the uploader in forms, the admin included; see ``uploads.forms`` for what a form accepts.
"""

from django.core import checks
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.fields.related import lazy_related_operation
from django.db.models.fields.related_descriptors import ManyToManyDescriptor
from django.utils.functional import cached_property
from django.utils.text import capfirst

from uploads import conf

# Every concrete upload field of the project's models, so "is this upload attached anywhere?"
# is one query per field. Migration states build their own model classes; those stay out.
_registry = []


def upload_fields():
    """Every concrete upload field of the project's models."""
    return list(_registry)


def attached(upload_ids):
    """The ids among ``upload_ids`` that some model's upload field already holds."""
    upload_ids = list(upload_ids)
    found = set()
    if not upload_ids:
        return found
    for field in _registry:
        found.update(field.holders_of(upload_ids))
    return found


def holders(upload):
    """The objects whose upload fields hold ``upload``, as ``(object, field)`` pairs."""
    return [(holder, field) for field in _registry for holder in field.objects_holding(upload)]


def attached_q():
    """A ``Q`` (on uploads) for those some model's upload field holds: an ``Exists`` per field."""
    condition = Q(pk__in=[])
    for field in _registry:
        condition |= Q(Exists(field.holding(OuterRef("pk"))))
    return condition


def where_used(uploads):
    """``{upload id: [(object, field), ...]}`` for ``uploads``: one query per upload field."""
    ids = [getattr(upload, "pk", upload) for upload in uploads]
    found = {pk: [] for pk in ids}
    if not ids:
        return found
    for field in _registry:
        for pk, holder in field.holders_by_upload(ids):
            found[pk].append((holder, field))
    return found


class UploadFieldMixin:
    """What both fields share: the profile, its checks, and joining the registry."""

    def _take_profile(self, kwargs, profile):
        for fixed in ("to", "limit_choices_to"):
            if fixed in kwargs:
                raise TypeError(
                    f"{self.__class__.__name__} decides {fixed!r} itself: it holds verified uploads of one profile."
                )
        self.profile = profile
        kwargs["to"] = "uploads.Upload"
        kwargs.setdefault("related_name", "+")
        return kwargs

    def _register(self, cls):
        from django.apps import apps

        if not (cls._meta.abstract or cls._meta.swapped) and cls._meta.apps is apps and self not in _registry:
            _registry.append(self)

    def check(self, **kwargs):
        return [*super().check(**kwargs), *self._check_profile()]

    def _check_profile(self):
        if self.profile in conf.profiles():
            return []
        return [
            checks.Error(
                f"{self.__class__.__name__} names the upload profile {self.profile!r}, which is not configured.",
                hint=f"Add {self.profile!r} to UPLOADS['PROFILES'], or use one of: {', '.join(conf.profiles())}.",
                obj=self,
                id="uploads.E040",
            )
        ]

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("to", None)
        if kwargs.get("related_name") == "+":
            del kwargs["related_name"]
        return name, path, args, {"profile": self.profile, **kwargs}


class UploadField(UploadFieldMixin, models.OneToOneField):
    """One verified upload of ``profile``; a given upload can be attached to one row only."""

    @property
    def non_db_attrs(self):
        # A property, as Django's own is on relations from 6.1 on; on a class attribute
        # (Django 5.2 and 6.0) super() finds the tuple all the same.
        return (*super().non_db_attrs, "profile")

    def __init__(self, profile=conf.DEFAULT_PROFILE, on_delete=models.RESTRICT, **kwargs):
        kwargs = self._take_profile(kwargs, profile)
        # No upload is NULL; blank decides whether a form needs one. RESTRICT: an attached upload
        # cannot be deleted from under the row (the API refuses with 409 too), unless the row goes
        # in the same deletion (a seller's account with their products and uploads).
        kwargs.setdefault("null", True)
        super().__init__(on_delete=on_delete, **kwargs)

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        self._register(cls)

    def holders_of(self, upload_ids):
        rows = self.model._base_manager.filter(**{f"{self.attname}__in": upload_ids})
        return set(rows.values_list(self.attname, flat=True))

    def objects_holding(self, upload):
        return list(self.model._base_manager.filter(**{self.attname: upload.pk}))

    def holding(self, upload):
        return self.model._base_manager.filter(**{self.attname: upload})

    def holders_by_upload(self, upload_ids):
        rows = self.model._base_manager.filter(**{f"{self.attname}__in": upload_ids})
        return [(getattr(row, self.attname), row) for row in rows]

    def formfield(self, **kwargs):
        from uploads.forms import UploadFormField

        return UploadFormField(
            profile=self.profile,
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
    def non_db_attrs(self):
        return (*super().non_db_attrs, "profile", "max_count", "first_badge")

    def __init__(self, profile=conf.DEFAULT_PROFILE, max_count=None, first_badge=None, **kwargs):
        """``first_badge``: a label the uploader shows on the first image (e.g. ``_("Cover")``),
        for a model that shows its first image first; None (the default) shows none."""
        if "through" in kwargs:
            raise TypeError("UploadsField builds its own link table; it takes no 'through'.")
        kwargs = self._take_profile(kwargs, profile)
        self.max_count = max_count
        self.first_badge = first_badge
        super().__init__(**kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.max_count is not None:
            kwargs["max_count"] = self.max_count
        if self.first_badge is not None:
            kwargs["first_badge"] = self.first_badge
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, **kwargs):
        # Django would build a link table that lets one upload sit in many rows and vanish with a
        # deleted upload; ours allows one link per upload and protects it, so build it first.
        if not cls._meta.abstract and not cls._meta.swapped and not self.remote_field.through:
            self.set_attributes_from_name(name)
            self.remote_field.through = _link_model(self, cls)
        super().contribute_to_class(cls, name, **kwargs)
        setattr(cls, self.name, _OrderedDescriptor(self.remote_field, reverse=False))
        self._register(cls)

    def holders_of(self, upload_ids):
        links = self.remote_field.through._base_manager.filter(**{f"{self.m2m_reverse_field_name()}__in": upload_ids})
        return set(links.values_list(self.m2m_reverse_field_name(), flat=True))

    def objects_holding(self, upload):
        links = self.remote_field.through._base_manager.filter(**{self.m2m_reverse_field_name(): upload.pk})
        return [getattr(link, self.m2m_field_name()) for link in links.select_related(self.m2m_field_name())]

    def holding(self, upload):
        return self.remote_field.through._base_manager.filter(**{self.m2m_reverse_field_name(): upload})

    def holders_by_upload(self, upload_ids):
        target, source = self.m2m_reverse_field_name(), self.m2m_field_name()
        links = self.remote_field.through._base_manager.filter(**{f"{target}__in": upload_ids}).select_related(source)
        return [(getattr(link, f"{target}_id"), getattr(link, source)) for link in links]

    def save_form_data(self, instance, data):
        getattr(instance, self.attname).set(data or [])

    def formfield(self, **kwargs):
        from uploads.forms import UploadFormField

        return UploadFormField(
            profile=self.profile,
            multiple=True,
            max_count=self.max_count,
            first_badge=self.first_badge,
            required=not self.blank,
            label=capfirst(self.verbose_name),
            **_form_kwargs(kwargs, self),
        )


def _form_kwargs(kwargs, field):
    # The admin passes a queryset and a widget meant for select boxes; the uploader replaces both.
    for name in ("queryset", "widget", "form_class", "limit_choices_to", "blank"):
        kwargs.pop(name, None)
    kwargs.setdefault("help_text", field.help_text)
    return kwargs


def _link_model(field, klass):
    """The link table Django would make for ``field``, with one link per upload, protecting it."""
    to_model = "uploads.Upload"
    name = f"{klass._meta.object_name}_{field.name}"
    source = klass._meta.model_name
    target = "upload" if source != "upload" else "to_upload"

    def set_managed(model, related, through):
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
            def get_queryset(self):
                queryset = super().get_queryset()
                if queryset._result_cache is not None:  # prefetched, and ordered there
                    return queryset
                return queryset.order_by(in_link_order)

            def get_prefetch_querysets(self, instances, querysets=None):
                queryset = querysets[0] if querysets else self.model._default_manager.all()
                if not queryset.query.order_by:
                    queryset = queryset.order_by(in_link_order)
                return super().get_prefetch_querysets(instances, [queryset])

            def _links(self):
                return self.through._base_manager.using(self.db).filter(**{self.source_field_name: self.instance})

            def add(self, *uploads, through_defaults=None):
                """Append, in the order given (Django's own add() collects the ids in a set)."""
                held = set(self._links().values_list(self.target_field_name, flat=True))
                new = []
                for upload in uploads:
                    pk = getattr(upload, "pk", upload)
                    if pk not in held:
                        held.add(pk)
                        link = {self.source_field_name: self.instance, f"{self.target_field_name}_id": pk}
                        new.append(self.through(**link))
                self.through._base_manager.using(self.db).bulk_create(new)

            def set(self, uploads, *, clear=False, through_defaults=None):
                """Exactly these uploads, in this order (forms and loaddata come through here)."""
                self.set_base(uploads)

            def set_base(self, uploads, *, clear=False, through_defaults=None, raw=False):
                # Django 6.1's set() and its deserializer (loaddata) call set_base(); before 6.1
                # nothing does, and loaddata calls set().
                with transaction.atomic(using=self.db, savepoint=False):
                    self._links().delete()
                    self.add(*uploads)

        return OrderedUploads
