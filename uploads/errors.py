"""One error type for everything the API refuses; views turn it into the one JSON shape."""

from collections.abc import Iterable, Sequence
from http import HTTPStatus

from django.utils.functional import Promise
from django.utils.text import get_text_list
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


class UploadError(Exception):
    status = HTTPStatus.BAD_REQUEST
    code = "invalid"
    default_message = _("The request is not valid.")

    def __init__(self, message: str | Promise | None = None, *, field: str | None = None):
        # A lazy message (the defaults) is rendered in the request's language by as_dict().
        self.message = message or self.default_message
        self.field = field
        super().__init__(self.message)

    def as_dict(self) -> dict[str, dict[str, str | None]]:
        return {"error": {"code": self.code, "message": str(self.message), "field": self.field}}


class InvalidJSON(UploadError):
    code = "invalid_json"
    default_message = _("The request body is not valid JSON.")


class InvalidField(UploadError):
    code = "invalid"


class NotAuthenticated(UploadError):
    status = HTTPStatus.FORBIDDEN
    code = "not_authenticated"
    default_message = _("Log in to upload files.")


class Forbidden(UploadError):
    status = HTTPStatus.FORBIDDEN
    code = "forbidden"


class CsrfFailed(UploadError):
    status = HTTPStatus.FORBIDDEN
    code = "csrf_failed"
    default_message = _("The CSRF token is missing or wrong; reload the page and try again.")


class CrossSite(UploadError):
    status = HTTPStatus.FORBIDDEN
    code = "cross_site"
    default_message = _(
        "This request came from another site; the API answers this site's own pages "
        "and API clients that send a token."
    )


class NotFound(UploadError):
    status = HTTPStatus.NOT_FOUND
    code = "not_found"
    default_message = _("No such upload.")


class MethodNotAllowed(UploadError):
    status = HTTPStatus.METHOD_NOT_ALLOWED
    code = "method_not_allowed"

    def __init__(self, method: str, allowed: Sequence[str]):
        self.allowed = allowed
        # "GET, DELETE or HEAD", with Django's own translation of "or".
        choices = get_text_list(list(allowed))
        message = gettext("%(method)s is not allowed here; use %(choices)s.")
        super().__init__(message % {"method": method, "choices": choices})


class ObjectMissing(UploadError):
    status = HTTPStatus.CONFLICT
    code = "object_missing"
    default_message = _("The file has not arrived in storage yet; upload it first, then complete.")


class ObjectChanged(UploadError):
    status = HTTPStatus.CONFLICT
    code = "object_changed"
    default_message = _("The file changed in storage while it was being checked; complete it again.")


class InUse(UploadError):
    status = HTTPStatus.CONFLICT
    code = "in_use"
    default_message = _("This file is attached to something; remove it there first.")


class UploadExpired(UploadError):
    status = HTTPStatus.GONE
    code = "upload_expired"
    default_message = _("This upload's permission expired before the file arrived; start the upload again.")


class BodyTooLarge(UploadError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "body_too_large"


class TooLarge(UploadError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "too_large"


class UnsupportedType(UploadError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_type"


class UnsupportedMediaType(UploadError):
    """The request's own body is not JSON (``UnsupportedType`` is about the uploaded file)."""

    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_media_type"
    default_message = _("Send the request as JSON, with the header Content-Type: application/json.")


class VerificationFailed(UploadError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "verification_failed"


class ServerError(UploadError):
    status = HTTPStatus.INTERNAL_SERVER_ERROR
    code = "server_error"
    default_message = _("Something went wrong on the server; the error was logged. Try again later.")


class StorageUnavailable(UploadError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
    code = "storage_unavailable"
    default_message = _("The file storage is not answering right now; try again in a moment.")
    retry_after = 5


class LimitsUnavailable(UploadError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
    code = "limits_unavailable"
    default_message = _("The site cannot count uploads right now; try again in a moment.")
    retry_after = 5


class TooManyRequests(UploadError):
    status = HTTPStatus.TOO_MANY_REQUESTS
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float):
        self.retry_after = max(1, int(retry_after))
        super().__init__(message)


class NotReviewable(UploadError):
    status = HTTPStatus.CONFLICT
    code = "not_reviewable"
    default_message = _("Only a verified upload can be approved or rejected.")


class ReasonNeeded(UploadError):
    code = "reason_needed"
    default_message = _("Say why the image is rejected: pick a reason or write one.")


class PartsMissing(UploadError):
    """Complete was asked of an upload sent in parts before S3 held every part; it stays pending."""

    status = HTTPStatus.CONFLICT
    code = "parts_missing"

    def __init__(self, missing: Iterable[int]):
        self.missing = list(missing)
        message = ngettext(
            "%(count)d part of the file has not arrived in storage yet; send it, then complete.",
            "%(count)d parts of the file have not arrived in storage yet; send them, then complete.",
            len(self.missing),
        )
        super().__init__(message % {"count": len(self.missing)})


class PartChanged(UploadError):
    status = HTTPStatus.CONFLICT
    code = "part_changed"

    def __init__(self, number: int):
        message = gettext(
            "Part %(number)d was declared with another SHA-256 digest, and a part cannot change; "
            "start a new upload for a changed file."
        )
        super().__init__(message % {"number": number}, field="parts")


class NotPending(UploadError):
    status = HTTPStatus.CONFLICT
    code = "not_pending"
    default_message = _("This upload is finished; it takes no more data.")


class NotMultipart(UploadError):
    status = HTTPStatus.CONFLICT
    code = "not_multipart"
    default_message = _("This upload is sent in one piece; it has no parts.")


class SentInParts(UploadError):
    status = HTTPStatus.CONFLICT
    code = "sent_in_parts"
    default_message = _("This upload is sent in parts; ask for the URLs of its missing parts instead.")
