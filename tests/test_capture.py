"""The camera on phones where a page asks: ``capture="user"`` (the camera facing the user) or
``"environment"`` (the one facing away) on {% uploader %}, on ``UploadWidget``, on the form field
and on the model fields, rendered as the ``capture`` attribute of the file input. Nothing else is
taken, and a wrong value is refused where it is written, with what would be right.
"""

import copy
import re

import pytest
from django import forms
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory

from uploads.fields import UploadField, UploadsField
from uploads.forms import UploadFormField
from uploads.widgets import UploadWidget


def tag(arguments="", **context):
    request = RequestFactory().get("/")
    template = Template(f"{{% load uploads %}}{{% uploader {arguments} %}}")
    return template.render(Context({"request": request, **context}))


def file_input(markup):
    """The file input's opening tag."""
    (found,) = re.findall(r'<input class="uploader__input"[^>]*>', markup)
    return found


def capture_of(markup):
    found = re.findall(r'\scapture="([^"]*)"', file_input(markup))
    return found[0] if found else None


def refusal(owner, value):
    return (
        f"{owner}: capture must be 'user' (the camera facing the user) or 'environment' (the camera "
        f"facing away), not {value!r}; leave it out to have phones offer their files too."
    )


# {% uploader %}


@pytest.mark.parametrize("camera", ["user", "environment"])
def test_the_tag_puts_the_camera_on_its_file_input(camera):
    markup = tag(f'capture="{camera}"')

    assert capture_of(markup) == camera
    assert markup.count("capture=") == 1  # on the file input alone


def test_the_tag_asks_for_no_camera_unless_told():
    assert capture_of(tag()) is None
    assert capture_of(tag('profile="default"')) is None


def test_the_tag_takes_the_camera_from_a_variable():
    assert capture_of(tag("capture=camera", camera="environment")) == "environment"


@pytest.mark.parametrize("value", ["front", "", "User", "true"])
def test_the_tag_refuses_anything_else_saying_what_it_takes(value):
    with pytest.raises(TemplateSyntaxError) as raised:
        tag(f'capture="{value}"')

    assert str(raised.value) == refusal("{% uploader %}", value)


# UploadWidget


@pytest.mark.parametrize("camera", ["user", "environment"])
def test_the_widget_puts_the_camera_on_its_file_input_not_on_the_hidden_value(camera):
    markup = UploadWidget(capture=camera).render("avatar", None)

    assert capture_of(markup) == camera
    assert markup.count("capture=") == 1


def test_the_widget_asks_for_no_camera_unless_told():
    assert capture_of(UploadWidget().render("avatar", None)) is None


@pytest.mark.parametrize("value", ["front", "", 1, True])
def test_the_widget_refuses_anything_else_when_it_is_made(value):
    with pytest.raises(ValueError) as raised:
        UploadWidget(capture=value)

    assert str(raised.value) == refusal("UploadWidget", value)


def test_a_copy_of_the_widget_keeps_the_camera():
    # Forms deep-copy their fields' widgets for every form instance.
    assert copy.deepcopy(UploadWidget(capture="user")).capture == "user"


# The form field and the model fields


def test_the_form_field_hands_the_camera_to_its_widget():
    class AvatarForm(forms.Form):
        avatar = UploadFormField(profile="default", capture="user")

    markup = str(AvatarForm()["avatar"])

    assert capture_of(markup) == "user"


def test_the_form_field_refuses_a_wrong_camera_when_it_is_made():
    with pytest.raises(ValueError) as raised:
        UploadFormField(capture="back")

    assert str(raised.value) == refusal("UploadWidget", "back")


@pytest.mark.parametrize(
    "field",
    [lambda **kw: UploadField("default", **kw), lambda **kw: UploadsField("default", **kw)],
    ids=["UploadField", "UploadsField"],
)
def test_a_model_field_hands_the_camera_to_its_form_field(field):
    assert field(capture="environment").formfield().widget.capture == "environment"
    assert field().formfield().widget.capture is None


@pytest.mark.parametrize("model_field", [UploadField, UploadsField])
def test_a_model_field_refuses_a_wrong_camera_when_it_is_defined(model_field):
    with pytest.raises(ValueError) as raised:
        model_field("default", capture="rear")

    assert str(raised.value) == refusal(model_field.__name__, "rear")


@pytest.mark.parametrize("model_field", [UploadField, UploadsField])
def test_the_camera_is_in_migrations_only_when_set_and_never_in_the_database(model_field):
    _name, _path, _args, with_camera = model_field("default", capture="user").deconstruct()
    _name, _path, _args, without = model_field("default").deconstruct()

    assert with_camera["capture"] == "user"
    assert "capture" not in without
    assert "capture" in model_field("default").non_db_attrs
