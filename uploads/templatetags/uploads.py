import uuid

from django import template
from django.core.exceptions import ImproperlyConfigured
from django.middleware.csrf import get_token
from django.template import Context

from uploads import conf, publishing, services, variants, verify
from uploads.models import Upload
from uploads.widgets import check_capture, uploader_context

register = template.Library()


@register.inclusion_tag("uploads/uploader.html", takes_context=True)
def uploader(
    context: Context, profile: str = conf.DEFAULT_PROFILE, capture: str | None = None
) -> dict[str, object]:
    """Render the upload widget for one upload profile: every URL and limit goes into data- attributes.
    ``capture="user"`` or ``"environment"`` has phones open that camera (the file input's capture)."""
    if profile not in conf.profiles():
        raise template.TemplateSyntaxError(
            f"{{% uploader %}}: there is no upload profile {profile!r}; "
            f"the profiles are {', '.join(conf.profiles())}."
        )
    try:
        check_capture(capture, "{% uploader %}")
    except ValueError as error:
        raise template.TemplateSyntaxError(str(error)) from None
    request = context.get("request")
    if request is None:
        raise ImproperlyConfigured(
            "{% uploader %} needs the request in the template context (for the CSRF token): add "
            "'django.template.context_processors.request' to the context_processors of your TEMPLATES "
            "setting, or render the template with render(request, ...)."
        )
    return {
        **uploader_context(profile, capture),
        "csrf_token": get_token(request),
        "uploader_id": f"uploader-{uuid.uuid4().hex[:8]}",
    }


@register.simple_tag(takes_context=True)
def upload_url(context: Context, upload: Upload | None | str, variant: str | None = None) -> str:
    """A short-lived viewing URL: ``{% upload_url image %}`` for the original, ``{% upload_url
    image "card" %}`` for its variant ``card``. Empty when nothing may be shown: not verified, the
    variant not made yet, or not for this viewer (``publishing.may_view``: a rejected image only
    to its owner and staff). The viewer is the context's ``request.user``; without a request, an
    anonymous visitor. A variant name the upload's profile does not define is an error.
    """
    if upload is None or upload == "":
        return ""
    _check_upload("upload_url", upload)
    if variant is not None:
        _check_variant("upload_url", upload, variant)
    return services.visible_url(upload, _viewer(context), variant) or ""


@register.simple_tag(takes_context=True)
def upload_thumbnail(context: Context, upload: Upload | None | str) -> str:
    """The URL of the upload's thumbnail (its profile's smallest variant), as ``{% upload_url %}``
    decides who sees it; empty until that variant is made, and never the original: show a
    placeholder for an empty one."""
    if upload is None or upload == "":
        return ""
    _check_upload("upload_thumbnail", upload)
    if not publishing.may_view(upload, _viewer(context)):
        return ""
    return services.thumbnail_url(upload) or ""


def _viewer(context: Context):
    return getattr(context.get("request"), "user", None)


def _check_upload(tag: str, upload: object):
    if not isinstance(upload, Upload):
        raise template.TemplateSyntaxError(
            f"{{% {tag} %}} takes an Upload (an UploadField's value, or one of an UploadsField's), "
            f"not {type(upload).__name__} {upload!r}."
        )


def _check_variant(tag: str, upload: Upload, variant: str):
    names = list(variants.specs(upload.profile))
    if variant in names:
        return
    known = f"its variants are {', '.join(names)}" if names else "it has no VARIANTS"
    raise template.TemplateSyntaxError(
        f"{{% {tag} %}}: the upload profile {upload.profile!r} has no variant {variant!r}; {known}."
    )


@register.filter
def upload_size(size: int | str | None) -> str:
    """``12.4 MB``: sizes as the uploader and the API's error messages print them."""
    return verify.human_size(int(size or 0))
