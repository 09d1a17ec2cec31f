"""Nothing a person can read stays English on a German site.

The messages are read from the code itself: every gettext call in the app's and the demo's
Python (by ``ast``), every ``{% translate %}`` in their templates (as makemessages reads them)
and every ``gettext("…")`` in the uploader's script. Each must have German in the compiled
catalogues, and a message the code hands to a person without gettext fails here too.
"""

import ast
import gettext as gnu_gettext
import json
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation
from django.utils.translation.template import templatize

from tests.conftest import ApiClient, post_to_s3
from tests.images import image_bytes
from uploads import errors, verify  # noqa: F401  (verify defines UploadErrors of its own)

ROOT = Path(__file__).resolve().parents[1]
APP, DEMO = ROOT / "uploads", ROOT / "project"
# The uploader's script: its entry module and the modules beside it that it imports.
SCRIPT = (
    APP / "static" / "uploads" / "uploader.js",
    *sorted((APP / "static" / "uploads" / "uploader").rglob("*.js")),
)
CONTEXT_FIRST = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}
GETTEXT = {"gettext", "gettext_lazy", "ngettext", "ngettext_lazy", *CONTEXT_FIRST}
# Where German is rightly the same as English. Keep it short, and say why.
SAME_IN_GERMAN = {
    "%(size)s GB": "units are written the same",
    "%(size)s MB": "units are written the same",
    "%(size)s KB": "units are written the same",
    "%(width)s × %(height)s · %(size)s": "no words, only numbers",
    "%(size)s/s": "units are written the same",
    "ETag": "an HTTP header's name",
    "SHA-256": "an algorithm's name",
    "Uploads": "German uses the English word",
    "Shop": "German uses the English word",
}


def python_files(root):
    # Migrations only copy the models' (already translated) names.
    return sorted(path for path in root.rglob("*.py") if "migrations" not in path.parts)


def templates(root):
    return sorted(root.rglob("templates/**/*.html"))


DEMO_TEMPLATES = [*templates(DEMO), *sorted((ROOT / "templates").rglob("*.html"))]


def catalogue(root, domain="django"):
    """The compiled German catalogue of one locale folder, without Django's or any other app's."""
    return gnu_gettext.translation(domain, localedir=root / "locale", languages=["de"])


# --- Reading the messages from the code -------------------------------------------------------


class Module:
    """One Python file: its gettext names (``_`` → ``gettext_lazy``) and its module-level assignments."""

    def __init__(self, path):
        self.path = path
        self.tree = ast.parse(path.read_text(), str(path))
        self.aliases = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                for name in node.names:
                    self.aliases[name.asname or name.name] = name.name
        self.constants = {
            target.id: node.value
            for node in self.tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }

    def gettext_name(self, call):
        """``gettext_lazy`` for a call of ``_(…)`` when ``_`` is gettext_lazy; None for other calls."""
        func = call.func
        name = (
            func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        )
        original = self.aliases.get(name)
        return original if original in GETTEXT else None

    def where(self, node):
        shown = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path.name
        return f"{shown}:{node.lineno}"


def msgids_in_python(paths):
    """``(context, msgid, plural)`` of every gettext call with literal arguments."""
    found = {}
    for path in paths:
        module = Module(path)
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call) and (name := module.gettext_name(node)):
                texts = [
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                ]
                context = texts.pop(0) if name in CONTEXT_FIRST else None
                plural = texts[1] if name.startswith(("ngettext", "npgettext")) else None
                found[context, texts[0], plural] = module.where(node)
    return found


def msgids_in_templates(paths):
    """What makemessages reads from ``{% translate %}`` and ``{% blocktranslate %}``."""
    found = {}
    for path in paths:
        text = templatize(path.read_text())
        for match in re.finditer(r"\b(n?p?gettext)\(", text):
            call = _first_expression(text, match.start())
            args = [
                arg.value for arg in call.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ]
            context = args.pop(0) if call.func.id in ("pgettext", "npgettext") else None
            plural = args[1] if call.func.id in ("ngettext", "npgettext") else None
            found[context, args[0], plural] = str(path.relative_to(ROOT))
    return found


def _first_expression(text, start):
    # templatize() writes each call on one line, followed by filler letters.
    line_end = text.find("\n", start) % (len(text) + 1)
    for end in range(start, line_end):
        if text[end] == ")":
            try:
                return ast.parse(text[start : end + 1], mode="eval").body
            except SyntaxError:
                continue
    raise AssertionError(f"no gettext call at {text[start:line_end]!r}")


