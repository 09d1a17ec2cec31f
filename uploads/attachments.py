"""Which uploads the project's models hold: the registry of upload fields, asked one field at a time.

``uploads.fields`` registers each concrete ``UploadField`` and ``UploadsField`` here as Django
builds the models; the services, forms, clean-up and admin ask these questions without knowing
the fields. Migration states build their own model classes; those stay out.
"""

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db.models import Exists, Field, Model, OuterRef, Q

_registry: list[Field] = []


def register(field: Field, model: type[Model]) -> None:
    """Add ``field`` of ``model`` unless the model is abstract, swapped or a migration state's."""
    if (
        not (model._meta.abstract or model._meta.swapped)
        and model._meta.apps is apps
        and field not in _registry
    ):
        _registry.append(field)


def is_registered(field: Field) -> bool:
    """Whether ``field`` is one of the project's upload fields."""
    return field in _registry


def upload_fields() -> list[Field]:
    """Every concrete upload field of the project's models."""
    return list(_registry)


def attached(upload_ids: Iterable[Any]) -> set[Any]:
    """The ids among ``upload_ids`` that some model's upload field already holds."""
    upload_ids = list(upload_ids)
    found: set[Any] = set()
    if not upload_ids:
        return found
    for field in _registry:
        found.update(field.holders_of(upload_ids))
    return found


def holders(upload: Model) -> list[tuple[Model, Field]]:
    """The objects whose upload fields hold ``upload``, as ``(object, field)`` pairs."""
    return where_used([upload])[upload.pk]


def attached_q() -> Q:
    """A ``Q`` (on uploads) for those some model's upload field holds: an ``Exists`` per field."""
    condition = Q(pk__in=[])
    for field in _registry:
        condition |= Q(Exists(field.holding(OuterRef("pk"))))
    return condition


def where_used(uploads: Iterable[Any]) -> dict[Any, list[tuple[Model, Field]]]:
    """``{upload id: [(object, field), ...]}`` for ``uploads`` (rows or ids): one query per upload field."""
    ids = [getattr(upload, "pk", upload) for upload in uploads]
    found: dict[Any, list[tuple[Model, Field]]] = {pk: [] for pk in ids}
    if not ids:
        return found
    for field in _registry:
        for pk, holder in field.holders_by_upload(ids):
            found[pk].append((holder, field))
    return found
