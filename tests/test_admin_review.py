"""Staff review uploads from each upload's admin page: approve, reject with a reason, "and next",
keys for it all, and every decision recorded (who, when, from what to what, why) and shown."""

import datetime
import json
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.html import parse_html
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone

from tests.test_admin import CHANGELIST, make_upload, reviewed, staff  # noqa: F401  (fixtures)
from uploads import publishing
from uploads.models import Decision, Upload

pytestmark = pytest.mark.django_db
SCRIPT = Path(__file__).resolve().parents[1] / "uploads" / "static" / "uploads" / "review.js"
NOW = timezone.now()


def page_of(upload):
    return f"{CHANGELIST}{upload.pk}/change/"


def review(client, upload, verdict, **form):
    return client.post(f"{CHANGELIST}{upload.pk}/review/", {"verdict": verdict, **form})


def messages_of(response):
    return [str(message) for message in response.wsgi_request._messages]


def queue(make_upload, *names):
    """Uploads awaiting review, created a minute apart in the order named (the oldest first)."""
    rows = []
    for minutes, name in enumerate(names):
        row = make_upload(filename=name)
        row.created_at = NOW - datetime.timedelta(minutes=len(names) - minutes)
        Upload.objects.filter(pk=row.pk).update(created_at=row.created_at)
        rows.append(row)
    return rows


@pytest.fixture
def viewer(make_user):
    """Staff who may see uploads but not review them (no change permission)."""
    user = make_user("viewer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_upload"))
    client = Client()
    client.force_login(user)
    return client


def test_approving_from_the_upload_page_records_who_when_from_and_to_and_publishes_it(
    staff, make_upload, reviewed
):
    upload = make_upload(filename="boot.jpg")

    response = review(staff, upload, "approve", then="stay")

    upload.refresh_from_db()
    decision = upload.decisions.get()
    assert (response.status_code, response["Location"]) == (302, page_of(upload))
    assert messages_of(response) == ["Approved “boot.jpg”."]
    assert (decision.reviewer.username, decision.before, decision.after, decision.reason, decision.note) == (
        "reviewer",
        "unreviewed",
        "approved",
        "",
        "",
    )
    assert NOW <= decision.decided_at <= timezone.now()
    assert publishing.state(upload) == publishing.PUBLISHED


def test_rejecting_from_the_upload_page_records_the_reason_and_the_note(staff, make_upload, reviewed):
    upload = make_upload(filename="boot.jpg", review="approved")

    response = review(
        staff, upload, "reject", reason="text", note="A phone number in the corner.", then="stay"
    )

    upload.refresh_from_db()
    decision = upload.decisions.get()
    assert messages_of(response) == ["Rejected “boot.jpg”."]
    assert (decision.reviewer.username, decision.before, decision.after, decision.reason, decision.note) == (
        "reviewer",
        "approved",
        "rejected",
        "text",
        "A phone number in the corner.",
    )
    assert publishing.state(upload) == publishing.REJECTED


def test_a_rejection_with_only_a_note_is_enough(staff, make_upload, reviewed):
    upload = make_upload()

    review(staff, upload, "reject", note="Shows a different shoe.")

    assert upload.decisions.get().note == "Shows a different shoe."


def test_a_rejection_without_a_reason_or_a_note_is_refused_and_nothing_changes(staff, make_upload, reviewed):
    upload = make_upload()

    response = review(staff, upload, "reject", reason="", note="  ", then="next")

    upload.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, page_of(upload))
    assert messages_of(response) == ["Say why the image is rejected: pick a reason or write one."]
    assert (upload.review, upload.decisions.count()) == ("unreviewed", 0)


def test_a_reason_the_project_does_not_list_is_refused(staff, make_upload, reviewed):
    upload = make_upload()

    response = review(staff, upload, "reject", reason="ugly")

    assert messages_of(response) == ["Say why the image is rejected: pick a reason or write one."]
    assert upload.decisions.count() == 0


def test_an_upload_that_is_not_verified_cannot_be_reviewed_and_nothing_changes(staff, make_upload, reviewed):
    upload = make_upload(status="failed")

    response = review(staff, upload, "approve")

    upload.refresh_from_db()
    assert messages_of(response) == ["Only a verified upload can be approved or rejected."]
    assert (upload.review, upload.decisions.count()) == ("unreviewed", 0)
    assert 'class="uploads-review-approve"' not in staff.get(page_of(upload)).content.decode()


def test_approve_and_next_goes_to_the_next_upload_awaiting_review_oldest_first(staff, make_upload, reviewed):
    oldest, middle, newest = queue(make_upload, "oldest.jpg", "middle.jpg", "newest.jpg")

    response = review(staff, middle, "approve", then="next")

    assert response["Location"] == page_of(newest)
    assert messages_of(response) == ["Approved “middle.jpg”."]


