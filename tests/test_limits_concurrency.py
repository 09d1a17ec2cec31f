"""The per-user limits hold when one user's creates arrive at the same moment (threads against the
real database: SQLite in the default run, PostgreSQL in CI's second run)."""

import threading

import pytest
from django.db import connection

from tests.conftest import ApiClient
from uploads.models import Upload

BURST = 12


def burst(clients, body=None):
    """Send one create per client, all released at once; return the status codes."""
    start = threading.Barrier(len(clients))
    codes = []

    def create(client):
        try:
            start.wait(10)
            reply = client.create(**(body or {}))
            codes.append(reply.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return sorted(codes)


@pytest.mark.django_db(transaction=True)
def test_twelve_simultaneous_creates_with_max_pending_2_give_exactly_two_uploads(seller, settings):
    settings.UPLOADS = {"MAX_PENDING": 2}
    clients = [ApiClient(seller) for _ in range(BURST)]

    codes = burst(clients)

    assert codes == [201] * 2 + [429] * 10
    assert Upload.objects.filter(owner=seller).count() == 2


@pytest.mark.django_db(transaction=True)
def test_simultaneous_creates_cannot_pass_the_daily_bytes_together(seller, settings):
    settings.UPLOADS = {"BYTES_PER_DAY": 3 * 2**20}
    clients = [ApiClient(seller) for _ in range(BURST)]

    codes = burst(clients, {"size": 2**20})

    assert codes == [201] * 3 + [429] * 9
    assert sum(Upload.objects.filter(owner=seller).values_list("size", flat=True)) == 3 * 2**20


@pytest.mark.django_db(transaction=True)
def test_one_users_burst_does_not_hold_up_or_count_against_another(seller, make_user, settings):
    settings.UPLOADS = {"MAX_PENDING": 1}
    other = make_user()
    clients = [ApiClient(seller) for _ in range(6)] + [ApiClient(other) for _ in range(6)]

    codes = burst(clients)

    assert codes == [201] * 2 + [429] * 10
    assert Upload.objects.filter(owner=other).count() == 1
