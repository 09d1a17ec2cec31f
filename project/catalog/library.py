"""A seller's image library: one page of their images with what each shows, and deleting one.

Built on the uploads app's public functions only, as any project would.
"""

import uuid
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from project.catalog import shop, usage
from uploads import publishing, services
from uploads.errors import InUse, NotFound
from uploads.models import Upload

PAGE_SIZE = 24

# In the order the filter offers them.
STATE_LABELS = {
    publishing.AWAITING_REVIEW: _("Awaiting review"),
    publishing.PUBLISHED: _("Published"),
    publishing.REJECTED: _("Rejected"),
    publishing.FAILED: _("Failed"),
    # Taken off a product, or dropped into a form never saved: removed by the clean-up after a day.
    services.NOT_USED: _("Not used anywhere"),
}


@dataclass(frozen=True)
class Entry:
    upload: Upload
    thumbnail: str | None  # the smallest variant's URL; None shows a placeholder, never the original
    state: str
    status: str  # "Published", or "Rejected: <reason>", "Failed: <reason>"
    uses: list[usage.Use]


@dataclass(frozen=True)
class Outcome:
    deleted: bool
    message: str


def state_of(value):
    """The filter's state from a query string value; None (all images) for anything unknown."""
    return value if value in STATE_LABELS else None


def page(owner, state=None, number=1):
    """One page of the owner's library (newest first), and its entries."""
    shown = Paginator(services.library(owner, state), PAGE_SIZE).get_page(number)
    rows = services.ready(shown.object_list)
    rejections = services.latest_decisions(rows, rejected_only=True)
    used = usage.uses(rows)
    entries = [
        Entry(
            upload=row,
            thumbnail=services.thumbnail_url(row),
            state=publishing.state(row),
            status=_status(row, rejections.get(row.pk)),
            uses=used[row.pk],
        )
        for row in rows
    ]
    return shown, entries


def _status(row, rejection):
    state = publishing.state(row)
    if state == publishing.REJECTED:
        return shop.review_mark(row, rejection)
    if state == publishing.FAILED:
        return gettext("Failed: %(reason)s") % {"reason": row.failure_reason}
    return str(STATE_LABELS.get(state, state))


def delete(owner, upload_id):
    """Delete one of the owner's images; refused, saying where, while something uses it."""
    gone = Outcome(False, gettext("That image does not exist any more."))
    try:
        row = services.owned(owner, uuid.UUID(str(upload_id)))
    except (ValueError, NotFound):  # not an id, or not one of the owner's images
        return gone
    try:
        # The object goes now, or with the clean-up when S3 does not answer: gone either way.
        services.delete_upload(owner, row.pk)
    except NotFound:  # deleted meanwhile (a second click)
        return gone
    except InUse:
        uses = usage.uses([row])[row.pk]
        if uses:
            return Outcome(False, uses[0].refusal)
        return Outcome(
            False, gettext("“%(name)s” is in use; remove it there first.") % {"name": row.filename}
        )
    return Outcome(True, gettext("Deleted “%(name)s”.") % {"name": row.filename})
