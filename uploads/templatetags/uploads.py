import uuid

from django import template
from django.middleware.csrf import get_token

from uploads import conf, services, verify
from uploads.widgets import uploader_context

register = template.Library()


@register.inclusion_tag("uploads/uploader.html", takes_context=True)
def uploader(context, profile=conf.DEFAULT_PROFILE):
    """Render the upload widget for one upload profile: every URL and limit goes into data- attributes."""
    if profile not in conf.profiles():
        raise template.TemplateSyntaxError(f"{{% uploader %}}: there is no upload profile {profile!r}.")
    return {
        **uploader_context(profile),
        "csrf_token": get_token(context["request"]),
        "uploader_id": f"uploader-{uuid.uuid4().hex[:8]}",
    }


@register.simple_tag
def upload_url(upload):
    """A short-lived viewing URL for a verified upload; empty for anything else."""
    return (services.view_url(upload) or "") if upload is not None else ""


@register.filter
def upload_size(size):
    """``12.4 MB``: sizes as the uploader and the API's error messages print them."""
    return verify.human_size(int(size or 0))
