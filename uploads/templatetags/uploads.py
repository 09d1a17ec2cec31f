import uuid

from django import template
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.urls import reverse

from uploads import conf, verify

register = template.Library()

# reverse() needs a real UUID; the JavaScript fills "{id}" back in.
_PLACEHOLDER = uuid.UUID(int=0)


def _url_template(name):
    return reverse(name, args=[_PLACEHOLDER]).replace(str(_PLACEHOLDER), "{id}")


@register.inclusion_tag("uploads/uploader.html", takes_context=True)
def uploader(context, profile=conf.DEFAULT_PROFILE):
    """Render the upload widget for one upload profile: every URL and limit goes into data- attributes."""
    if profile not in conf.profiles():
        raise template.TemplateSyntaxError(f"{{% uploader %}}: there is no upload profile {profile!r}.")
    allowed = conf.get("ALLOWED_TYPES", profile)
    return {
        "profile": profile,
        "create_url": reverse("uploads:list"),
        "detail_url": _url_template("uploads:detail"),
        "complete_url": _url_template("uploads:complete"),
        "csrf_token": get_token(context["request"]),
        "max_size": conf.get("MAX_SIZE", profile),
        "allowed_types": allowed,
        "type_names": ", ".join(verify.type_name(t) for t in allowed),
        "limit": verify.human_size(conf.get("MAX_SIZE", profile)),
        "parallel": conf.get("PARALLEL"),
        "uploader_id": f"uploader-{uuid.uuid4().hex[:8]}",
        "script_url": static("uploads/uploader.js"),
        "style_url": static("uploads/uploader.css"),
    }
