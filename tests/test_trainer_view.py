"""The trainer's side: cohorts, join codes, the progress matrix and chart, CSV, graduation."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from products.images import qr_svg
from products.models import Region, Shop
from shop.accounts.models import User
from shop.extensions import db
from shop.messages.models import Message, Thread
from shop.orders.models import Order
from shop.training import cohorts
from shop.training.lessons import LESSONS
from shop.training.models import Cohort, CohortMember, LessonCompletion
from tests.forms import form_data, form_on, submit
from tests.helpers import csrf_token
from tests.html_check import html_errors
from tests.shopping import buy, orders_of, variant_id

CODE = re.compile(r'<p class="join-code">([^<]+)</p>')
#: The dates typed into the new-cohort form.
COHORT = {"starts_on": "2026-03-02", "ends_on": "2026-05-29"}


@pytest.fixture
def region(make_region):
    return make_region(slug="lingshou-test", name_zh="灵寿县", name_en="Lingshou County")


@pytest.fixture
def trainer(make_user):
    return make_user("trainer", language="en")


@pytest.fixture
def trainer_client(login_as, trainer):
    return login_as(trainer)


def _cohort(app, trainer, region, name="灵寿 2026 春季班") -> Cohort:
    """A cohort opened through the service, committed, detached."""
    with app.app_context():
        cohort = cohorts.create_cohort(
            db.session.get(User, trainer.id), name, region.id, date(2026, 3, 2), date(2026, 5, 29)
        )
        db.session.commit()
        db.session.refresh(cohort)
        db.session.expunge(cohort)
    return cohort


def _join(app, cohort, user, joined_at: datetime | None = None) -> None:
    with app.app_context():
        member = CohortMember(cohort_id=cohort.id, user_id=user.id)
        if joined_at:
            member.joined_at = joined_at
        db.session.add(member)
        db.session.commit()


def _complete(app, user, lesson: str, at: datetime) -> None:
    with app.app_context():
        db.session.add(LessonCompletion(user_id=user.id, lesson=lesson, completed_at=at))
        db.session.commit()


def _trainee(app, make_user, cohort, name: str, joined_at: datetime | None = None) -> User:
    user = make_user("trainee")
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(display_name=name))
        db.session.commit()
    user.display_name = name
    _join(app, cohort, user, joined_at)
    return user


def _rows(page: str) -> list[str]:
    """The trainee names of the matrix, top to bottom."""
    return re.findall(r'<span class="trainee-name">([^<]+)</span>', page)


def _cell(html: str, name: str) -> str:
    """The text of the first matrix cell of this class."""
    return re.search(rf'<td class="{name}">([^<]*)</td>', html).group(1)


def _page(client, cohort, query: str = "") -> str:
    response = client.get(f"/train/cohorts/{cohort.id}?lang=en{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- Opening a cohort --------------------------------------------------------------------------


def test_a_trainer_opens_a_cohort_and_gets_a_join_code_link_and_qr_code(
    app, trainer_client, region, make_region
):
    make_region(slug="laos", name_en="Laos", coming_soon=True)
    form = trainer_client.get("/train/cohorts/new?lang=en")
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert "Lingshou County" in html and "Laos" not in html  # coming-soon regions are not offered
    new_cohort = form_on(html, "/train/cohorts/new", "/train/cohorts/new")
    response = trainer_client.post(
        "/train/cohorts/new?lang=en",  # the form has no action: it posts to the page's address
        data=form_data(new_cohort, {**COHORT, "name": "灵寿 2026 春季班", "region": region.id}),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "灵寿 2026 春季班" in page
    code = CODE.search(page).group(1)
    assert len(code) == 8 and set(code) <= set(cohorts.JOIN_CODE_ALPHABET)
    link = f"http://localhost/signup?code={code}"
    assert f'href="{link}"' in page
    # The inline QR code is the join link's, and nothing else.
    assert qr_svg(link) in page
    downloaded = trainer_client.get(re.search(r'href="([^"]+/qr\.svg)"', page).group(1))
    assert downloaded.mimetype == "image/svg+xml" and downloaded.get_data(as_text=True) == qr_svg(
        link
    )
    with app.app_context():
        cohort = db.session.scalar(select(Cohort))
        assert (cohort.join_code, cohort.region_id) == (code, region.id)
        assert (cohort.starts_on, cohort.ends_on) == (date(2026, 3, 2), date(2026, 5, 29))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_on": "2026-02-28"}, "The end date cannot be before the start date."),
        ({"name": "   "}, "Give the cohort a name."),
        ({"starts_on": "2026-13-45"}, "Not a valid date value."),
    ],
)
def test_bad_input_is_refused_and_keeps_what_was_typed(
    app, trainer_client, region, changes, message
):
    data = {**COHORT, "name": "延安 2026 秋季班", "region": region.id, **changes}
    response = submit(trainer_client, "/train/cohorts/new?lang=en", changes=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    for field in ("name", "starts_on", "ends_on"):
        if data[field].strip():
            assert f'value="{data[field]}"' in page, field
    assert f'<option selected value="{region.id}">' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cohort)) == 0


def test_a_region_still_to_come_is_refused(app, trainer_client, make_region):
    laos = make_region(slug="laos", coming_soon=True)
    html = trainer_client.get("/train/cohorts/new").get_data(as_text=True)
    new_cohort = form_on(html, "/train/cohorts/new", "/train/cohorts/new")
    # Forged on purpose: the region is not among the form's choices.
    response = trainer_client.post(
        "/train/cohorts/new",
        data=form_data(new_cohort, {**COHORT, "name": "老挝班", "region": laos.id}),
    )
    assert response.status_code == 422


def test_join_codes_are_unique_and_a_taken_code_is_drawn_again(app, trainer, region):
    codes = {_cohort(app, trainer, region, name=f"班 {n}").join_code for n in range(25)}
    assert len(codes) == 25
    assert all(len(code) == 8 and not set(code) & set("0O1IL") for code in codes)
    taken = sorted(codes)[0]
    draws = iter([taken, taken, "XYZ23456"])
    with app.app_context():
        assert cohorts.unused_join_code(lambda: next(draws)) == "XYZ23456"


# --- Who sees what -----------------------------------------------------------------------------


def test_a_trainer_cannot_open_another_trainers_cohort(
    app, login_as, make_user, trainer, region, make_shop
):
    cohort = _cohort(app, trainer, region)
    trainee = _trainee(app, make_user, cohort, "小李")
    make_shop(owner=trainee, kind="practice", region=region)
    other = login_as(make_user("trainer"))
    base = f"/train/cohorts/{cohort.id}"
    graduate = f"{base}/trainees/{trainee.id}/graduate"
    for url in (base, f"{base}/export.csv", f"{base}/qr.svg", graduate):
        assert other.get(url).status_code == 404, url
    page = other.get("/train/cohorts").get_data(as_text=True)
    assert cohort.name not in page and cohort.join_code not in page
    # Forged on purpose: the other trainer is shown no graduation form (404 above).
    token = csrf_token(other.get("/train/cohorts/new").get_data(as_text=True))
    assert other.post(graduate, data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Shop.kind).where(Shop.owner_id == trainee.id)) == "practice"


def test_an_organizer_sees_every_cohort(app, login_as, make_user, trainer, region):
    mine = _cohort(app, trainer, region, name="灵寿班")
    theirs = _cohort(app, make_user("trainer"), region, name="延安班")
    organizer = login_as(make_user("organizer"))
    listing = organizer.get("/train/cohorts?lang=en").get_data(as_text=True)
    assert "灵寿班" in listing and "延安班" in listing
    assert "New cohort" not in listing  # organizers follow cohorts; trainers open them
    for cohort in (mine, theirs):
        base = f"/train/cohorts/{cohort.id}"
        for url in (base, f"{base}/export.csv"):
            assert organizer.get(url).status_code == 200, url


def test_a_trainer_lists_their_own_cohorts_with_member_counts(
    app, trainer_client, make_user, trainer, region
):
    cohort = _cohort(app, trainer, region)
    for name in ("甲", "乙", "丙"):
        _trainee(app, make_user, cohort, name)
    listing = trainer_client.get("/train/cohorts?lang=en").get_data(as_text=True)
    row = re.search(r"<tr>\s*<td[^>]*><a[^>]*>灵寿 2026 春季班</a>.*?</tr>", listing, re.S).group(0)
    assert '<td data-label="Trainees">3</td>' in row and cohort.join_code in row
    assert 'href="/train/cohorts/new"' in listing


@pytest.mark.parametrize("role", ["trainee", "customer", "exhibitor"])
def test_other_roles_are_forbidden(app, login_as, make_user, trainer, region, role):
    cohort = _cohort(app, trainer, region)
    client = login_as(make_user(role))
    for url in ("/train/cohorts", "/train/cohorts/new", f"/train/cohorts/{cohort.id}"):
        assert client.get(url).status_code == 403, url
    assert client.get(f"/train/cohorts/{cohort.id}/export.csv").status_code == 403


def test_an_organizer_cannot_open_a_cohort_but_a_visitor_is_sent_to_log_in(
    app, client, login_as, make_user
):
    assert login_as(make_user("organizer")).get("/train/cohorts/new").status_code == 403
    response = client.get("/train/cohorts")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_trainers_and_organizers_find_their_cohorts_in_the_header(login_as, make_user):
    for role in ("trainer", "organizer"):
        page = login_as(make_user(role)).get("/?lang=en").get_data(as_text=True)
        assert 'href="/train/cohorts">Cohorts</a>' in page, role
    page = login_as(make_user("customer")).get("/?lang=en").get_data(as_text=True)
    assert 'href="/train/cohorts"' not in page


# --- The matrix --------------------------------------------------------------------------------


def test_the_matrix_shows_ticks_with_dates_and_dashes(
    app, trainer_client, make_user, make_shop, trainer, region
):
    cohort = _cohort(app, trainer, region)
    trainee = _trainee(app, make_user, cohort, "王小梅")
    shop = make_shop(owner=trainee, kind="practice", region=region)
    # 23:30 UTC is the next morning in Beijing: the date shown is the trainee's.
    _complete(app, trainee, "profile", datetime(2026, 3, 9, 23, 30, tzinfo=UTC))
    _complete(app, trainee, "first_product", datetime(2026, 3, 12, 2, 0, tzinfo=UTC))
    page = _page(trainer_client, cohort)
    row = re.search(r"<tr>\s*<th scope=\"row\">.*?</tr>", page, re.DOTALL).group(0)
    cells = re.findall(r'<td class="lesson-(done|open)">(.*?)</td>', row, re.DOTALL)
    assert len(cells) == len(LESSONS)
    assert cells[0][0] == "done" and "✓" in cells[0][1]
    assert (
        '<time datetime="2026-03-10T07:30:00+08:00"' in cells[0][1]
        and ">03-10</time>" in cells[0][1]
    )
    assert '<time datetime="2026-03-12T10:00:00+08:00"' in cells[1][1]
    assert all(kind == "open" and "—" in text for kind, text in cells[2:])
    assert _cell(row, "lessons-done") == f"2/{len(LESSONS)}"
    # Links to the practice shop's private preview and to "send a customer".
    with app.app_context():
        token = db.session.scalar(select(Shop.preview_token).where(Shop.id == shop.id))
    assert token and f'href="/practice/{token}"' in row
    assert f'href="/train/customers/for/{trainee.id}"' in row
    assert f'href="/train/cohorts/{cohort.id}/trainees/{trainee.id}/graduate"' in row


def test_sorting_by_progress_puts_the_furthest_trainee_first(
    app, trainer_client, make_user, trainer, region
):
    cohort = _cohort(app, trainer, region)
    moment = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    for name, done in (("Ann", 1), ("Bo", 3), ("Cai", 0), ("Dee", 2)):
        trainee = _trainee(app, make_user, cohort, name)
        for lesson in LESSONS[:done]:
            _complete(app, trainee, lesson.key, moment)
    assert _rows(_page(trainer_client, cohort)) == ["Ann", "Bo", "Cai", "Dee"]
    page = _page(trainer_client, cohort, "&sort=progress&dir=desc")
    assert _rows(page) == ["Bo", "Dee", "Ann", "Cai"]
    assert re.search(r'<th scope="col" aria-sort="descending">\s*<a[^>]*sort=progress', page)
    # The active column's link turns the order round.
    assert f"/train/cohorts/{cohort.id}?sort=progress&amp;dir=asc" in page
    assert _rows(_page(trainer_client, cohort, "&sort=progress&dir=asc")) == [
        "Cai",
        "Ann",
        "Dee",
        "Bo",
    ]
    # By a lesson's completion time: who did it first; who has not done it comes last.
    key = LESSONS[1].key
    for name, hours in (("Bo", 5), ("Dee", 1)):
        with app.app_context():
            db.session.execute(
                update(LessonCompletion)
                .where(
                    LessonCompletion.lesson == key,
                    LessonCompletion.user_id
                    == select(User.id).where(User.display_name == name).scalar_subquery(),
                )
                .values(completed_at=moment + timedelta(hours=hours))
            )
            db.session.commit()
    _complete(app, _trainee(app, make_user, cohort, "Eve"), key, moment)
    page = _page(trainer_client, cohort, f"&sort=lesson-{key}&dir=asc")
    assert _rows(page)[:3] == ["Eve", "Dee", "Bo"]
    assert set(_rows(page)[3:]) == {"Ann", "Cai"}
    # A made-up sort key falls back to names.
    assert _rows(_page(trainer_client, cohort, "&sort=password&dir=sideways"))[0] == "Ann"


def _shop_with_orders(app, make_shop, make_product, owner, region, count: int) -> tuple:
    """A practice shop of `owner` with `count` paid practice orders from real checkouts.

    Bought while the shop was an exhibitor shop (practice listings cannot go in a cart), then
    turned into the practice shop it stands for, its orders marked practice like checkout does.
    """
    shop = make_shop(owner=owner, region=region)
    product = make_product(shop=shop, title_zh="练习核桃", title_en="Practice walnuts")
    numbers = [
        orders_of(app, buy(app.test_client(), variant_id(app, product)))[0].number
        for _ in range(count)
    ]
    with app.app_context():
        db.session.execute(update(Shop).where(Shop.id == shop.id).values(kind="practice"))
        db.session.execute(update(Order).where(Order.number.in_(numbers)).values(is_practice=True))
        db.session.commit()
    return shop, product, numbers


def _ask(app, order_number: str, asked: datetime, answered: datetime | None) -> None:
    """A buyer's message on the order, answered (or not) by the seller."""
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == order_number))
        thread = db.session.scalar(select(Thread).where(Thread.order_id == order.id))
        if thread is None:
            thread = Thread(order_id=order.id, shop_id=order.shop_id)
            db.session.add(thread)
        thread.messages.append(
            Message(author="buyer", body="什么时候发货？", created_at=asked, answered_at=answered)
        )
        if answered:
            thread.messages.append(Message(author="seller", body="明天发。", created_at=answered))
        db.session.commit()