_JS_STRING = r'"((?:[^"\\]|\\.)*)"'


def msgids_in_script(paths):
    found = {}
    for path in paths:
        text, where = path.read_text(), str(path.relative_to(ROOT))
        for match in re.finditer(rf"\bgettext\(\s*{_JS_STRING}\s*\)", text):
            found[None, json.loads(f'"{match.group(1)}"'), None] = where
        for match in re.finditer(rf"\bngettext\(\s*{_JS_STRING}\s*,\s*{_JS_STRING}\s*,", text):
            found[None, json.loads(f'"{match.group(1)}"'), json.loads(f'"{match.group(2)}"')] = where
    return found


def untranslated(found, german):
    """The messages of ``found`` that ``german`` (a gettext catalogue) leaves English."""
    missing = []
    for (context, msgid, plural), where in sorted(found.items(), key=str):
        if msgid in SAME_IN_GERMAN:
            continue
        if plural is None:
            shown = german.pgettext(context, msgid) if context else german.gettext(msgid)
            english = shown == msgid
        else:
            one, other = (
                german.npgettext(context, msgid, plural, n) if context else german.ngettext(msgid, plural, n)
                for n in (1, 2)
            )
            english = one == msgid or other == plural
        if english:
            missing.append(f"{where}: {msgid!r}")
    return missing


def test_the_code_has_messages_to_check():
    assert len(msgids_in_python(python_files(APP))) > 100
    assert len(msgids_in_templates(templates(APP))) > 5
    assert len(msgids_in_script(SCRIPT)) > 50
    assert len(msgids_in_python(python_files(DEMO))) > 15
    assert len(msgids_in_templates(DEMO_TEMPLATES)) > 30


def test_every_message_of_the_app_has_german():
    german = catalogue(APP)
    found = {**msgids_in_python(python_files(APP)), **msgids_in_templates(templates(APP))}

    assert untranslated(found, german) == []


def test_every_text_of_the_script_has_german():
    assert untranslated(msgids_in_script(SCRIPT), catalogue(APP, "djangojs")) == []


def test_every_text_of_the_demo_has_german():
    german = catalogue(DEMO)
    found = {
        **msgids_in_python(python_files(DEMO)),
        **msgids_in_templates(DEMO_TEMPLATES),
    }

    assert untranslated(found, german) == []


def test_the_allow_list_names_only_messages_that_exist():
    every = {
        msgid
        for found in (
            msgids_in_python([*python_files(APP), *python_files(DEMO)]),
            msgids_in_templates([*templates(APP), *DEMO_TEMPLATES]),
            msgids_in_script(SCRIPT),
        )
        for _context, msgid, _plural in found
    }

    assert set(SAME_IN_GERMAN) <= every


# --- Messages handed to a person without gettext ---------------------------------------------


def upload_errors():
    classes, todo = set(), [errors.UploadError]
    while todo:
        cls = todo.pop()
        classes.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return classes


def unwrapped_messages(paths):
    """Places where a message that a person reads is English text, not a gettext call."""
    raised = upload_errors() | {"ValidationError"}
    problems = []
    for path in paths:
        module = Module(path)
        for function, node in _walk_with_function(module.tree):
            for message in _messages_of(node, raised):
                if not _wrapped(message, module, function):
                    problems.append(f"{module.where(message)}: {ast.unparse(message)[:80]}")
            if isinstance(node, ast.Call) and module.gettext_name(node):
                if function is None and not module.gettext_name(node).endswith("_lazy"):
                    # Evaluated at import, in whatever language was active then.
                    problems.append(f"{module.where(node)}: {ast.unparse(node)[:80]} (not lazy)")
                if not all(isinstance(arg, ast.Constant) for arg in node.args[:2]):
                    problems.append(f"{module.where(node)}: {ast.unparse(node)[:80]} (not a literal)")
    return problems


def _walk_with_function(tree):
    """Every node with the function it is in (None at module and class level)."""

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = (
                child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) else function
            )
            yield inner, child
            yield from visit(child, inner)

    yield from visit(tree, None)


