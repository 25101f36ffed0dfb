"""The subscriber admin, as staff use it: filters, search, counts, CSV export, erasure."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from newsletter import services
from newsletter.models import Delivery, Subscriber
from tests.factories import ConfirmedSubscriberFactory, SubscriberFactory

from .factories import IssueFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/newsletter/subscriber/"
EXPORT = "/admin/newsletter/subscriber/export.csv"


@pytest.fixture
def staff(admin_client):
    return admin_client


def emails_listed(response) -> list[str]:
    return [subscriber.email for subscriber in response.context["cl"].result_list]


def rows_of(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def change_form(**fields) -> dict:
    """Return the change form's POST: fields, the default preferences, no alerts changed."""
    return {
        "wants_newsletter": "on",
        "digest_frequency": Subscriber.Frequency.WEEKLY,
        "alerts-TOTAL_FORMS": "0",
        "alerts-INITIAL_FORMS": "0",
        **fields,
    }


def a_week_ago() -> str:
    """Return the start of the date filter's "Past 7 days", written as its links write it."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return str(today - timedelta(days=7))


def unsubscribed(**fields) -> Subscriber:
    subscriber = ConfirmedSubscriberFactory(**fields)
    return services.unsubscribe(subscriber=subscriber)


def test_the_list_shows_the_whole_tables_counts_per_status(staff):
    ConfirmedSubscriberFactory.create_batch(3)
    SubscriberFactory.create_batch(2)
    unsubscribed()

    response = staff.get(CHANGELIST, {"status__exact": "pending"})

    counts = response.text.split('class="subscriber-counts"')[1].split("</p>")[0]
    assert "Pending confirmation: <strong>2</strong>" in counts
    assert "Confirmed: <strong>3</strong>" in counts
    assert "Unsubscribed: <strong>1</strong>" in counts


def test_the_status_filter_keeps_one_status_and_shows_counts_beside_each_choice(staff):
    ConfirmedSubscriberFactory(email="confirmed@example.org")
    SubscriberFactory(email="pending@example.org")

    response = staff.get(CHANGELIST, {"status__exact": "confirmed"})

    assert emails_listed(response) == ["confirmed@example.org"]
    assert "Pending confirmation (1)" in response.text
    assert "Confirmed (1)" in response.text


def test_the_date_filter_keeps_subscribers_who_signed_up_in_the_range(staff):
    old = SubscriberFactory(email="old@example.org")
    Subscriber.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=90))
    SubscriberFactory(email="new@example.org")

    response = staff.get(CHANGELIST, {"created_at__gte": a_week_ago()})

    assert emails_listed(response) == ["new@example.org"]


def test_the_unsubscribed_date_filter_lists_who_left_in_the_last_week(staff):
    unsubscribed(email="left@example.org")
    ConfirmedSubscriberFactory(email="stays@example.org")

    response = staff.get(CHANGELIST, {"unsubscribed_at__gte": a_week_ago()})

    assert emails_listed(response) == ["left@example.org"]


def test_search_finds_subscribers_by_address_or_name(staff):
    SubscriberFactory(email="ana@ngo.example", name="Ana")
    SubscriberFactory(email="ben@example.org", name="Ben Ngo")
    SubscriberFactory(email="carla@example.org")

    response = staff.get(CHANGELIST, {"q": "ngo"})

    assert sorted(emails_listed(response)) == ["ana@ngo.example", "ben@example.org"]


def test_the_subscriber_list_takes_a_fixed_number_of_queries(staff, django_assert_num_queries):
    """Guards against a query per row (and per facet) creeping into the change list."""
    ConfirmedSubscriberFactory.create_batch(3)
    SubscriberFactory.create_batch(2)

    # Session, user, the counts per status; the change list's two counts, its rows, the
    # date hierarchy's two, and one facet query per filter (eight: status, the three
    # mailings, the digest frequency and three dates).
    with django_assert_num_queries(16):
        response = staff.get(CHANGELIST)

    assert len(emails_listed(response)) == 5


def test_the_export_link_keeps_the_current_search_and_filters(staff):
    SubscriberFactory(email="reader@example.org")

    response = staff.get(CHANGELIST, {"status__exact": "pending", "q": "reader"})

    assert f'href="{EXPORT}?' in response.text
    link = response.text.split(f'href="{EXPORT}?')[1].split('"')[0].replace("&amp;", "&")
    assert sorted(link.split("&")) == ["q=reader", "status__exact=pending"]


def test_the_export_holds_every_subscriber_the_filters_keep_on_all_pages(staff):
    SubscriberFactory.create_batch(120)  # more than one page of 100
    ConfirmedSubscriberFactory(email="confirmed@example.org", name="Ana")

    response = staff.get(EXPORT, {"status__exact": "pending", "p": "2"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="traffickingwatch-subscribers-'
    )
    assert "no-store" in response["Cache-Control"]
    rows = rows_of(response)
    assert len(rows) == 120
    assert {row["status"] for row in rows} == {"pending"}


def test_the_export_writes_the_consent_record_of_each_subscriber(staff):
    ConfirmedSubscriberFactory(
        email="reader@example.org",
        name="Ana",
        consent_text="I agree.",
        source_page="/news/",
    )

    [row] = rows_of(staff.get(EXPORT))

    assert row["email"] == "reader@example.org"
    assert row["name"] == "Ana"
    assert row["status"] == "confirmed"
    assert row["consent_text"] == "I agree."
    assert row["source_page"] == "/news/"
    assert row["confirmed_at"].startswith(str(timezone.now().year))
    assert row["unsubscribed_at"] == ""


def test_the_export_disarms_cells_a_spreadsheet_would_run_as_formulas(staff):
    SubscriberFactory(email="=cmd@example.org", name='=HYPERLINK("http://evil.example")')

    [row] = rows_of(staff.get(EXPORT))

    assert row["email"] == "'=cmd@example.org"
    assert row["name"] == '\'=HYPERLINK("http://evil.example")'


def test_the_export_action_holds_only_the_selected_subscribers(staff):
    chosen = SubscriberFactory(email="chosen@example.org")
    SubscriberFactory(email="other@example.org")

    response = staff.post(
        CHANGELIST, {"action": "export_selected", "_selected_action": [chosen.pk]}
    )

    assert [row["email"] for row in rows_of(response)] == ["chosen@example.org"]


def test_garbage_filters_on_the_export_go_back_to_the_list_with_a_message(staff):
    response = staff.get(EXPORT, {"created_at__gte": "not a date"})

    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?e=1"


def test_the_export_is_for_staff_only(client, django_user_model):
    assert client.get(EXPORT).status_code == 302  # to the admin login
    user = django_user_model.objects.create_user("editor", password="pw", is_staff=True)
    client.force_login(user)

    assert client.get(EXPORT).status_code == 403


def test_staff_who_may_view_subscribers_may_export_them(client, django_user_model):
    SubscriberFactory(email="reader@example.org")
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_subscriber"))
    client.force_login(user)

    assert [row["email"] for row in rows_of(client.get(EXPORT))] == ["reader@example.org"]


def test_staff_who_unsubscribe_someone_by_hand_record_the_date(staff):
    subscriber = ConfirmedSubscriberFactory()

    staff.post(
        f"{CHANGELIST}{subscriber.pk}/change/",
        change_form(name="", status=Subscriber.Status.UNSUBSCRIBED),
    )

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None


def tables_holding(text: str) -> list[str]:
    """Return the names of the database tables with a row whose text contains text."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT 1 FROM {quoted} AS t WHERE t::text ILIKE %s LIMIT 1", [f"%{text}%"]
            )
            if cursor.fetchone():
                found.append(table)
    return found


