"""The JSON API. Each view: guards, one service call, one reply. Every error has one shape.

Guards are ``api_view``'s (authentication, method, JSON type and size, CSRF) and the view's own
parsing of its input into a validated value; the rate limits are handed to the service, which
holds them while it records the upload. The one call is into ``uploads.services``, for uploads
of either kind; the reply is built from its result alone (``upload_json`` signs the viewing URLs
it shows, locally). Every ``UploadError`` becomes ``{"error": {...}}`` in ``error_response``.
"""

import datetime
import functools
import json
import logging
import math
import uuid
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.module_loading import import_string
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from uploads import conf, limits, multipart, publishing, services, verify
from uploads.errors import (
    BodyTooLarge,
    CrossSite,
    CsrfFailed,
    InvalidField,
    InvalidJSON,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    ServerError,
    UnsupportedMediaType,
    UploadError,
)
from uploads.models import Decision, Upload

logger = logging.getLogger("uploads")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# The create call's JSON is a file name, a type and a size; refuse anything much bigger unread.
MAX_BODY = 16 * 1024
# Arrays and objects inside one another that a body may hold; the API's own calls need one.
MAX_NESTING = 32
# Credentials a browser sends by itself once the user gave them to it, to any site's forged
# request too: they are never offered to the token authenticators.
BROWSER_SCHEMES = ("basic", "digest", "negotiate", "ntlm")
View = Callable[..., HttpResponse]
_NUMBER_TOO_LARGE = _("The request body has a number too large to read; numbers must fit in 64 bits.")


def error_response(error: UploadError) -> JsonResponse:
    response = JsonResponse(error.as_dict(), status=error.status)
    if isinstance(error, MethodNotAllowed):
        response["Allow"] = ", ".join(error.allowed)
    if retry_after := getattr(error, "retry_after", None):
        response["Retry-After"] = str(retry_after)
    return response


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str):
        # Django's reasons are diagnostics it never translates itself; the sentence around them is.
        message = gettext("CSRF check failed (%(reason)s); reload the page and try again.")
        raise CsrfFailed(message % {"reason": reason.rstrip(".")})


def _authenticated_by_token(request: HttpRequest):
    """Let the configured ``TOKEN_AUTHENTICATION`` callables authenticate the request; whether one did.

    Only such a request is spared the CSRF check: another site cannot make a browser send a
    token in ``Authorization``. A request with the session cookie is a browser's, whatever else
    it sends, and credentials a browser adds by itself are never tried.
    """
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return False
    credentials = request.headers.get("Authorization", "").split(maxsplit=1)
    if not credentials or credentials[0].lower() in BROWSER_SCHEMES:
        return False
    for path in conf.get("TOKEN_AUTHENTICATION"):
        user = import_string(path)(request)
        if user is not None:
            request.user = user
            return True
    return False


def _check_same_site(request: HttpRequest):
    if request.headers.get("Sec-Fetch-Site", "").strip().lower() == "cross-site":
        raise CrossSite()


def _check_json_type(request: HttpRequest):
    """Unsafe calls send JSON: checked before the CSRF check, which would parse a form body."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType()
    charset = request.content_params.get("charset", "utf-8")
    if charset.strip().lower() not in ("utf-8", "utf8"):
        message = gettext("Send the request as UTF-8 JSON; the charset %(charset)s is not accepted.")
        raise UnsupportedMediaType(message % {"charset": repr(charset)})


def _check_body_length(request: HttpRequest):
    """Refuse a large body unread, and a Content-Length that Django's own int() would fail on."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not (declared.isascii() and declared.isdigit()):
        raise InvalidField(gettext("The Content-Length header must be a whole number of bytes."))
    if len(declared) > 18:  # int() refuses thousands of digits
        message = ngettext(
            "The request body is far larger than the %(limit)d byte the API accepts.",
            "The request body is far larger than the %(limit)d bytes the API accepts.",
            MAX_BODY,
        )
        raise BodyTooLarge(message % {"limit": MAX_BODY})
    if int(declared) > MAX_BODY:
        message = ngettext(
            "The request body is %(size)d byte; the API accepts at most %(limit)d.",
            "The request body is %(size)d bytes; the API accepts at most %(limit)d.",
            int(declared),
        )
        raise BodyTooLarge(message % {"size": int(declared), "limit": MAX_BODY})