def _post(client, number: str, action: str, **changes):
    """Send one of the seller's order page forms (ship, cancel, ...)."""
    page = f"/sell/orders/{number}"
    response = submit(client, page, f"{page}/{action}", changes)
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    return response


def test_orders_handled_and_average_reply_time_come_from_orders_and_messages(
    app, trainer_client, login_as, make_user, make_shop, make_product, trainer, region
):
    cohort = _cohort(app, trainer, region)
    trainee = _trainee(app, make_user, cohort, "赵师傅")
    _shop, _product, numbers = _shop_with_orders(app, make_shop, make_product, trainee, region, 3)
    seller = login_as(trainee)
    shipped, cancelled, waiting = numbers
    _post(seller, shipped, "ship", carrier="顺丰", tracking_number="SF1234567")
    _post(seller, cancelled, "cancel", **{"cancel-reason": "缺货"})
    with app.app_context():
        statuses = dict(db.session.execute(select(Order.number, Order.status)).all())
    assert [statuses[number] for number in numbers] == ["shipped", "cancelled", "paid"]
    asked = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
    _ask(app, numbers[0], asked, asked + timedelta(hours=2, minutes=5))
    _ask(app, numbers[1], asked, asked + timedelta(minutes=5))
    _ask(app, numbers[2], asked, None)  # not answered yet: not in the average
    page = _page(trainer_client, cohort)
    # Shipped and cancelled by the seller: 2 handled; the one only paid is not. (2h05 + 5 min) / 2.
    assert _cell(page, "orders-handled") == "2"
    assert _cell(page, "reply-time") == "1 h 5 min"
    csv_row = _csv(trainer_client, cohort)[1]
    assert csv_row[-3:-1] == ["2", "3900"]


