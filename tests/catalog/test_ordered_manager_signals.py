"""UploadsField's ordered manager sends Django's m2m_changed as Django's own manager does.

The same operations run on a plain ManyToManyField of Django's (``User.groups``) and on
``Product.images``; the signals they send must match, ids aside. Only a change of order,
which a plain many-to-many has not, sends something of its own: the moved uploads removed and
added again.
"""

import django
import pytest
from django.contrib.auth.models import Group
from django.core import serializers
from django.db.models.signals import m2m_changed

from project.catalog.models import Product
from uploads.models import Upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent():
    """Every m2m_changed sent while the test runs: (sender, kwargs), pk_set copied as sent."""
    found = []

    def record(sender, **kwargs):
        pk_set = kwargs["pk_set"]
        found.append((sender, {**kwargs, "pk_set": None if pk_set is None else set(pk_set)}))

    m2m_changed.connect(record, weak=False, dispatch_uid="test-ordered-manager-signals")
    yield found
    m2m_changed.disconnect(dispatch_uid="test-ordered-manager-signals")


@pytest.fixture
def product(seller):
    return Product.objects.create(seller=seller, title="Boot", price=1)


@pytest.fixture
def images(seller, make_upload):
    return [make_upload(seller) for _ in range(4)]


def actions(sent, sender, things):
    """What was sent by ``sender``: (action, the indexes in ``things`` of pk_set's ids, or None)."""
    index = {thing.pk: number for number, thing in enumerate(things)}
    return [
        (kwargs["action"], None if kwargs["pk_set"] is None else sorted(index[pk] for pk in kwargs["pk_set"]))
        for source, kwargs in sent
        if source is sender
    ]


# Steps that change which uploads are held, not their order: (method, indexes, keyword arguments).
STEPS = [
    ("add", [0, 1], {}),
    ("add", [1, 2], {}),
    ("add", [1], {}),  # nothing new: Django still sends pre_add and post_add, with an empty pk_set
    ("add", [], {}),  # nothing at all: nothing sent
    ("remove", [0], {}),
    ("set", [1, 2, 3], {}),
    ("set", [1, 3], {}),
    ("set", [1, 3], {}),  # no change: nothing sent
    ("set", [], {}),
    ("add", [0, 1], {}),
    ("set", [2], {"clear": True}),
    ("clear", None, {}),
    ("set", [], {"clear": True}),
]


def run(manager, things, steps):
    for method, indexes, keywords in steps:
        if indexes is None:
            getattr(manager, method)(**keywords)
        elif method == "set":
            manager.set([things[number] for number in indexes], **keywords)
        else:
            getattr(manager, method)(*[things[number] for number in indexes], **keywords)


def test_add_remove_set_and_clear_send_what_djangos_own_manager_sends(sent, seller, product, images):
    groups = [Group.objects.create(name=f"group-{number}") for number in range(4)]

    run(seller.groups, groups, STEPS)
    run(product.images, images, STEPS)

    djangos = actions(sent, seller.groups.through, groups)
    ours = actions(sent, Product.images.through, images)
    assert ours == djangos
    assert ours == [
        ("pre_add", [0, 1]), ("post_add", [0, 1]),
        ("pre_add", [2]), ("post_add", [2]),
        ("pre_add", []), ("post_add", []),
        ("pre_remove", [0]), ("post_remove", [0]),
        ("pre_add", [3]), ("post_add", [3]),
        ("pre_remove", [2]), ("post_remove", [2]),
        ("pre_remove", [1, 3]), ("post_remove", [1, 3]),
        ("pre_add", [0, 1]), ("post_add", [0, 1]),
        ("pre_clear", None), ("post_clear", None), ("pre_add", [2]), ("post_add", [2]),
        ("pre_clear", None), ("post_clear", None),
        ("pre_clear", None), ("post_clear", None),
    ]  # fmt: skip


def test_each_signal_names_the_link_table_the_product_and_the_upload_model(sent, product, images):
    product.images.add(images[0])
    product.images.set([images[1]])
    product.images.clear()

    assert {sender for sender, _ in sent} == {Product.images.through}
    for _, kwargs in sent:
        assert kwargs["instance"] is product
        assert (kwargs["reverse"], kwargs["model"], kwargs["using"]) == (False, Upload, "default")