def _check_csrf(request: HttpRequest):
    check = _CsrfCheck(lambda request: None)
    check.process_request(request)
    check.process_view(request, None, (), {})


def api_view(*methods: str) -> Callable[[View], View]:
    """Allow ``methods`` to logged-in users, take only JSON on unsafe ones and check their CSRF token
    unless a token authenticator vouched for the request, answer every error in JSON.

    The view is exempt from the CSRF middleware only so that a failure is answered here, in JSON:
    the same check runs below.
    """

    def decorate(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            allowed = (*methods, "HEAD") if "GET" in methods else methods
            try:
                by_token = _authenticated_by_token(request)
                if not by_token:
                    _check_same_site(request)
                if not request.user.is_authenticated:
                    raise NotAuthenticated()
                if request.method not in allowed:
                    raise MethodNotAllowed(request.method, allowed)
                if request.method not in SAFE_METHODS:
                    _check_json_type(request)
                    _check_body_length(request)
                    if not by_token:
                        _check_csrf(request)
                return view(request, *args, **kwargs)
            except UploadError as error:
                return error_response(error)
            except Exception:
                logger.exception("Unexpected error in %s %s", request.method, request.path)
                return error_response(ServerError())

        return wrapper

    return decorate


@api_view("GET", "POST")
def upload_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        declared = _declared(_json_body(request))
        within_limits = functools.partial(limits.holding, request, declared)
        created = services.create_upload(request.user, declared, within_limits=within_limits)
        return _created_reply(created)
    # GET and HEAD (Django drops the body of a HEAD reply)
    filters = _list_filters(request)
    listed = services.page(request.user, request.GET.get("page", 1), **filters)
    return _page_reply(request, listed, filters)


@api_view("GET", "DELETE")
def upload_detail(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    if request.method == "DELETE":
        # An upload of either kind: one still sent in parts has its multipart upload aborted too.
        if services.delete_upload(request.user, upload_id):
            return JsonResponse({}, status=HTTPStatus.OK)
        # The row is deleted; the object is not yet. Say exactly what happens to it.
        return JsonResponse(
            {
                "message": gettext(
                    "The upload is deleted. The file storage did not answer, so the file stays "
                    "there until the next clean-up removes it; no new link to it is given out."
                )
            },
            status=HTTPStatus.ACCEPTED,
        )
    return JsonResponse(_shown_json(services.detail(request.user, upload_id))[0])


@api_view("POST")
def upload_complete(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    # An upload of either kind: one sent in parts is first assembled from the parts S3 holds.
    return JsonResponse(upload_json(services.complete_upload(request.user, upload_id)))


@require_safe
def view(request: HttpRequest, upload_id: uuid.UUID, variant: str | None = None) -> HttpResponse:
    """A link that stays good: to the upload, or its made variant ``variant``, through a fresh
    short-lived URL, for a viewer who may see it (``publishing.may_view``); 404 otherwise.

    Pages put the signed URL itself in ``<img src>``; a link a person may follow later (a zoom,
    a download) points here, so it never leads to S3's "Request has expired"."""
    url = services.view_link(request.user, upload_id, variant)
    if url is None:
        return HttpResponseNotFound(gettext("There is no such image, or you may not see it."))
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "private, no-store"
    return response


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    return error_response(NotFound(gettext("There is no API endpoint at this address.")))


def _declared(data: object) -> verify.Declared:
    """The create call's body as the declared file, or the field error. A file that goes in parts
    needs no whole-file digest, and no more parts than S3 assembles."""
    in_parts = isinstance(data, dict) and multipart.goes_in_parts(data.get("size"))
    declared = verify.check_request(data, in_parts=in_parts)
    if in_parts:
        verify.check_part_count(declared, conf.get("MULTIPART_PART_SIZE"))
    return declared


def _created_reply(created: services.Created) -> JsonResponse:
    row = created.row
    if created.duplicate:
        # The same bytes are already verified for this user: no second copy, no upload needed.
        return JsonResponse({**upload_json(row), "duplicate": True, "upload": None})
    reply = {"id": str(row.pk), "status": row.status, "key": row.key}
    if created.policy is None:  # in parts: the page asks for part URLs next
        reply |= {"upload": None, "multipart": multipart_json(row)}
    else:
        reply |= {"upload": {"url": created.policy["url"], "fields": created.policy["fields"]}}
    reply |= {
        "expires_at": row.expires_at.isoformat(),
        "max_size": conf.get("MAX_SIZE", row.profile),
        "duplicate": False,
    }
    return JsonResponse(reply, status=HTTPStatus.CREATED)


def _page_reply(request: HttpRequest, page: services.Page, filters: dict[str, str | None]) -> JsonResponse:
    def link(number: int):
        # The filters asked for, then the page: the next page is of the same list.
        asked = {name: value for name, value in filters.items() if value is not None}
        query = urlencode({**asked, "page": number})
        return request.build_absolute_uri(f"{request.path}?{query}")

    return JsonResponse(
        {
            "count": page.count,
            "page": page.number,
            "pages": page.pages,
            "next": link(page.next_number) if page.next_number else None,
            "previous": link(page.previous_number) if page.previous_number else None,
            "results": _shown_json(page),
        }
    )


# The statuses the list may be filtered by: every status an upload the API shows can have (a
# deleted upload is gone from the API).
LISTED_STATUSES = [status for status in Upload.Status.values if status != Upload.Status.DELETED]


def _list_filters(request: HttpRequest) -> dict[str, str | None]:
    """The list's ``?status=`` and ``?profile=`` (None when not asked); an unknown value is refused."""
    status, profile = request.GET.get("status"), request.GET.get("profile")
    if status is not None and status not in LISTED_STATUSES:
        message = gettext("There is no upload status %(status)s; use one of: %(known)s.")
        raise InvalidField(
            message % {"status": repr(status), "known": ", ".join(LISTED_STATUSES)}, field="status"
        )
    if profile is not None and profile not in conf.profiles():
        # The create call's own words for an unknown profile.
        message = gettext("There is no upload profile %(profile)s; use one of: %(known)s.")
        raise InvalidField(
            message % {"profile": repr(profile), "known": ", ".join(conf.profiles())}, field="profile"
        )
    return {"status": status, "profile": profile}


def _shown_json(shown: services.Shown) -> list[dict[str, object]]:
    return [upload_json(row, shown.rejections.get(row.pk)) for row in shown.rows]


def _json_body(request: HttpRequest):
    """The body as JSON; its size and type were checked with the headers."""
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidJSON(gettext("The request body is not valid UTF-8.")) from None
    # Python's own parser gives up (RecursionError) at a depth that differs by version; no call
    # of this API nests at all, so a fixed, small limit answers the same everywhere.
    if _nesting(text) > MAX_NESTING:
        raise InvalidJSON(gettext("The request body nests arrays or objects too deeply."))
    try:
        return json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except RecursionError:
        raise InvalidJSON(gettext("The request body nests arrays or objects too deeply.")) from None
    except ValueError:
        raise InvalidJSON() from None


def _nesting(text: str):
    """The deepest nesting of arrays and objects in ``text``, brackets inside strings not counted."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _json_int(text: str):
    # int() refuses over 4300 digits; no field takes a number beyond 64 bits anyway.
    if len(text) > 20 or not -(2**63) <= int(text) < 2**63:
        raise InvalidJSON(_NUMBER_TOO_LARGE)
    return int(text)


def _json_float(text: str):
    value = float(text)
    if not math.isfinite(value):  # 1e999
        raise InvalidJSON(_NUMBER_TOO_LARGE)
    return value


def _json_constant(name: str):
    message = gettext("The request body is not valid JSON: %(name)s is not a JSON number.")
    raise InvalidJSON(message % {"name": name})


def _iso(moment: datetime.datetime | None):
    """ISO 8601 in UTC (``…+00:00``), or None."""
    return moment.astimezone(datetime.UTC).isoformat() if moment else None


def multipart_json(row: Upload) -> dict[str, int] | None:
    """``{"part_size", "part_count"}`` of an upload sent in parts (S3 multipart), None for one sent
    in one POST: what the create call of an upload in parts answered, and what the page reads to
    resume one after a reload."""
    if not row.part_size:
        return None
    return {"part_size": row.part_size, "part_count": verify.part_count(row.size, row.part_size)}


def upload_json(row: Upload, decision: Decision | None = None) -> dict[str, object]:
    """An upload as the API shows it to its owner; ``decision`` its latest review decision, if any."""
    return {
        "id": str(row.pk),
        "status": row.status,
        "profile": row.profile,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "key": row.key,
        "etag": row.etag,
        "sha256": row.sha256,
        "width": row.width,
        "height": row.height,
        "url": services.view_url(row),
        "failure_reason": row.failure_reason,
        "review": row.review,
        "review_reason": services.reason_text(decision) if decision and row.review == "rejected" else "",
        # awaiting_review, published, rejected, failed, pending, expired
        "state": publishing.state(row),
        # The variants made so far ({name: {url, width, height, size}}); the others come later.
        "variants": services.variants_json(row),
        # In parts ({part_size, part_count}) or in one POST (None).
        "multipart": multipart_json(row),
        "created_at": _iso(row.created_at),
        # When its POST policy (in parts: its latest part URLs) expires; …/renew/ gives a new policy.
        "expires_at": _iso(row.expires_at),
        "verified_at": _iso(row.verified_at),
    }


# --- Uploads in parts and renewed policies ---------------------------------------------------


@api_view("GET", "POST")
def upload_parts(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    """GET: the parts S3 holds and the numbers still to send. POST ``{"parts": [{"number", "sha256"}]}``:
    a PUT URL for each, with the header it must carry."""
    if request.method == "POST":
        wanted = verify.check_parts(_json_body(request))
        row, signed = services.sign_parts(request.user, upload_id, wanted)
        return JsonResponse(
            {
                "id": str(row.pk),
                "expires_at": row.expires_at.isoformat(),
                "parts": [
                    {
                        "number": part.number,
                        "size": part.size,
                        "url": part.url,
                        "headers": {multipart.CHECKSUM_HEADER: part.sha256},
                    }
                    for part in signed
                ],
            }
        )
    row, held, missing = services.stored_parts(request.user, upload_id)
    return JsonResponse(
        {
            "id": str(row.pk),
            "part_size": row.part_size,
            "part_count": verify.part_count(row.size, row.part_size),
            "expires_at": row.expires_at.isoformat(),
            "parts": [{"number": p.number, "size": p.size, "etag": p.etag, "sha256": p.sha256} for p in held],
            "missing": missing,
        }
    )


@api_view("POST")
def upload_renew(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    row, policy = services.renew_policy(request.user, upload_id)
    return JsonResponse(
        {
            "id": str(row.pk),
            "status": row.status,
            "key": row.key,
            "upload": {"url": policy["url"], "fields": policy["fields"]},
            "expires_at": row.expires_at.isoformat(),
            "max_size": conf.get("MAX_SIZE", row.profile),
        }
    )