def subscriber_with_history(staff, email: str) -> Subscriber:
    """A subscriber with a delivery and an admin history, both naming the address."""
    subscriber = ConfirmedSubscriberFactory(email=email)
    Delivery.objects.create(
        issue=IssueFactory(),
        subscriber=subscriber,
        status=Delivery.Status.FAILED,
        last_error=f"550 <{email}>: mailbox unavailable",
    )
    staff.post(
        f"{CHANGELIST}{subscriber.pk}/change/",
        change_form(name="Ana", status=Subscriber.Status.CONFIRMED),
    )
    assert LogEntry.objects.filter(action_flag=CHANGE, object_repr=email).exists()
    return subscriber


def test_deleting_a_subscriber_leaves_the_address_in_no_row_anywhere(staff):
    subscriber = subscriber_with_history(staff, "erase-me@example.org")
    assert "newsletter_delivery" in tables_holding("erase-me@example.org")

    response = staff.post(f"{CHANGELIST}{subscriber.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Subscriber.objects.exists()
    assert not Delivery.objects.exists()
    assert tables_holding("erase-me@example.org") == []


def test_the_admin_history_of_a_deleted_subscriber_names_it_by_id(staff):
    subscriber = subscriber_with_history(staff, "erase-me@example.org")

    staff.post(f"{CHANGELIST}{subscriber.pk}/delete/", {"post": "yes"})

    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Subscriber), object_id=str(subscriber.pk)
    )
    assert {entry.object_repr for entry in entries} == {f"deleted subscriber #{subscriber.pk}"}
    assert entries.count() == 2  # the change and the deletion


def test_deleting_selected_subscribers_erases_each_and_keeps_the_others(staff):
    first = subscriber_with_history(staff, "first@example.org")
    second = subscriber_with_history(staff, "second@example.org")
    ConfirmedSubscriberFactory(email="stays@example.org")

    response = staff.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["stays@example.org"]
    assert tables_holding("first@example.org") == []
    assert tables_holding("second@example.org") == []