def test_a_trainee_without_answers_or_orders_shows_dashes(
    app, trainer_client, make_user, trainer, region
):
    cohort = _cohort(app, trainer, region)
    _trainee(app, make_user, cohort, "钱新")
    page = _page(trainer_client, cohort)
    row = re.search(r"<tr>\s*<th scope=\"row\">.*?</tr>", page, re.DOTALL).group(0)
    assert "No shop yet" in row
    assert (_cell(page, "orders-handled"), _cell(page, "reply-time")) == ("0", "—")


def test_the_matrix_takes_the_same_number_of_queries_for_more_trainees(
    app, count_queries, trainer_client, make_user, make_shop, make_product, trainer, region
):
    cohort = _cohort(app, trainer, region)
    moment = datetime(2026, 3, 10, tzinfo=UTC)

    def add_trainee(number: int) -> None:
        trainee = _trainee(app, make_user, cohort, f"学员{number}")
        shop, _product, numbers = _shop_with_orders(
            app, make_shop, make_product, trainee, region, 1
        )
        _complete(app, trainee, "profile", moment)
        _ask(app, numbers[0], moment, moment + timedelta(minutes=number))

    def queries() -> int:
        return count_queries(trainer_client, f"/train/cohorts/{cohort.id}?lang=en")

    for number in range(2):
        add_trainee(number)
    _page(trainer_client, cohort)  # gives the new shops their preview links (one-time writes)
    few = queries()
    for number in range(2, 7):
        add_trainee(number)
    _page(trainer_client, cohort)
    assert queries() == few


