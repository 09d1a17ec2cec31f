import uuid

from django import template
from django.core.exceptions import ImproperlyConfigured
from django.middleware.csrf import get_token

from uploads import conf, services, verify
from uploads.models import Upload
from uploads.widgets import uploader_context

register = template.Library()


@register.inclusion_tag("uploads/uploader.html", takes_context=True)
def uploader(context, profile=conf.DEFAULT_PROFILE):
    """Render the upload widget for one upload profile: every URL and limit goes into data- attributes."""
    if profile not in conf.profiles():
        raise template.TemplateSyntaxError(
            f"{{% uploader %}}: there is no upload profile {profile!r}; the profiles are {', '.join(conf.profiles())}."
        )
    request = context.get("request")
    if request is None:
        raise ImproperlyConfigured(
            "{% uploader %} needs the request in the template context (for the CSRF token): add "
            "'django.template.context_processors.request' to the context_processors of your TEMPLATES "
            "setting, or render the template with render(request, ...)."
        )
    return {
        **uploader_context(profile),
        "csrf_token": get_token(request),
        "uploader_id": f"uploader-{uuid.uuid4().hex[:8]}",
    }


@register.simple_tag
def upload_url(upload):
    """A short-lived viewing URL for a verified upload; empty for anything else."""
    if upload is None or upload == "":
        return ""
    if not isinstance(upload, Upload):
        raise template.TemplateSyntaxError(
            f"{{% upload_url %}} takes an Upload (an UploadField's value, or one of an UploadsField's), "
            f"not {type(upload).__name__} {upload!r}."
        )
    return services.view_url(upload) or ""


@register.filter
def upload_size(size):
    """``12.4 MB``: sizes as the uploader and the API's error messages print them."""
    return verify.human_size(int(size or 0))
