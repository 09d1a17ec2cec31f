"""The label on a gallery's first image is the field's to give: a model whose cover is another
field gives none."""

from django import forms
from django.utils import translation

from project.catalog.forms import ProductForm
from uploads.fields import UploadsField


def rendered(field):
    class Form(forms.Form):
        images = field.formfield()

    return str(Form()["images"])


def test_a_gallery_shows_no_first_image_badge_unless_the_field_names_one(settings):
    assert "data-first-badge" not in rendered(UploadsField("product_image"))


def test_the_fields_first_badge_reaches_the_uploader_in_the_pages_language(settings):
    assert 'data-first-badge="Front"' in rendered(UploadsField("product_image", first_badge="Front"))
    with translation.override("de"):
        assert 'data-first-badge="Titelbild"' in str(ProductForm()["images"])


def test_the_first_badge_is_kept_in_migrations_and_not_a_database_change():
    field = UploadsField("product_image", first_badge="Front")

    assert field.deconstruct()[3]["first_badge"] == "Front"
    assert "first_badge" in field.non_db_attrs