def _messages_of(node, raised):
    """The expressions that ``node`` shows to a person, if it is one of the places that do."""
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name in raised and node.args:
            yield node.args[0]  # raise SomeUploadError("…"), ValidationError("…")
        if name == "message_user" and len(node.args) > 1:
            yield node.args[1]
        if (
            isinstance(func, ast.Attribute)
            and getattr(func.value, "id", "") == "messages"
            and len(node.args) > 1
        ):
            yield node.args[1]  # messages.success(request, "…")
        if name == "JsonResponse" and node.args and isinstance(node.args[0], ast.Dict):
            reply = node.args[0]
            yield from (
                value
                for key, value in zip(reply.keys, reply.values, strict=True)
                if getattr(key, "value", None) == "message"
            )
        for keyword in node.keywords:
            if keyword.arg in ("verbose_name", "verbose_name_plural", "help_text", "label", "description"):
                yield keyword.value
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        if node.targets[0].id in ("default_message", "verbose_name", "verbose_name_plural", "title"):
            yield node.value
        if node.targets[0].id == "default_error_messages" and isinstance(node.value, ast.Dict):
            yield from node.value.values


def _wrapped(node, module, function, seen=()):
    if isinstance(node, ast.Constant):
        return not isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return False  # an f-string, or sentence fragments glued together
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _wrapped(node.left, module, function, seen)
    if isinstance(node, ast.Call):
        if module.gettext_name(node):
            return True
        if isinstance(node.func, ast.Name) and node.func.id == "str" and node.args:
            return _wrapped(node.args[0], module, function, seen)
        return True  # a helper's result (human_size(), get_text_list()): checked where it is made
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        table = module.constants.get(node.value.id)
        if isinstance(table, ast.Dict):  # _UNREADABLE[content_type]: every sentence a gettext call
            return all(isinstance(value, ast.Call) and module.gettext_name(value) for value in table.values)
        return True
    if isinstance(node, ast.Name) and node.id not in seen:
        scope = function.body if function is not None and not isinstance(function, ast.Lambda) else []
        values = [
            assign.value
            for statement in scope
            for assign in ast.walk(statement)
            if isinstance(assign, ast.Assign)
            and any(getattr(t, "id", None) == node.id for t in assign.targets)
        ]
        if not values and node.id in module.constants:
            values = [module.constants[node.id]]
        return all(_wrapped(value, module, function, (*seen, node.id)) for value in values)
    return True  # data: an attribute (row.failure_reason), a parameter, a lookup in error_messages


def test_every_message_the_app_shows_goes_through_gettext():
    assert unwrapped_messages(python_files(APP)) == []


def test_every_message_the_demo_shows_goes_through_gettext():
    assert unwrapped_messages(python_files(DEMO)) == []


def test_an_english_message_in_the_code_is_caught(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "from django.utils.translation import gettext, gettext_lazy as _\n"
        "from uploads.errors import InvalidField, TooLarge, UploadError\n"
        "EAGER = gettext('Evaluated at import.')\n"
        "class Refused(UploadError):\n"
        "    default_message = 'Plain English.'\n"
        "def check(size, limit):\n"
        "    if size > limit:\n"
        "        raise TooLarge(f'File is {size}; the limit is {limit}.')\n"
        "    message = 'The size cannot be ' + 'negative.'\n"
        "    raise InvalidField(message)\n"
    )

    problems = [problem.split(": ", 1)[1] for problem in unwrapped_messages([module])]

    assert problems == [
        "gettext('Evaluated at import.') (not lazy)",
        "'Plain English.'",
        "f'File is {size}; the limit is {limit}.'",
        "message",
    ]


# --- A German browser, end to end ------------------------------------------------------------


@pytest.fixture
def german_api(seller):
    api = ApiClient(seller)
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de-DE,de;q=0.9,en;q=0.5"
    return api


@pytest.fixture
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_a_refused_create_answers_in_german_with_german_numbers(german_api):
    response = german_api.create(size=13_002_342)

    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "too_large",
            "message": "Die Datei ist 12,4 MB groß; erlaubt sind 10 MB.",
            "field": "size",
        }
    }
    assert german_api.create(content_type="image/tiff").json()["error"]["message"] == (
        "Dateien vom Typ image/tiff werden nicht angenommen; laden Sie JPEG, PNG, WebP, GIF, AVIF hoch."
    )


@pytest.mark.django_db
def test_a_default_message_is_german_too(german_api):
    response = german_api.get("/uploads/api/uploads/00000000-0000-0000-0000-000000000000/")

    assert response.json()["error"]["message"] == "Diesen Upload gibt es nicht."


