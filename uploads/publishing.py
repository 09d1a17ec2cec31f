"""Who may see an upload, from its status, its review and its profile's ``REVIEW``. No I/O.

- No review: a verified upload is published.
- ``before_publish``: published once approved; until then only its owner and staff see it.
- ``after_publish``: published at once; hidden again once rejected.
A rejected upload is never shown to anyone but its owner and staff, through any URL or variant.
"""

from typing import TYPE_CHECKING

from django.db.models import Q

from uploads import conf

if TYPE_CHECKING:  # for the hints only: the module stays importable before Django is set up
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from uploads.models import Upload

# What a seller's library and the API say an upload is, in the order a filter offers them.
AWAITING_REVIEW, PUBLISHED, REJECTED, FAILED = "awaiting_review", "published", "rejected", "failed"
PENDING = "pending"
STATES = (AWAITING_REVIEW, PUBLISHED, REJECTED, FAILED)

UPLOADED, APPROVED, REJECTED_REVIEW, UNREVIEWED = "uploaded", "approved", "rejected", "unreviewed"


def review_of(profile: str) -> str | None:
    return conf.get("REVIEW", profile) if profile in conf.profiles() else conf.get("REVIEW")


def is_published(row: "Upload") -> bool:
    """Whether anyone may see ``row``."""
    if row.status != UPLOADED or row.review == REJECTED_REVIEW:
        return False
    return review_of(row.profile) != conf.BEFORE_PUBLISH or row.review == APPROVED


def may_view(row: "Upload", viewer: "AbstractBaseUser | AnonymousUser | None") -> bool:
    """Whether ``viewer`` (a user, anonymous, or None) may see ``row``: published, or theirs, or staff."""
    if row.status != UPLOADED:
        return False
    if is_published(row):
        return True
    if viewer is None or not viewer.is_authenticated:
        return False
    return viewer.is_staff or viewer.pk == row.owner_id


def state(row: "Upload") -> str:
    """One of ``STATES`` (or ``pending``, or the status itself when expired or deleted)."""
    if row.status == UPLOADED:
        if row.review == REJECTED_REVIEW:
            return REJECTED
        return PUBLISHED if is_published(row) else AWAITING_REVIEW
    return row.status


def awaits_review(row: "Upload") -> bool:
    """Whether a reviewer still has to decide on ``row``."""
    return row.status == UPLOADED and row.review == UNREVIEWED and review_of(row.profile) is not None


def _profiles_with(review: str | None) -> list[str]:
    return [name for name in conf.profiles() if conf.get("REVIEW", name) == review]


def _unknown_profiles() -> Q:
    """Rows of a profile no longer configured are judged by the top level's REVIEW."""
    return ~Q(profile__in=conf.profiles())


def _reviewed_like(review: str) -> Q:
    condition = Q(profile__in=_profiles_with(review))
    return condition | _unknown_profiles() if conf.get("REVIEW") == review else condition


def published_q(prefix: str = "") -> Q:
    """A ``Q`` for published uploads; ``prefix`` for a relation (``"images__"``)."""
    before = _reviewed_like(conf.BEFORE_PUBLISH)
    condition = Q(status=UPLOADED) & ~Q(review=REJECTED_REVIEW) & (~before | Q(review=APPROVED))
    return _prefixed(condition, prefix)


def state_q(wanted: str) -> Q:
    """A ``Q`` for the uploads in one of ``STATES``."""
    if wanted == PUBLISHED:
        return published_q()
    if wanted == REJECTED:
        return Q(status=UPLOADED, review=REJECTED_REVIEW)
    if wanted == AWAITING_REVIEW:
        reviewed = ~Q(profile__in=_profiles_with(None))
        if conf.get("REVIEW") is None:
            reviewed &= ~_unknown_profiles()
        return Q(status=UPLOADED, review=UNREVIEWED) & reviewed & ~published_q()
    if wanted == FAILED:
        return Q(status=FAILED)
    raise ValueError(f"Unknown state {wanted!r}; one of {', '.join(STATES)}.")


def awaiting_review_q() -> Q:
    """A ``Q`` for uploads a reviewer has not decided on, whatever others see meanwhile."""
    reviewed = ~Q(profile__in=_profiles_with(None))
    if conf.get("REVIEW") is None:
        reviewed &= ~_unknown_profiles()
    return Q(status=UPLOADED, review=UNREVIEWED) & reviewed


def _prefixed(condition: Q, prefix: str) -> Q:
    if not prefix:
        return condition
    clone = Q()
    clone.connector, clone.negated = condition.connector, condition.negated
    clone.children = [
        _prefixed(child, prefix) if isinstance(child, Q) else (prefix + child[0], child[1])
        for child in condition.children
    ]
    return clone
