"""The ``Variant`` row the variant task leaves behind, for tests that need a variant made without
running the task: its bytes are no business of theirs."""

from uploads import variants
from uploads.models import Variant


def record_variant(upload, name, *, width=None, height=None, size=1000):
    """Record ``upload``'s variant ``name`` (a spec of its profile) as made. Without ``width`` and
    ``height`` it has the size the spec gives ``upload``'s own, never enlarged."""
    spec = variants.specs(upload.profile)[name]
    if width is None or height is None:
        scale = min(spec.size[0] / upload.width, spec.size[1] / upload.height, 1)
        width, height = round(upload.width * scale), round(upload.height * scale)
    return Variant.objects.create(
        source=upload.sha256,
        spec=spec.fingerprint(),
        key=variants.key(upload.sha256, spec),
        content_type="image/webp",
        width=width,
        height=height,
        size=size,
    )