# --- The chart ---------------------------------------------------------------------------------


def test_the_chart_has_one_bar_per_lesson_with_its_completion(
    app, trainer_client, make_user, trainer, region
):
    cohort = _cohort(app, trainer, region)
    moment = datetime(2026, 3, 10, tzinfo=UTC)
    trainees = [_trainee(app, make_user, cohort, f"学员{n}") for n in range(4)]
    for trainee in trainees[:3]:
        _complete(app, trainee, LESSONS[0].key, moment)
    _complete(app, trainees[0], LESSONS[1].key, moment)
    page = _page(trainer_client, cohort)
    chart = re.search(r'<svg class="completion-chart".*?</svg>', page, re.DOTALL).group(0)
    assert "style=" not in chart  # the CSP forbids inline styles
    bars = re.findall(
        r'<rect class="chart-bar"[^>]*width="([\d.]+)"[^>]*data-percent="(\d+)"', chart
    )
    assert [int(percent) for _width, percent in bars] == [75, 25] + [0] * (len(LESSONS) - 2)
    assert float(bars[0][0]) == pytest.approx(300 * 0.75)
    titles = re.findall(r"<title>([^<]+)</title>", chart)
    assert len(titles) == len(LESSONS)
    assert titles[0] == f"{LESSONS[0].title}: 3 of 4 trainees (75%)"
    assert titles[1] == f"{LESSONS[1].title}: 1 of 4 trainees (25%)"
    labels = re.findall(r'<text class="chart-value"[^>]*>([^<]+)</text>', chart)
    assert labels[:3] == ["75%", "25%", "0%"]