def test_reject_and_next_from_the_newest_goes_round_to_the_oldest_still_waiting(staff, make_upload, reviewed):
    oldest, middle, newest = queue(make_upload, "oldest.jpg", "middle.jpg", "newest.jpg")
    Upload.objects.filter(pk=oldest.pk).update(review="approved")

    response = review(staff, newest, "reject", reason="quality", then="next")

    assert response["Location"] == page_of(middle)


def test_and_next_goes_back_to_the_list_with_a_message_when_none_is_left(staff, make_upload, reviewed):
    (last,) = queue(make_upload, "last.jpg")

    response = review(staff, last, "approve", then="next")

    assert response["Location"] == CHANGELIST
    assert messages_of(response) == ["Approved “last.jpg”.", "No uploads are left to review."]


def test_the_list_s_filters_come_along_to_the_next_upload_and_back_to_the_list(staff, make_upload, reviewed):
    first, second = queue(make_upload, "first.jpg", "second.jpg")
    filters = "?_changelist_filters=view%3Dgrid"

    onwards = staff.post(f"{CHANGELIST}{first.pk}/review/{filters}", {"verdict": "approve", "then": "next"})
    back = staff.post(f"{CHANGELIST}{second.pk}/review/{filters}", {"verdict": "approve", "then": "next"})

    assert onwards["Location"] == page_of(second) + filters
    assert back["Location"] == CHANGELIST + "?view=grid"


def test_the_page_links_the_previous_and_next_uploads_awaiting_review(staff, make_upload, reviewed):
    oldest, middle, newest = queue(make_upload, "oldest.jpg", "middle.jpg", "newest.jpg")

    html = staff.get(page_of(middle)).content.decode()
    first = staff.get(page_of(oldest)).content.decode()

    assert f'<a href="{page_of(oldest)}" rel="prev" data-review-key="previous">' in html
    assert f'<a href="{page_of(newest)}" rel="next" data-review-key="next">' in html
    assert 'rel="prev"' not in first


def test_the_page_has_the_review_forms_with_the_project_s_reasons(staff, make_upload, settings):
    settings.UPLOADS = {
        "REVIEW": "before_publish",
        "REJECTION_REASONS": [("blurred", "Blurred"), ("logo", "Someone else's logo")],
    }
    upload = make_upload()

    html = staff.get(page_of(upload)).content.decode()

    assert parse_html(
        '<select name="reason" data-review-key="reject" id="id_reason">'
        '<option value="" selected>Pick a reason</option>'
        '<option value="blurred">Blurred</option>'
        '<option value="logo">Someone else\'s logo</option>'
        "</select>"
    ) in parse_html(html)
    assert '<textarea name="note" cols="40" rows="2" id="id_note">' in html
    for button in (
        '<button type="submit" name="then" value="stay" class="button">Approve</button>',
        '<button type="submit" name="then" value="next" class="button default" data-review-key="approve">'
        "Approve and next</button>",
        '<button type="submit" name="then" value="stay" class="button">Reject</button>',
        '<button type="submit" name="then" value="next" class="button">Reject and next</button>',
    ):
        assert button in html
    assert html.count(f'<form method="post" action="{CHANGELIST}{upload.pk}/review/"') == 2


def test_someone_who_is_not_staff_is_sent_to_log_in_and_nothing_changes(make_user, make_upload, reviewed):
    upload = make_upload()
    client = Client()
    client.force_login(make_user("shopper"))

    response = review(client, upload, "approve")

    assert (response.status_code, response["Location"]) == (
        302,
        f"/admin/login/?next={CHANGELIST}{upload.pk}/review/",
    )
    assert upload.decisions.count() == 0


def test_staff_without_the_change_permission_are_refused_and_see_no_review_form(
    viewer, make_upload, reviewed
):
    upload = make_upload()

    response = review(viewer, upload, "approve")
    html = viewer.get(page_of(upload)).content.decode()

    assert response.status_code == 403
    assert upload.decisions.count() == 0
    assert "uploads-review-approve" not in html and "id_reason" not in html
    assert "<dt><kbd>a</kbd></dt>" not in html


def test_reviewing_needs_a_post_with_the_csrf_token(make_user, make_upload, reviewed):
    upload = make_upload()
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("reviewer", is_staff=True, is_superuser=True))

    assert client.get(f"{CHANGELIST}{upload.pk}/review/").status_code == 405
    assert review(client, upload, "approve").status_code == 403
    assert upload.decisions.count() == 0


