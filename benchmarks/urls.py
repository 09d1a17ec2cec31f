from django.contrib.staticfiles.views import serve as serve_static
from django.http import JsonResponse
from django.urls import include, path, re_path

from benchmarks import peer
from project.urls import urlpatterns as demo_urlpatterns
from uploads.views import api_view


@api_view("POST")
def trivial(request):
    """The floor for a JSON API call: same middleware, login and CSRF check, no work."""
    return JsonResponse({"ok": True}, status=201)


urlpatterns = [
    path("bench/trivial/", trivial),
    path("peer/", include(peer.urlpatterns)),
    # gunicorn serves the page's script too (DEBUG is off); fine for a loopback benchmark only.
    re_path(r"^static/(?P<path>.*)$", serve_static, {"insecure": True}),
    *demo_urlpatterns,
]