def test_an_empty_cohort_shows_its_code_and_an_empty_chart(app, trainer_client, trainer, region):
    cohort = _cohort(app, trainer, region)
    page = _page(trainer_client, cohort)
    assert cohort.join_code in page and "No trainees have joined yet" in page
    assert page.count('class="chart-bar"') == len(LESSONS)


# --- Who is stuck -------------------------------------------------------------------------------

NOW = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)


def _stuck(app, cohort, days: int = 7) -> list[tuple[str, int | None, bool]]:
    """(name, idle days, fewest) of the cohort's stuck list as of NOW."""
    with app.app_context():
        rows = cohorts.progress(db.session.get(Cohort, cohort.id)).rows
        return [
            (item.row.user.display_name, item.idle_days, item.fewest)
            for item in cohorts.stuck_trainees(rows, NOW, days)
        ]


def test_stuck_means_no_lesson_for_n_days_or_the_fewest_lessons_done(
    app, make_user, trainer, region
):
    cohort = _cohort(app, trainer, region)
    joined = NOW - timedelta(days=30)
    busy = _trainee(app, make_user, cohort, "忙碌的学员", joined)
    for lesson in LESSONS[:4]:
        _complete(app, busy, lesson.key, NOW - timedelta(days=1))
    idle = _trainee(app, make_user, cohort, "停下来的学员", joined)
    for lesson in LESSONS[:3]:
        _complete(app, idle, lesson.key, NOW - timedelta(days=9, hours=1))
    # Did one lesson two days ago: recent, but no one has done fewer.
    slow = _trainee(app, make_user, cohort, "慢慢来的学员", joined)
    _complete(app, slow, LESSONS[0].key, NOW - timedelta(days=2))
    # Just under the window: 6 days 23 hours is not yet a week.
    _recent = _trainee(app, make_user, cohort, "六天前的学员", joined)
    for lesson in LESSONS[:2]:
        _complete(app, _recent, lesson.key, NOW - timedelta(days=6, hours=23))
    assert _stuck(app, cohort) == [("停下来的学员", 9, False), ("慢慢来的学员", None, True)]
    # N is a setting: with three days, the one idle for six is stuck too, and longest idle first.
    assert _stuck(app, cohort, days=3) == [
        ("停下来的学员", 9, False),
        ("六天前的学员", 6, False),
        ("慢慢来的学员", None, True),
    ]


