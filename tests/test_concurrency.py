"""Two complete calls for the same upload at the same moment: one verification, one answer."""

import threading
import time

import pytest
from django.db import connection

from tests.conftest import ApiClient, post_to_s3
from tests.images import image_bytes
from uploads import verify
from uploads.models import Upload


@pytest.mark.django_db(transaction=True)
def test_simultaneous_completes_run_one_verification_and_get_the_same_answer(seller, s3, monkeypatch):
    first, second = ApiClient(seller), ApiClient(seller)
    data = image_bytes("image/png", 40, 30)
    created = first.create("twin.png", "image/png", len(data)).json()
    post_to_s3(created, data)
    verifications = []
    check_object = verify.check_object

    def slow_check(*args, **kwargs):
        verifications.append(threading.get_ident())
        time.sleep(0.3)  # keep the first caller inside the check while the second arrives
        return check_object(*args, **kwargs)

    monkeypatch.setattr(verify, "check_object", slow_check)
    start = threading.Barrier(2)
    replies = []

    def complete(client):
        start.wait()
        try:
            replies.append(client.complete(created["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=complete, args=(client,)) for client in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(verifications) == 1
    assert [reply.status_code for reply in replies] == [200, 200]
    bodies = [{k: v for k, v in reply.json().items() if k != "url"} for reply in replies]
    assert bodies[0] == bodies[1]
    assert bodies[0]["status"] == "uploaded"
    folder = created["key"].rsplit("/", 1)[0] + "/"
    assert s3.list_objects_v2(Bucket="test-uploads", Prefix=folder)["KeyCount"] == 1  # the one verified copy
    assert Upload.objects.get(pk=created["id"]).key.startswith(folder)
