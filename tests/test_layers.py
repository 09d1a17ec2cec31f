"""The app's modules import only the layers below their own (docs/architecture.md), and the
checker that says so fails on each way of breaking that."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "layers.py"

TABLE = """\
# Layers

```text
layers:
layer 3  top
    views        the views
layer 2  middle
    services     the services
    forms        the forms
layer 1  bottom
    conf         the settings
end of layers
```
"""


def run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT)


def fake_app(tmp_path, files, table=TABLE):
    """A package ``shop`` with these ``{path: source}`` files, and its layer table."""
    package = tmp_path / "shop"
    sources = {"__init__.py": "", "conf.py": "", "services.py": "", "forms.py": "", "views.py": "", **files}
    for name, source in sources.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    doc = tmp_path / "architecture.md"
    doc.write_text(table)
    return run("--package", str(package), "--doc", str(doc))


def test_the_app_imports_only_layers_below_each_module():
    result = run()

    assert (result.returncode, result.stderr) == (0, "")
    summary = (
        r"uploads: \d+ modules in \d+ layers; \d+ imports, all downward; no cycle; no private name shared.\n"
    )
    assert re.fullmatch(summary, result.stdout)


def test_a_fake_app_that_keeps_its_layers_passes(tmp_path):
    result = fake_app(
        tmp_path,
        {
            "services.py": "from shop import conf\n",
            "views.py": "from shop import services\nfrom . import forms\n",
        },
    )

    assert (result.returncode, result.stderr) == (0, "")
    assert (
        result.stdout
        == "shop: 4 modules in 3 layers; 3 imports, all downward; no cycle; no private name shared.\n"
    )


def test_an_import_of_a_higher_layer_inside_a_function_is_reported(tmp_path):
    source = """\
        def check():
            from shop.views import page
    """

    result = fake_app(tmp_path, {"conf.py": source})

    assert (result.returncode, result.stderr.splitlines()) == (
        1,
        [
            f"{tmp_path}/shop/conf.py:2: shop.conf (layer 1, bottom) imports shop.views (layer 3, top): "
            "a higher one, not a lower one."
        ],
    )


def test_an_import_of_the_same_layer_under_type_checking_is_reported(tmp_path):
    source = """\
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from shop import forms
    """

    result = fake_app(tmp_path, {"services.py": source})

    assert (result.returncode, result.stderr.splitlines()) == (
        1,
        [
            f"{tmp_path}/shop/services.py:4: shop.services (layer 2, middle) imports "
            "shop.forms (layer 2, middle): its own layer, not a lower one."
        ],
    )


def test_a_cycle_is_reported_as_a_cycle(tmp_path):
    result = fake_app(
        tmp_path,
        {
            "services.py": "from shop import conf\n",
            "conf.py": "def later():\n    import shop.services\n",
        },
    )

    assert result.returncode == 1
    assert "import cycle: shop.conf -> shop.services -> shop.conf" in result.stderr.splitlines()


def test_an_import_by_name_counts_too(tmp_path):
    source = """\
        from django.utils.module_loading import import_string

        def page():
            return import_string("shop.views.page")
    """

    result = fake_app(tmp_path, {"forms.py": source})

    assert (result.returncode, result.stderr.splitlines()) == (
        1,
        [
            f"{tmp_path}/shop/forms.py:4: shop.forms (layer 2, middle) imports shop.views (layer 3, top): "
            "a higher one, not a lower one."
        ],
    )


def test_a_module_missing_from_the_table_is_reported(tmp_path):
    tags = {"templatetags/__init__.py": "", "templatetags/shop.py": "from shop import conf\n"}

    result = fake_app(tmp_path, tags)

    assert (result.returncode, result.stderr.splitlines()) == (
        1,
        [
            f"{tmp_path}/shop/templatetags/shop.py: shop.templatetags.shop is in no layer; "
            f"add it to the table in {tmp_path}/architecture.md."
        ],
    )


def test_a_module_the_table_names_that_does_not_exist_is_reported(tmp_path):
    table = TABLE.replace(
        "    conf         the settings\n", "    conf         the settings\n    keys         gone\n"
    )

    result = fake_app(tmp_path, {}, table=table)

    assert (result.returncode, result.stderr.splitlines()) == (
        1,
        [f"{tmp_path}/architecture.md: the table names shop.keys, which is not a module of {tmp_path}/shop."],
    )


def test_a_migration_that_imports_the_app_is_reported(tmp_path):
    migrations = {"migrations/__init__.py": "", "migrations/0001_initial.py": "from shop import conf\n"}

    result = fake_app(tmp_path, migrations)

    assert (result.returncode, result.stderr.splitlines()) == (
        1,
        [
            f"{tmp_path}/shop/migrations/0001_initial.py:1: shop.migrations.0001_initial imports shop.conf: "
            "a migration or a package's __init__.py imports nothing of shop."
        ],
    )


def test_a_private_name_of_another_module_is_reported_however_it_is_taken(tmp_path):
    source = """\
        from shop import services
        from shop.conf import _DEFAULTS

        def page():
            return services._verify(_DEFAULTS)
    """

    result = fake_app(tmp_path, {"views.py": source})

    assert (result.returncode, result.stderr.splitlines()) == (
        1,
        [
            f"{tmp_path}/shop/views.py:2: shop.views imports shop.conf._DEFAULTS, a private name.",
            f"{tmp_path}/shop/views.py:5: shop.views reads shop.services._verify, "
            "a private name of another module.",
        ],
    )