def test_a_new_trainee_counts_from_joining_and_finished_or_graduated_ones_are_never_stuck(
    app, make_user, trainer, region
):
    cohort = _cohort(app, trainer, region)
    newcomer = _trainee(app, make_user, cohort, "新来的学员", NOW - timedelta(days=2))
    forgotten = _trainee(app, make_user, cohort, "忘了的学员", NOW - timedelta(days=12))
    finished = _trainee(app, make_user, cohort, "学完的学员", NOW - timedelta(days=40))
    for lesson in LESSONS:
        _complete(app, finished, lesson.key, NOW - timedelta(days=20))
    graduate = _trainee(app, make_user, cohort, "毕业的学员", NOW - timedelta(days=40))
    with app.app_context():
        db.session.execute(
            update(CohortMember)
            .where(CohortMember.user_id == graduate.id)
            .values(graduated_at=NOW - timedelta(days=15))
        )
        db.session.commit()
    assert newcomer and forgotten
    # Both have done nothing, the fewest; only the one who joined 12 days ago is idle as well.
    assert _stuck(app, cohort) == [("忘了的学员", 12, True), ("新来的学员", None, True)]


def test_when_everyone_has_done_as_many_lessons_nobody_is_behind(app, make_user, trainer, region):
    cohort = _cohort(app, trainer, region)
    for name in ("甲", "乙"):
        trainee = _trainee(app, make_user, cohort, name, NOW - timedelta(days=3))
        _complete(app, trainee, LESSONS[0].key, NOW - timedelta(days=1))
    assert _stuck(app, cohort) == []


def test_the_stuck_list_heads_the_cohort_page_with_why_in_both_languages(
    app, trainer_client, make_user, make_shop, trainer, region
):
    cohort = _cohort(app, trainer, region)
    now = datetime.now(UTC)
    ahead = _trainee(app, make_user, cohort, "领先的学员", now - timedelta(days=20))
    make_shop(owner=ahead, kind="practice", region=region)
    _complete(app, ahead, LESSONS[0].key, now - timedelta(hours=3))
    stuck = _trainee(app, make_user, cohort, "卡住的学员", now - timedelta(days=10, hours=2))
    make_shop(owner=stuck, kind="practice", region=region)
    page = _page(trainer_client, cohort)
    stuck_list = re.search(r'<ul class="stuck-list">(.*?)</ul>', page, re.S).group(1)
    assert "卡住的学员" in stuck_list and "领先的学员" not in stuck_list
    assert "No lesson done for 10 days" in stuck_list and "Fewest lessons done" in stuck_list
    assert f'href="/train/customers/for/{stuck.id}"' in stuck_list
    # Above the matrix, so the trainer sees it first.
    assert page.index("stuck-list") < page.index("progress-matrix")
    chinese = trainer_client.get(f"/train/cohorts/{cohort.id}?lang=zh").get_data(as_text=True)
    assert "谁卡住了" in chinese and "已 10 天没有完成任何一课" in chinese


def test_the_stuck_window_comes_from_the_configuration(
    app, trainer_client, make_user, trainer, region
):
    app.config["TRAINEE_STUCK_DAYS"] = 14
    cohort = _cohort(app, trainer, region)
    now = datetime.now(UTC)
    for name, lessons_done in (("十天没动", 2), ("另一位", 2)):
        trainee = _trainee(app, make_user, cohort, name, now - timedelta(days=20))
        for lesson in LESSONS[:lessons_done]:
            _complete(app, trainee, lesson.key, now - timedelta(days=10))
    page = _page(trainer_client, cohort)
    assert "No lesson done for 14 days or more" in page
    assert '<ul class="stuck-list">' not in page and "Nobody is stuck" in page


def test_the_graduate_button_sits_in_the_trainees_own_column(
    app, trainer_client, make_user, make_shop, trainer, region
):
    cohort = _cohort(app, trainer, region)
    trainee = _trainee(app, make_user, cohort, "王小梅")
    make_shop(owner=trainee, kind="practice", region=region)
    page = _page(trainer_client, cohort)
    name_cell = re.search(r'<th scope="row">(.*?)</th>', page, re.S).group(1)
    assert f'href="/train/cohorts/{cohort.id}/trainees/{trainee.id}/graduate"' in name_cell


# --- CSV ---------------------------------------------------------------------------------------


