"""The JSON API. Each view: guards, one service call, one reply. Every error has one shape."""

import functools
import json
import logging
from http import HTTPStatus

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from uploads import conf, limits, services, verify
from uploads.errors import (
    BodyTooLarge,
    Forbidden,
    CsrfFailed,
    InvalidField,
    InvalidJSON,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    ServerError,
    UploadError,
)

logger = logging.getLogger("uploads")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# The create call's JSON is a file name, a type and a size; refuse anything much bigger unread.
MAX_BODY = 16 * 1024


def error_response(error):
    response = JsonResponse(error.as_dict(), status=error.status)
    if isinstance(error, MethodNotAllowed):
        response["Allow"] = ", ".join(error.allowed)
    if retry_after := getattr(error, "retry_after", None):
        response["Retry-After"] = str(retry_after)
    return response


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        raise CsrfFailed(f"CSRF check failed ({reason.rstrip('.')}); reload the page and try again.")


def _sent_by_a_browser_session(request):
    """Whether the caller may be a browser carrying credentials it attaches by itself.

    CSRF protects those: the session cookie, or anything else a browser adds unasked. A client
    that authenticates with its own ``Authorization`` header (a project's token backend) and sends
    no session cookie cannot be forged from another site, so it needs no CSRF token.
    """
    return settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" not in request.META


def _check_csrf(request):
    check = _CsrfCheck(lambda request: None)
    check.process_request(request)
    check.process_view(request, None, (), {})


def api_view(*methods):
    """Allow ``methods`` to logged-in users, check CSRF on unsafe ones from browser sessions, answer
    every error in JSON.

    The view is exempt from the CSRF middleware only so that a failure is answered here, in JSON:
    the same check runs below.
    """

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            allowed = (*methods, "HEAD") if "GET" in methods else methods
            try:
                if not request.user.is_authenticated:
                    raise NotAuthenticated()
                if request.method not in allowed:
                    raise MethodNotAllowed(request.method, allowed)
                if request.method not in SAFE_METHODS and _sent_by_a_browser_session(request):
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
def upload_list(request):
    if request.method == "POST":
        return _create(request)
    return _list(request)  # GET and HEAD (Django drops the body of a HEAD reply)


@api_view("GET", "DELETE")
def upload_detail(request, upload_id):
    if request.method == "DELETE":
        services.delete_upload(request.user, upload_id)
        return JsonResponse({}, status=HTTPStatus.OK)
    return JsonResponse(upload_json(services.owned(request.user, upload_id)))


@api_view("POST")
def upload_complete(request, upload_id):
    return JsonResponse(upload_json(services.complete_upload(request.user, upload_id)))


@csrf_exempt
def not_found(request, path=""):
    return error_response(NotFound("There is no API endpoint at this address."))


def _create(request):
    declared = verify.check_request(_json_body(request))
    if not services.may_start(request.user, declared.profile):
        raise Forbidden(f"Your account may not upload {declared.profile} files.", field="profile")
    if existing := services.already_uploaded(request.user, declared):
        # The same bytes are already verified for this user: no second copy, no upload needed.
        return JsonResponse({**upload_json(existing), "duplicate": True, "upload": None})
    limits.check(request, declared)
    row, policy = services.create_upload(request.user, declared)
    reply = {
        "id": str(row.pk),
        "status": row.status,
        "key": row.key,
        "upload": {"url": policy["url"], "fields": policy["fields"]},
        "expires_at": row.expires_at.isoformat(),
        "max_size": conf.get("MAX_SIZE", row.profile),
        "duplicate": False,
    }
    return JsonResponse(reply, status=HTTPStatus.CREATED)


def _list(request):
    rows = services.listed(request.user)
    paginator = Paginator(rows, conf.get("PAGE_SIZE"))
    try:
        page = paginator.page(request.GET.get("page", 1))
    except (EmptyPage, PageNotAnInteger):
        raise InvalidField(f"There is no page {request.GET.get('page')!r}.", field="page") from None

    def link(number):
        return request.build_absolute_uri(f"{request.path}?page={number}")

    return JsonResponse(
        {
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
            "next": link(page.next_page_number()) if page.has_next() else None,
            "previous": link(page.previous_page_number()) if page.has_previous() else None,
            "results": [upload_json(row) for row in page],
        }
    )


def _json_body(request):
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        raise BodyTooLarge(f"The request body is {length} bytes; the API accepts at most {MAX_BODY}.")
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidJSON() from None


def _iso(moment):
    return moment.isoformat() if moment else None


def upload_json(row):
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
        "created_at": _iso(row.created_at),
        "verified_at": _iso(row.verified_at),
    }
