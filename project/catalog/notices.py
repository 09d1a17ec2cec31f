"""Telling sellers what a reviewer decided about their images: a notice in the page header, and
an email when the seller has an address."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from project.catalog import usage
from project.catalog.models import Notice
from uploads import services
from uploads.models import Upload

logger = logging.getLogger(__name__)


def tell_seller(sender, instance, decision, **kwargs):
    """``upload_reviewed`` receiver: tell the image's owner it was approved or rejected."""
    if decision.after not in (Upload.Review.APPROVED, Upload.Review.REJECTED):
        return None
    seller = instance.owner
    # The seller is not the one making the request (a reviewer is): their texts are in the
    # site's language, not in the reviewer's.
    with translation.override(settings.LANGUAGE_CODE):
        subject, text = _words(instance, decision)
        link = _link(instance, decision)
    notice = Notice.objects.create(user=seller, text=text, link=link)
    if seller.email:
        _email(seller, subject, text, instance)
    return notice


def _words(upload, decision):
    name = upload.filename
    if decision.after == Upload.Review.REJECTED:
        text = gettext("Your image “%(name)s” was rejected: %(reason)s") % {
            "name": name,
            "reason": services.reason_text(decision),
        }
        return gettext("Your image was rejected"), text
    text = gettext("Your image “%(name)s” was approved and is now shown in the shop.") % {"name": name}
    return gettext("Your image was approved"), text


def _link(upload, decision):
    """Where the seller goes next: the page to replace a rejected image on, or the page that
    shows an approved one; the library when nothing uses it."""
    uses = usage.uses([upload])[upload.pk]
    rejected = decision.after == Upload.Review.REJECTED
    if uses:
        return uses[0].url if rejected else uses[0].page
    state = "rejected" if rejected else "published"
    return f"{reverse('home')}?state={state}"


def _email(seller, subject, text, upload):
    try:
        send_mail(subject, text, None, [seller.email], fail_silently=False)
    except Exception:
        # Any backend's failure (SMTP, an API, the network): the reviewer's decision is saved and
        # the notice made; an email that could not go must not turn their request into an error.
        logger.exception("Could not email %s about the review of upload %s.", seller.email, upload.pk)


def unread_count(user):
    return Notice.objects.filter(user=user, read=False).count()


def mark_read(user):
    """Mark all the user's notices read; returns how many were unread."""
    return Notice.objects.filter(user=user, read=False).update(read=True)