def _csv(client, cohort) -> list[list[str]]:
    response = client.get(f"/train/cohorts/{cohort.id}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_csv_has_a_row_per_trainee_with_times_in_beijing(
    app, trainer_client, make_user, make_shop, trainer, region
):
    cohort = _cohort(app, trainer, region)
    joined = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    trainee = _trainee(app, make_user, cohort, "孙大姐", joined_at=joined)
    make_shop(owner=trainee, kind="practice", region=region, name_zh="孙大姐的核桃铺")
    _complete(app, trainee, "first_product", datetime(2026, 3, 3, 16, 30, tzinfo=UTC))
    hacker = _trainee(app, make_user, cohort, '=HYPERLINK("http://evil.test")')
    rows = _csv(trainer_client, cohort)
    keys = [lesson.key for lesson in LESSONS]
    assert rows[0] == [
        "name",
        "email",
        "joined",
        "shop",
        *keys,
        "lessons_done",
        "orders_handled",
        "average_reply_seconds",
        "graduated",
    ]
    assert len(rows) == 3
    by_email = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    row = by_email[trainee.email]
    assert row["name"] == "孙大姐" and row["shop"] == "孙大姐的核桃铺"
    assert row["joined"] == "2026-03-02T09:00:00+08:00"
    assert row["first_product"] == "2026-03-04T00:30:00+08:00"
    assert row["profile"] == "" and row["lessons_done"] == "1"
    assert row["orders_handled"] == "0" and row["average_reply_seconds"] == ""
    assert row["graduated"] == ""
    # A name that a spreadsheet would run as a formula is written as text.
    assert by_email[hacker.email]["name"] == '\'=HYPERLINK("http://evil.test")'


# --- Graduation --------------------------------------------------------------------------------


@pytest.fixture
def lingshou(seeded):
    with seeded.app_context():
        region = db.session.scalar(select(Region).where(Region.slug == "lingshou"))
        db.session.expunge(region)
    return region


def test_graduation_moves_published_listings_to_the_public_catalogue(
    seeded, lingshou, login_as, make_user, make_shop, make_product
):
    app = seeded
    trainer = make_user("trainer", language="en")
    trainer_client = login_as(trainer)
    cohort = _cohort(app, trainer, lingshou)
    trainee = _trainee(app, make_user, cohort, "周学员")
    shop, product, numbers = _shop_with_orders(app, make_shop, make_product, trainee, lingshou, 1)
    with app.app_context():
        db.session.execute(update(Shop).where(Shop.id == shop.id).values(slug="zhou-walnuts"))
        db.session.commit()
    draft = make_product(shop=shop, title_zh="草稿木杖", title_en="Draft stick", status="draft")
    visitor = app.test_client()
    public_urls = (
        "/regions/lingshou?lang=en",
        "/shops/zhou-walnuts?lang=en",
        "/search?q=Practice+walnuts&lang=en",
        "/api/v1/products?region=lingshou&per_page=60",
    )
    listed, unlisted = f"/products/{product.id}-", f"/products/{draft.id}-"
    # Before: practice listings are nowhere public (and those pages are now cached).
    for url in public_urls:
        assert listed not in visitor.get(url).get_data(as_text=True), url

    review_url = f"/train/cohorts/{cohort.id}/trainees/{trainee.id}/graduate"
    review = trainer_client.get(review_url + "?lang=en")
    html = review.get_data(as_text=True)
    assert review.status_code == 200
    assert shop.name_en in html and "Practice walnuts" in html and "Draft stick" in html
    graduate = form_on(html, review_url)
    response = trainer_client.post(graduate.action, data=form_data(graduate), follow_redirects=True)
    assert response.status_code == 200 and "is now an exhibitor shop" in response.get_data(
        as_text=True
    )

    for url in public_urls:
        page = visitor.get(url).get_data(as_text=True)
        assert listed in page, url
        assert unlisted not in page, url
    assert visitor.get(f"/api/v1/products/{product.id}").status_code == 200
    assert visitor.get(f"/api/v1/products/{draft.id}").status_code == 404
    with app.app_context():
        user = db.session.get(User, trainee.id)
        assert user.has_role("exhibitor") and user.has_role("trainee")
        member = db.session.scalar(select(CohortMember).where(CohortMember.user_id == trainee.id))
        assert member.graduated_at is not None
        graduated = db.session.get(Shop, shop.id)
        assert graduated.kind == "exhibitor" and graduated.preview_token is None
        # The practice order stays practice: it never counts as a real sale.
        assert db.session.scalar(select(Order.is_practice).where(Order.number == numbers[0]))
    # A real buyer's order from now on is a real one.
    real = orders_of(app, buy(app.test_client(), variant_id(app, product)))[0]
    assert real.is_practice is False
    seller_list = login_as(trainee).get("/sell/orders?lang=en").get_data(as_text=True)
    practice_row = re.search(rf"{numbers[0]}</a>[^<]*(<span[^>]*>[^<]*</span>)?", seller_list)
    assert "Practice" in practice_row.group(0)
    assert "Practice" not in re.search(rf"{real.number}</a>[^<]*", seller_list).group(0)
    matrix = _page(trainer_client, cohort)
    assert "Graduated" in matrix and 'href="/shops/zhou-walnuts"' in matrix
    # Graduating twice (the review page's form sent again, from the back button) is refused.
    again = trainer_client.post(review_url + "?lang=en", data=form_data(graduate))
    assert again.status_code == 409
    assert "already sells publicly" in again.get_data(as_text=True)