def test_a_lazy_message_takes_the_language_of_the_reply_not_of_the_raise():
    with translation.override("en"):
        error = errors.NotFound()
    with translation.override("de"):
        assert error.as_dict()["error"]["message"] == "Diesen Upload gibt es nicht."
    with translation.override("en"):
        assert error.as_dict()["error"]["message"] == "No such upload."


@pytest.mark.django_db
def test_a_failed_verification_answers_in_german_with_german_numbers(german_api, s3, settings):
    settings.UPLOADS = {"MAX_PIXELS": 3071}
    data = image_bytes("image/jpeg", 64, 48)
    created = german_api.create("klein.jpg", "image/jpeg", len(data)).json()
    assert post_to_s3(created, data).status_code == 204

    response = german_api.complete(created["id"])

    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "Das Bild hat 64 × 48 Pixel; angenommen werden höchstens 3.071 Pixel."
    )


@pytest.mark.django_db
def test_a_file_of_another_type_is_named_in_whole_german_sentences(german_api, s3):
    data = image_bytes("image/png")
    created = german_api.create("foto.jpg", "image/jpeg", len(data)).json()
    assert post_to_s3(created, data).status_code == 204

    response = german_api.complete(created["id"])

    assert response.json()["error"]["message"] == (
        "Die Datei ist kein JPEG-Bild: Ihr Inhalt zeigt, dass sie ein PNG-Bild ist."
    )


@pytest.mark.django_db
def test_a_limit_answers_429_in_german(german_api, s3, settings, empty_cache):
    settings.UPLOADS = {"BYTES_PER_DAY": 5 * 2**19}  # 2.5 MB
    assert german_api.create(size=2**20).status_code == 201

    response = german_api.create(size=2 * 2**20)

    assert response.status_code == 429
    assert response.json()["error"]["message"] == (
        "Mit dieser Datei würden Sie das Tageslimit von 2,5 MB überschreiten "
        "(1 MB in den letzten 24 Stunden genutzt); versuchen Sie es in 24 Stunden erneut."
    )


@pytest.mark.django_db
def test_the_hourly_limit_answers_in_german(german_api, s3, settings, empty_cache):
    settings.UPLOADS = {"UPLOADS_PER_HOUR": 1}
    assert german_api.create().status_code == 201

    message = german_api.create().json()["error"]["message"]

    assert re.fullmatch(
        r"Sie können 1 Upload pro Stunde starten; versuchen Sie es in \d+ Minuten? erneut\.", message
    )


@pytest.mark.django_db
def test_the_demo_pages_are_german(client, seller, settings):
    settings.UPLOADS = {"PROFILES": {"product_image": {}, "avatar": {}}}
    client.force_login(seller)
    german = {"accept-language": "de"}

    products = client.get("/products/", headers=german).content.decode()
    form = client.get("/products/new/", headers=german).content.decode()

    assert '<html lang="de">' in products
    for text in (
        "Ihre Produkte · Verkäufer-Uploads",
        "Neues Produkt",
        "Noch keine Produkte.",
        "Angemeldet als seller",
    ):
        assert text in products
    for text in ("Titel", "Preis", "Bilder", "Das erste Bild ist das Titelbild.", "Produkt speichern"):
        assert text in form
    assert "Bilder auswählen" in form and "Abmelden" in form
    assert "Your products" not in products and "Save product" not in form


def test_sizes_are_german_in_german_and_unchanged_in_english():
    sizes = [13_002_342, 10 * 2**20, 532 * 1024, 17, 1]
    with translation.override("de"):
        assert [verify.human_size(size) for size in sizes] == [
            "12,4 MB",
            "10 MB",
            "532 KB",
            "17 Bytes",
            "1 Byte",
        ]
        assert verify.byte_count(2001, grouped=True) == "2.001 Bytes"
    with translation.override("en"):
        assert [verify.human_size(size) for size in sizes] == [
            "12.4 MB",
            "10 MB",
            "532 KB",
            "17 bytes",
            "1 byte",
        ]
        assert verify.byte_count(2001, grouped=True) == "2,001 bytes"


@pytest.mark.django_db
def test_the_script_catalogue_keeps_to_itself(client):
    script = client.get("/uploads/jsi18n/", headers={"accept-language": "de"}).content.decode()

    assert '"Move up": "Nach oben"' in script
    assert '"DECIMAL_SEPARATOR": ","' in script
    assert 'document.addEventListener("uploads:catalogue"' in script
    assert "window.django" not in script and "globals.django" not in script