def test_pre_add_sees_the_uploads_not_linked_before_and_post_add_sees_them_linked(product, images):
    seen = []

    def look(sender, action, instance, pk_set, **kwargs):
        if action in ("pre_add", "post_add"):
            linked = set(instance.images.values_list("pk", flat=True))
            seen.append((action, pk_set <= linked, bool(pk_set & linked)))

    m2m_changed.connect(look, sender=Product.images.through)
    try:
        product.images.add(images[0], images[1])
    finally:
        m2m_changed.disconnect(look, sender=Product.images.through)

    assert seen == [("pre_add", False, False), ("post_add", True, True)]


def test_moving_an_upload_removes_its_link_and_adds_it_again_after_the_others(sent, product, images):
    a, b, c, _ = images
    product.images.set([a, b, c])
    del sent[:]

    product.images.set([b, c, a])
    assert list(product.images.all()) == [b, c, a]
    product.images.set([c, a, b])
    assert list(product.images.all()) == [c, a, b]

    assert actions(sent, Product.images.through, images) == [
        ("pre_remove", [0]), ("post_remove", [0]), ("pre_add", [0]), ("post_add", [0]),
        ("pre_remove", [1]), ("post_remove", [1]), ("pre_add", [1]), ("post_add", [1]),
    ]  # fmt: skip


def test_adding_in_a_new_order_keeps_the_order_given(sent, product, images):
    a, b, c, d = images

    product.images.set([d, b])
    product.images.set([d, b, a, c])

    assert list(product.images.all()) == [d, b, a, c]
    assert actions(sent, Product.images.through, images) == [
        ("pre_add", [1, 3]),
        ("post_add", [1, 3]),
        ("pre_add", [0, 2]),
        ("post_add", [0, 2]),
    ]


def test_a_pre_add_receiver_may_take_ids_out_as_with_djangos_add(product, images):
    a, b, c, _ = images

    def refuse_b(sender, action, pk_set, **kwargs):
        if action == "pre_add":
            pk_set.discard(b.pk)

    m2m_changed.connect(refuse_b, sender=Product.images.through)
    try:
        product.images.add(c, b, a)
    finally:
        m2m_changed.disconnect(refuse_b, sender=Product.images.through)

    assert list(product.images.all()) == [c, a]


def test_loaddata_sends_the_signals_and_from_django_6_1_says_raw(sent, product, images):
    a, b, c, _ = images
    product.images.set([c, a, b])
    dumped = serializers.serialize("json", [product])
    product.images.set([])
    del sent[:]

    for restored in serializers.deserialize("json", dumped):
        restored.save()

    assert list(product.images.all()) == [c, a, b]
    assert [kwargs["action"] for _, kwargs in sent] == ["pre_add", "post_add"]
    expected_raw = [True, True] if django.VERSION >= (6, 1) else ["absent", "absent"]
    assert [kwargs.get("raw", "absent") for _, kwargs in sent] == expected_raw


def test_writing_drops_a_prefetched_list_as_djangos_manager_does(product, images):
    a, b, c, _ = images
    product.images.set([a])

    for write in (lambda found: found.images.add(b), lambda found: found.images.set([c, a])):
        (found,) = Product.objects.filter(pk=product.pk).prefetch_related("images")
        assert list(found.images.all()) == list(product.images.all())
        write(found)
        assert list(found.images.all()) == list(product.images.all())

    assert list(product.images.all()) == [c, a]


def test_ids_in_other_forms_are_the_same_upload(sent, product, images):
    a, b, *_ = images

    product.images.set([a, str(b.pk)])
    product.images.set([str(a.pk), b.pk])
    product.images.add(str(a.pk))

    assert list(product.images.all()) == [a, b]
    assert actions(sent, Product.images.through, images) == [
        ("pre_add", [0, 1]),
        ("post_add", [0, 1]),
        ("pre_add", []),
        ("post_add", []),
    ]