def test_a_verdict_that_is_neither_approve_nor_reject_is_a_bad_request(staff, make_upload, reviewed):
    upload = make_upload()

    assert review(staff, upload, "publish").status_code == 400
    assert upload.decisions.count() == 0


def test_an_unknown_upload_is_not_found(staff, reviewed):
    assert staff.post(f"{CHANGELIST}00000000-0000-0000-0000-000000000000/review/").status_code == 404
    assert staff.post(f"{CHANGELIST}not-an-id/review/").status_code == 404


def test_the_page_lists_every_decision_newest_first_with_reviewer_reason_and_note(
    staff, make_user, make_upload, reviewed
):
    upload = make_upload()
    ada = make_user("ada")
    first = Decision.objects.create(
        upload=upload,
        reviewer=ada,
        before="unreviewed",
        after="rejected",
        reason="quality",
        note="Too dark.",
        decided_at=NOW - datetime.timedelta(hours=1),
    )
    second = Decision.objects.create(
        upload=upload, reviewer=None, before="rejected", after="approved", decided_at=NOW
    )

    html = staff.get(page_of(upload)).content.decode()

    when = [formats.date_format(timezone.localtime(d.decided_at), "DATETIME_FORMAT") for d in (second, first)]
    assert parse_html(
        "<table>"
        "<thead><tr><th scope=col>Decided</th><th scope=col>Reviewer</th><th scope=col>From</th>"
        "<th scope=col>To</th><th scope=col>Reason</th><th scope=col>Note</th></tr></thead>"
        "<tbody>"
        f"<tr><td>{when[0]}</td><td>—</td><td>Rejected</td><td>Approved</td><td></td><td></td></tr>"
        f"<tr><td>{when[1]}</td><td>ada</td><td>Not reviewed</td><td>Rejected</td>"
        "<td>The image is blurred, too dark or too small to show the product.</td><td>Too dark.</td></tr>"
        "</tbody></table>"
    ) in parse_html(html)


def test_an_upload_no_one_has_decided_on_says_so(staff, make_upload, reviewed):
    html = staff.get(page_of(make_upload())).content.decode()

    assert "<p>No reviewer has decided on this upload yet.</p>" in html


def test_the_decisions_are_read_in_one_query_however_many_there_are(staff, make_user, make_upload, reviewed):
    def decide_times(upload, times):
        for _ in range(times):
            Decision.objects.create(
                upload=upload, reviewer=make_user(), before="unreviewed", after="approved"
            )

    few, many = make_upload(), make_upload()
    decide_times(few, 1)
    decide_times(many, 20)
    with CaptureQueriesContext(connection) as for_few:
        staff.get(page_of(few))
    with CaptureQueriesContext(connection) as for_many:
        staff.get(page_of(many))

    assert len(for_many) == len(for_few)


def test_the_page_loads_the_keys_script_as_a_module_and_shows_the_keys(staff, make_upload, reviewed):
    html = staff.get(page_of(make_upload())).content.decode()

    assert '<script type="module" src="/static/uploads/review.js"></script>' in html
    assert finders.find("uploads/review.js") == str(SCRIPT)
    assert parse_html(
        '<dl class="uploads-review-keys" aria-label="Keyboard shortcuts">'
        "<dt><kbd>j</kbd> <kbd>→</kbd></dt><dd>Next awaiting review</dd>"
        "<dt><kbd>k</kbd> <kbd>←</kbd></dt><dd>Previous awaiting review</dd>"
        "<dt><kbd>a</kbd></dt><dd>Approve and next</dd>"
        "<dt><kbd>r</kbd></dt><dd>Pick a reason to reject</dd>"
        "</dl>"
    ) in parse_html(html)
    assert "data-review-keys" in html


