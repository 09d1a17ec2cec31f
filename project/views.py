from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from project.catalog import library


@login_required
def home(request):
    state = library.state_of(request.GET.get("state"))
    shown, entries = library.page(request.user, state, request.GET.get("page"))
    return render(
        request,
        "home.html",
        {
            "page": shown,
            "numbers": shown.paginator.get_elided_page_range(shown.number),
            "entries": entries,
            "state": state or "",
            "states": library.STATE_LABELS,
            # What the page links keep: the filter.
            "query": urlencode({"state": state}) if state else "",
        },
    )


@login_required
@require_POST
def delete_image(request):
    outcome = library.delete(request.user, request.POST.get("upload", ""))
    if outcome.deleted:
        messages.success(request, outcome.message)
    else:
        messages.error(request, outcome.message)
    return redirect(_back(request))


def _back(request):
    """The library page the form was on (its filter and page), if it is one of this site's."""
    wanted = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("home")
