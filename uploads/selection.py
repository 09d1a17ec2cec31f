"""A field's value on its way through a form: the ids chosen, and the ids the object already holds.

The held ids come from the saved object itself (see ``uploads.forms``), never from the browser
or the form's initial data: they are the uploads a form may keep even when someone else uploaded
them (staff editing a seller's product), and the only ones besides the viewer's own that the
widget may show.
"""

import uuid
from dataclasses import dataclass, field


def ids_of(value: object) -> list[str]:
    """Upload ids as strings, in order, from whatever a form holds: rows, UUIDs, strings or lists."""
    if value is None or value == "":
        return []
    if isinstance(value, Selection):
        return list(value.ids)
    if isinstance(value, (list, tuple)):
        return [one for item in value for one in ids_of(item)]
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(getattr(value, "pk", value))]


def as_uuid(text: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None


@dataclass(frozen=True)
class Selection:
    ids: tuple[str, ...] = ()
    attached: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # The field's name in the posted form, which claims one upload for one field per request.
    name: str = ""

    @classmethod
    def of(cls, value: object, attached: object = None, name: str = "") -> "Selection":
        if isinstance(value, Selection) and attached is None:
            return value
        held = {as_uuid(text) for text in ids_of(attached)} - {None}
        return cls(tuple(ids_of(value)), frozenset(held), name)

    def uuids(self) -> list[uuid.UUID]:
        """The chosen ids that are UUIDs, first occurrence only, in order."""
        seen = {}
        for text in self.ids:
            pk = as_uuid(text)
            if pk is not None:
                seen.setdefault(pk, None)
        return list(seen)