def test_graduation_is_refused_for_a_trainee_without_a_shop(
    app, trainer_client, make_user, trainer, region
):
    cohort = _cohort(app, trainer, region)
    trainee = _trainee(app, make_user, cohort, "吴新人")
    url = f"/train/cohorts/{cohort.id}/trainees/{trainee.id}/graduate?lang=en"
    review = trainer_client.get(url)
    html = review.get_data(as_text=True)
    assert review.status_code == 200
    assert "has not opened a practice shop yet" in html and "<button" not in html.split("<main")[1]
    # No button is shown: a forged post is refused with the same reason.
    response = trainer_client.post(url, data={"csrf_token": csrf_token(html)})
    assert response.status_code == 409
    assert "吴新人 has not opened a practice shop yet" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, trainee.id)
        assert not user.has_role("exhibitor")
        member = db.session.scalar(select(CohortMember).where(CohortMember.user_id == trainee.id))
        assert member.graduated_at is None


def test_graduating_someone_outside_the_cohort_is_a_404(
    app, trainer_client, make_user, make_shop, trainer, region
):
    cohort = _cohort(app, trainer, region)
    stranger = make_user("trainee")
    make_shop(owner=stranger, kind="practice", region=region)
    url = f"/train/cohorts/{cohort.id}/trainees/{stranger.id}/graduate"
    assert trainer_client.get(url).status_code == 404


# --- Seed and page validity --------------------------------------------------------------------


def test_the_demo_trainer_runs_the_demo_cohort_with_the_demo_trainee(seeded, login_as):
    with seeded.app_context():
        trainer = db.session.scalar(
            select(User).where(User.email == "trainer@demo.villagemarket.test")
        )
        cohort = db.session.scalar(select(Cohort).where(Cohort.join_code == "LINGSHOU"))
        assert cohort.trainer_id == trainer.id and cohort.region.slug == "lingshou"
        assert [member.user.email for member in cohort.members] == [
            "trainee@demo.villagemarket.test"
        ]
        db.session.expunge(trainer)
    page = login_as(trainer).get(f"/train/cohorts/{cohort.id}").get_data(as_text=True)
    assert "灵寿 2026 春季班" in page and "LINGSHOU" in page and "返乡青年学员 (演示)" in page
    result = seeded.test_cli_runner().invoke(args=["seed"])
    assert "nothing changed" in result.output
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cohort)) == 1
        assert db.session.scalar(select(func.count()).select_from(CohortMember)) == 1


def test_the_trainers_pages_are_valid_html(
    app, tmp_path, trainer_client, make_user, make_shop, make_product, trainer, region
):
    cohort = _cohort(app, trainer, region)
    trainee = _trainee(app, make_user, cohort, "郑学员")
    shop = make_shop(owner=trainee, kind="practice", region=region)
    make_product(shop=shop)
    _complete(app, trainee, "profile", datetime(2026, 3, 10, tzinfo=UTC))
    _trainee(app, make_user, cohort, "冯新人")
    pages = {
        "list": "/train/cohorts",
        "new": "/train/cohorts/new",
        "cohort": f"/train/cohorts/{cohort.id}?sort=progress&dir=desc",
        "graduate": f"/train/cohorts/{cohort.id}/trainees/{trainee.id}/graduate",
    }
    saved = {}
    for name, url in pages.items():
        for language in ("zh", "en"):
            joiner = "&" if "?" in url else "?"
            response = trainer_client.get(f"{url}{joiner}lang={language}")
            assert response.status_code == 200, url
            saved[f"{name} ({language})"] = response.data
    assert html_errors(tmp_path, saved) == []
