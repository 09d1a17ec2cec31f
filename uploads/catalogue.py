"""The uploader's texts in the request's language, for uploader.js and no other script.

Django's own catalogue script keeps its functions on ``window.django``, which other scripts
replace: the admin's ``jquery.init.js`` sets ``window.django = {jQuery: …}``, and an uploader
in the admin lost its German. This script keeps the catalogue in its own scope and hands it
to the uploader when the uploader asks, with an ``uploads:catalogue`` event on the document.
It never touches ``window.django``, so it cannot overwrite the admin's texts either.
"""

import json
from typing import Any

from django.http import HttpResponse
from django.views.i18n import JavaScriptCatalog

SCRIPT = """'use strict';
{
  const catalog = %(catalog)s;
  const formats = %(formats)s;
  const pluralidx = (n) => {
    const v = %(plural)s;
    return typeof v === "boolean" ? (v ? 1 : 0) : v;
  };
  document.addEventListener("uploads:catalogue", (event) =>
    event.detail?.receive?.({ catalog, formats, pluralidx }),
  );
}
"""
NUMBER_FORMATS = ("DECIMAL_SEPARATOR", "THOUSAND_SEPARATOR", "NUMBER_GROUPING")


class UploaderCatalog(JavaScriptCatalog):
    packages = ["uploads"]

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        formats = {name: context["formats"][name] for name in NUMBER_FORMATS}
        script = SCRIPT % {
            "catalog": json.dumps(context["catalog"], sort_keys=True, indent=2).replace("\n", "\n  "),
            "formats": json.dumps(formats, sort_keys=True),
            # The catalogue's Plural-Forms formula, as Django's own catalogue script embeds it.
            "plural": context["plural"] or "(n != 1)",
        }
        return HttpResponse(script, content_type='text/javascript; charset="utf-8"')
