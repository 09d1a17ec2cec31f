from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from uploads import services


@login_required
def home(request):
    uploads = services.listed(request.user).filter(status="uploaded")[:24]
    return render(
        request,
        "home.html",
        {"uploads": [(upload, services.view_url(upload)) for upload in uploads]},
    )