def run_module(code):
    """Run an ES module that imports the keys script in Node, and return what it prints, as JSON."""
    done = subprocess.run(
        [
            "node",
            "--input-type=module",
            "-e",
            f"import * as review from {json.dumps(SCRIPT.as_uri())}\n{code}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_keys_stand_for_next_previous_approve_and_reject_but_not_while_typing_or_with_a_modifier():
    assert run_module(
        """
        const page = { closest: () => null }
        const field = { closest: (selector) => (selector.split(", ").includes("textarea") ? field : null) }
        const key = (key, more = {}) => review.keyFor({ key, target: page, ...more })
        console.log(JSON.stringify({
          j: key("j"), right: key("ArrowRight"), k: key("k"), left: key("ArrowLeft"), a: key("a"), r: key("r"),
          x: key("x"), typing: key("j", { target: field }), ctrl: key("r", { ctrlKey: true }),
          meta: key("a", { metaKey: true }), shift: key("A", { shiftKey: true }), held: key("j", { repeat: true }),
          handled: key("a", { defaultPrevented: true }),
        }))
        """
    ) == {
        "j": "next",
        "right": "next",
        "k": "previous",
        "left": "previous",
        "a": "approve",
        "r": "reject",
        "x": None,
        "typing": None,
        "ctrl": None,
        "meta": None,
        "shift": None,
        "held": None,
        "handled": None,
    }


def test_a_key_clicks_its_button_once_and_focuses_a_field():
    assert run_module(
        """
        const listeners = new Set()
        const doc = {
          addEventListener: (type, listener) => listeners.add(listener),
          removeEventListener: (type, listener) => listeners.delete(listener),
        }
        const done = []
        const button = { matches: () => true, click: () => done.push("clicked approve") }
        const select = { matches: () => false, focus: () => done.push("focused reason") }
        const elements = { '[data-review-key="approve"]': button, '[data-review-key="reject"]': select }
        const root = { ownerDocument: doc, querySelector: (selector) => elements[selector] ?? null }
        const press = (key) => {
          const kept = () => done.push(`kept ${key} from the page`)
          const event = { key, target: { closest: () => null }, preventDefault: kept }
          for (const listener of [...listeners]) listener(event)
        }
        review.bindKeys(root)
        press("j")
        press("r")
        press("a")
        press("a")
        console.log(JSON.stringify({ done, listening: listeners.size }))
        """
    ) == {
        "done": ["kept r from the page", "focused reason", "kept a from the page", "clicked approve"],
        "listening": 0,
    }


def test_approve_selected_records_a_decision_for_each_verified_upload_and_skips_the_others(
    staff, make_upload, reviewed
):
    good = make_upload(filename="good.jpg")
    pending = make_upload(status="pending")

    response = staff.post(
        CHANGELIST + "?state=all",
        {"action": "approve", "_selected_action": [good.pk, pending.pk]},
        follow=True,
    )

    good.refresh_from_db()
    pending.refresh_from_db()
    assert [(d.reviewer.username, d.before, d.after) for d in good.decisions.all()] == [
        ("reviewer", "unreviewed", "approved")
    ]
    assert (good.review, pending.review, pending.decisions.count()) == ("approved", "unreviewed", 0)
    assert [str(m) for m in response.context["messages"]] == [
        "Marked 1 upload as approved.",
        "Skipped 1 upload that is not verified.",
    ]


def test_reject_selected_asks_why_on_a_page_of_its_own_first(staff, make_upload, reviewed):
    upload = make_upload(filename="boot.jpg")

    response = staff.post(CHANGELIST, {"action": "reject", "index": "0", "_selected_action": [upload.pk]})

    html = response.content.decode()
    assert response.templates[0].name == "admin/uploads/upload/reject_selected.html"
    assert "<li>boot.jpg (seller)</li>" in html
    assert '<select name="reason" data-review-key="reject" id="id_reason">' in html
    assert f'<input type="hidden" name="_selected_action" value="{upload.pk}">' in html
    assert '<input type="hidden" name="post" value="yes">' in html
    assert upload.decisions.count() == 0


def test_reject_selected_rejects_each_verified_upload_with_the_reason_given(staff, make_upload, reviewed):
    first, second = make_upload(), make_upload()
    failed = make_upload(status="failed")

    response = staff.post(
        CHANGELIST + "?state=all",
        {
            "action": "reject",
            "post": "yes",
            "select_across": "0",
            "reason": "rights",
            "note": "",
            "_selected_action": [first.pk, second.pk, failed.pk],
        },
        follow=True,
    )

    decisions = Decision.objects.filter(upload__in=[first, second, failed])
    assert sorted((d.upload_id, d.after, d.reason) for d in decisions) == sorted(
        [(first.pk, "rejected", "rights"), (second.pk, "rejected", "rights")]
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Marked 2 uploads as rejected.",
        "Skipped 1 upload that is not verified.",
    ]


def test_reject_selected_without_a_reason_asks_again_and_changes_nothing(staff, make_upload, reviewed):
    first, second = make_upload(), make_upload()

    response = staff.post(
        CHANGELIST,
        {
            "action": "reject",
            "post": "yes",
            "reason": "",
            "note": "",
            "_selected_action": [first.pk, second.pk],
        },
    )

    assert response.status_code == 200
    assert "Say why the image is rejected: pick a reason or write one." in response.content.decode()
    assert Decision.objects.count() == 0
    assert set(Upload.objects.values_list("review", flat=True)) == {"unreviewed"}
