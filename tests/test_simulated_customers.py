"""Simulated customers: practice orders through the real cart, checkout and sandbox payment."""

import random
import re
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from products.models import Variant
from products.shipping import ships_to
from shop.accounts.models import OutboxMessage
from shop.cart.models import Cart
from shop.checkout.forms import MAINLAND_MOBILE
from shop.extensions import db
from shop.messages.models import Message, Thread
from shop.orders.models import Order
from shop.payments.models import Payment
from shop.training import customers, lessons
from shop.training.models import Cohort, CohortMember, LessonCompletion
from tests.helpers import csrf_token
from tests.html_check import html_errors
from tests.shopping import form_token

PROVINCES = {place.province for place in customers.PLACES}
CHINESE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,3}$")


@pytest.fixture
def app(app):
    """The app with a fixed seed, so every simulated customer is the same from run to run."""
    app.config["PRACTICE_CUSTOMERS_SEED"] = 2026
    return app


@pytest.fixture
def trainee(make_user):
    return make_user("trainee", email="trainee@example.test")


@pytest.fixture
def shop(make_shop, trainee):
    return make_shop(owner=trainee, kind="practice", shipping_fee_fen=800)


@pytest.fixture
def pears(make_product, shop):
    return make_product(shop=shop, title_zh="小王家酥梨", price_fen=3990, stock=10)


@pytest.fixture
def walnuts(make_product, shop):
    return make_product(shop=shop, title_zh="太行核桃", price_fen=4500, stock=8)


@pytest.fixture
def trainee_client(login_as, trainee):
    return login_as(trainee)


def send(client, scenario: str, url: str = "/train/customers", lang: str = "en"):
    """Press a scenario's button on the practice customers page; returns the page after it."""
    page = client.get(f"{url}?lang={lang}")
    assert page.status_code == 200, page.status_code
    response = client.post(
        f"{url}?lang={lang}",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "scenario": scenario},
    )
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"] + f"?lang={lang}")


def practice_orders(app, shop):
    """The shop's orders, oldest first, with lines and payment loaded."""
    with app.app_context():
        orders = db.session.scalars(
            select(Order)
            .where(Order.shop_id == shop.id)
            .options(selectinload(Order.lines), selectinload(Order.payment))
            .order_by(Order.id)
        ).all()
        for order in orders:
            db.session.expunge(order)
        return list(orders)


def messages_of(app, order_number: str):
    """The messages on an order's thread, with the thread's state."""
    with app.app_context():
        thread = db.session.scalar(select(Thread).join(Order).where(Order.number == order_number))
        if thread is None:
            return None, []
        messages = list(thread.messages)
        for message in messages:
            db.session.expunge(message)
        db.session.expunge(thread)
        return thread, messages


def stocks(app, *products) -> dict[int, int]:
    """Each product's variants (one box, then two boxes) by id, with their stock now."""
    with app.app_context():
        return {
            variant.id: variant.stock
            for product in products
            for variant in db.session.scalars(
                select(Variant)
                .where(Variant.product_id == product.id)
                .order_by(Variant.position, Variant.id)
            )
        }


def counts(app) -> tuple[int, int, int, int]:
    """Orders, payments, messages and carts in the whole database."""
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Order, Payment, Message, Cart)
        )


def ship(client, number: str) -> None:
    """Mark an order shipped on the seller's order page, as the trainee would."""
    response = client.post(
        f"/sell/orders/{number}/ship",
        data={"csrf_token": form_token(client), "carrier": "顺丰", "tracking_number": "SF1001"},
    )
    assert response.status_code == 302


# --- Scenarios --------------------------------------------------------------------------------


def test_a_normal_customer_places_and_pays_a_practice_order(
    app, trainee_client, shop, pears, walnuts
):
    before = stocks(app, pears, walnuts)
    page = send(trainee_client, "normal")

    (order,) = practice_orders(app, shop)
    assert order.is_practice is True
    assert order.status == "paid" and order.paid_at is not None
    assert order.payment.gateway == "sandbox" and order.payment.status == "succeeded"
    assert order.payment.amount_fen == order.total_fen
    assert order.shipping_fen == 800
    assert CHINESE_NAME.match(order.contact_name)
    assert MAINLAND_MOBILE.match(order.phone)
    assert order.province in PROVINCES and ships_to(shop, order.province)
    assert order.city and order.district and order.street and order.postal_code
    assert order.email == "" and order.buyer_id is None
    after = stocks(app, pears, walnuts)
    listed = (3990, 7980, 4500, 9000)  # pears one box, two boxes; walnuts one box, two boxes
    prices = {before_id: price for before_id, price in zip(before, listed, strict=True)}
    assert 1 <= len(order.lines) <= 2
    for line in order.lines:
        assert line.unit_price_fen == prices[line.variant_id]
        assert after[line.variant_id] == before[line.variant_id] - line.quantity
    untouched = set(before) - {line.variant_id for line in order.lines}
    assert all(after[variant] == before[variant] for variant in untouched)
    html = page.get_data(as_text=True)
    assert f"{order.contact_name} placed and paid practice order {order.number}" in html
    assert f'href="/sell/orders/{order.number}"' in html
    # The practice cart is not left behind once it became an order.
    assert counts(app)[3] == 0
    # Only the trainee hears of it: the made-up customer has no email to write to.
    with app.app_context():
        notices = db.session.execute(select(OutboxMessage.to_email, OutboxMessage.kind)).all()
    assert notices and {to for to, _ in notices} == {"trainee@example.test"}


def test_a_paid_practice_order_ticks_the_first_order_lesson(
    app, trainee_client, trainee, shop, pears
):
    assert lessons.FIRST_ORDER not in lessons_of(app, trainee)
    send(trainee_client, "normal")
    assert lessons.FIRST_ORDER in lessons_of(app, trainee)


def lessons_of(app, user) -> list[str]:
    """The lessons a trainee has ticked."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(LessonCompletion.lesson).where(LessonCompletion.user_id == user.id)
            )
        )


def test_answering_a_practice_customers_question_ticks_the_lesson(
    app, trainee_client, trainee, shop, pears
):
    send(trainee_client, "question")
    (order,) = practice_orders(app, shop)

    trainee_client.post(
        f"/sell/inbox/{order.number}/reply",
        data={"csrf_token": form_token(trainee_client), "reply-body": "今天下午就发顺丰。"},
    )

    thread, messages = messages_of(app, order.number)
    assert thread.awaiting_seller is False and len(messages) == 2
    assert lessons.ANSWERED_QUESTION in lessons_of(app, trainee)


def test_the_customers_new_address_can_be_applied_from_the_inbox(app, trainee_client, shop, pears):
    send(trainee_client, "address_change")
    (order,) = practice_orders(app, shop)
    _, (request,) = messages_of(app, order.number)

    trainee_client.post(
        f"/sell/inbox/{order.number}/requests/{request.id}/apply",
        data={"csrf_token": form_token(trainee_client)},
    )

    (changed,) = practice_orders(app, shop)
    assert {name: getattr(changed, name) for name in request.data} == request.data


def _refund(client, number: str, expected_fen: int = 0, **choice):
    """The seller confirms a refund on the order page (the confirmation step's second post)."""
    return client.post(
        f"/sell/orders/{number}/refund?lang=en",
        data={
            "csrf_token": form_token(client),
            "refund-confirm": "1",
            "refund-expected": str(expected_fen),
            **choice,
        },
    )


def test_refunding_part_of_a_broken_parcel_ticks_the_lesson(
    app, trainee_client, trainee, shop, pears
):
    send(trainee_client, "normal")
    (order,) = practice_orders(app, shop)
    ship(trainee_client, order.number)
    send(trainee_client, "refund_request")
    _, (request,) = messages_of(app, order.number)
    assert "包装破了，少了一些" in request.body

    _refund(
        trainee_client,
        order.number,
        **{"refund-reason": "抱歉，少的部分已退款。", "refund-amount": "5"},
    )

    (refunded,) = practice_orders(app, shop)
    assert (refunded.status, refunded.refunded_fen) == ("shipped", 500)
    assert lessons.REFUND_REQUEST in lessons_of(app, trainee)
    _, (request,) = messages_of(app, order.number)
    assert request.request_state == "done"


def test_a_whole_refund_or_a_decline_is_not_the_partial_refund_lesson(
    app, trainee_client, trainee, shop, pears
):
    send(trainee_client, "normal")
    send(trainee_client, "normal")
    first, second = practice_orders(app, shop)
    for order in (first, second):
        ship(trainee_client, order.number)
    send(trainee_client, "refund_request")
    send(trainee_client, "refund_request")
    _, (asked,) = messages_of(app, first.number)
    trainee_client.post(
        f"/sell/inbox/{first.number}/requests/{asked.id}/decline",
        data={
            f"decline{asked.id}-body": "请先拍照给我们看看。",
            "csrf_token": form_token(trainee_client),
        },
    )
    _refund(trainee_client, second.number, **{"refund-reason": "全额退款"})

    assert [order.status for order in practice_orders(app, shop)] == ["shipped", "refunded"]
    assert lessons.REFUND_REQUEST not in lessons_of(app, trainee)


def test_the_customer_says_how_many_are_missing_when_they_bought_several(
    app, trainee_client, shop, pears
):
    send(trainee_client, "normal")
    (order,) = practice_orders(app, shop)
    with app.app_context():
        line = db.session.scalar(select(Order).where(Order.id == order.id)).lines[0]
        line.quantity, title = 3, line.title_zh
        db.session.commit()
    ship(trainee_client, order.number)
    send(trainee_client, "refund_request")
    _, (request,) = messages_of(app, order.number)
    assert request.body.startswith(f"{title}的包装破了，少了一些：少了1")


def test_the_flash_and_page_speak_chinese_too(app, trainee_client, shop, pears):
    page = send(trainee_client, "normal", lang="zh")
    (order,) = practice_orders(app, shop)
    html = page.get_data(as_text=True)
    assert f"{order.contact_name}下单并付款了练习订单 {order.number}" in html
    assert "普通订单" in html


def test_a_practice_order_is_marked_practice_and_never_shown_as_a_real_sale(
    app, trainee_client, shop, pears, make_user, make_shop, login_as
):
    send(trainee_client, "normal")
    (order,) = practice_orders(app, shop)

    own_list = trainee_client.get("/sell/orders?lang=en").get_data(as_text=True)
    row = own_list[own_list.index(order.number) :]
    assert row.index("Practice") < row.index("</tr>")
    exhibitor = make_user("exhibitor")
    make_shop(owner=exhibitor)
    exhibitor_client = login_as(exhibitor)
    for path in ("/sell/orders", "/sell/orders/export.csv"):
        response = exhibitor_client.get(path)
        assert order.number not in response.get_data(as_text=True), path
    assert exhibitor_client.get(f"/sell/orders/{order.number}").status_code == 404
    visitor = app.test_client()
    for path in ("/", "/search?q=酥梨", "/api/v1/products"):
        html = visitor.get(path).get_data(as_text=True)
        assert order.number not in html and f"/products/{pears.id}-" not in html, path
    assert visitor.get(f"/shops/{shop.slug}").status_code == 404
    assert visitor.get(f"/products/{pears.id}-{pears.slug}").status_code == 404


def test_a_customer_question_waits_in_the_shops_inbox(app, trainee_client, shop, pears):
    page = send(trainee_client, "question")

    (order,) = practice_orders(app, shop)
    assert order.status == "paid"
    thread, (message,) = messages_of(app, order.number)
    assert thread.awaiting_seller is True and thread.seller_unread == 1
    assert (message.author, message.kind) == ("buyer", "question")
    assert message.body in customers.QUESTIONS
    assert "asked a question: it waits in the shop&#39;s inbox" in page.get_data(as_text=True)
    assert f'href="/sell/inbox/{order.number}"' in page.get_data(as_text=True)


def test_an_address_change_is_asked_on_the_latest_paid_order(app, trainee_client, shop, pears):
    send(trainee_client, "normal")
    send(trainee_client, "normal")
    first, latest = practice_orders(app, shop)

    page = send(trainee_client, "address_change")

    assert len(practice_orders(app, shop)) == 2  # asked on an order, not a new one
    assert messages_of(app, first.number) == (None, [])
    thread, (message,) = messages_of(app, latest.number)
    assert (message.kind, message.request_state) == ("address_change", "open")
    assert thread.awaiting_seller is True
    new = message.data
    assert set(new) == {
        "contact_name",
        "phone",
        "province",
        "city",
        "district",
        "street",
        "postal_code",
    }
    assert (new["contact_name"], new["phone"]) == (latest.contact_name, latest.phone)
    assert new["province"] in PROVINCES and ships_to(shop, new["province"])
    assert (new["province"], new["city"], new["district"], new["street"]) != (
        latest.province,
        latest.city,
        latest.district,
        latest.street,
    )
    assert message.body.startswith("不好意思，地址写错了，请改成")
    assert new["street"] in message.body
    assert f"asked to change the address of order {latest.number}" in page.get_data(as_text=True)


def test_an_address_change_never_goes_to_a_shipped_order(app, trainee_client, shop, pears):
    send(trainee_client, "normal")
    (shipped,) = practice_orders(app, shop)
    ship(trainee_client, shipped.number)

    send(trainee_client, "address_change")

    shipped_now, fresh = practice_orders(app, shop)
    assert shipped_now.status == "shipped" and messages_of(app, shipped.number) == (None, [])
    assert fresh.status == "paid"
    _, (message,) = messages_of(app, fresh.number)
    assert message.kind == "address_change"


def test_a_refund_request_comes_only_after_shipping(app, trainee_client, shop, pears):
    send(trainee_client, "normal")
    (order,) = practice_orders(app, shop)
    before = counts(app)

    refused = send(trainee_client, "refund_request").get_data(as_text=True)

    assert "ship an order first" in refused
    assert counts(app) == before

    ship(trainee_client, order.number)
    page = send(trainee_client, "refund_request")

    assert len(practice_orders(app, shop)) == 1
    thread, (message,) = messages_of(app, order.number)
    assert (message.kind, message.request_state, message.author) == (
        "refund_request",
        "open",
        "buyer",
    )
    assert "小王家酥梨的包装破了，少了一些" in message.body and "退" in message.body
    assert thread.awaiting_seller is True
    assert f"asked for a refund of order {order.number}" in page.get_data(as_text=True)


def test_an_over_stock_customer_buys_what_is_left_and_asks_about_restocking(
    app, trainee_client, shop, make_product
):
    plenty = make_product(shop=shop, title_zh="洛川苹果", stock=40)
    few = make_product(shop=shop, title_zh="砀山酥梨", stock=3)

    page = send(trainee_client, "over_stock").get_data(as_text=True)

    (order,) = practice_orders(app, shop)
    (line,) = order.lines
    assert order.status == "paid"
    assert (line.title_zh, line.quantity) == ("砀山酥梨", 3)
    # Both sizes of the pears have 3; the customer emptied the one they bought, not the other.
    left = stocks(app, few)
    assert left.pop(line.variant_id) == 0 and list(left.values()) == [3]
    assert list(stocks(app, plenty).values()) == [40, 40]
    _, (message,) = messages_of(app, order.number)
    wanted = int(re.search(r"我想要(\d+)箱", message.body).group(1))
    assert 4 <= wanted <= 8
    assert "只有3箱了吗？什么时候补货？" in message.body
    assert message.kind == "question"
    assert f"They wanted {wanted} but only 3 were left" in page


def test_an_over_stock_customer_finds_a_sold_out_shop_and_buys_nothing(
    app, trainee_client, shop, make_product
):
    product = make_product(shop=shop, stock=2)
    # Each over-stock customer empties one size; the product has two.
    send(trainee_client, "over_stock")
    send(trainee_client, "over_stock")
    before = counts(app)

    page = send(trainee_client, "over_stock").get_data(as_text=True)

    assert "everything in your shop is sold out" in page
    assert counts(app) == before
    assert list(stocks(app, product).values()) == [0, 0]


@pytest.mark.parametrize("scenario", ["normal", "question", "address_change", "over_stock"])
def test_a_shop_with_nothing_published_gets_no_customer(
    app, trainee_client, shop, make_product, scenario
):
    make_product(shop=shop, status="draft")

    page = send(trainee_client, scenario).get_data(as_text=True)

    assert "publish a product with stock first" in page
    assert counts(app) == (0, 0, 0, 0)


def test_a_sold_out_shop_is_told_to_add_stock(app, trainee_client, shop, make_product):
    make_product(shop=shop, stock=0)

    page = send(trainee_client, "normal").get_data(as_text=True)

    assert "Add stock to a published product" in page
    assert counts(app) == (0, 0, 0, 0)


def test_customers_live_only_where_the_shop_ships(
    app, trainee_client, make_shop, make_product, trainee
):
    shop = make_shop(owner=trainee, kind="practice", no_shipping_regions="河北,陕西省,浙江、安徽")
    make_product(shop=shop, stock=50)
    for _ in range(3):
        send(trainee_client, "normal")
    assert {order.province for order in practice_orders(app, shop)} == {"四川省"}


def test_a_shop_that_ships_to_none_of_the_regions_is_told_why(
    app, trainee_client, make_shop, make_product, trainee
):
    shop = make_shop(owner=trainee, kind="practice", no_shipping_regions="河北 陕西 浙江 安徽 四川")
    make_product(shop=shop)

    page = send(trainee_client, "normal").get_data(as_text=True)

    assert "does not ship to any of the programme" in page
    assert counts(app) == (0, 0, 0, 0)


# --- Who may send customers -------------------------------------------------------------------


def test_a_trainee_sends_customers_only_to_their_own_shop(
    app, shop, pears, make_user, make_shop, make_product, login_as, trainee
):
    other = make_user("trainee")
    other_shop = make_shop(owner=other, kind="practice")
    make_product(shop=other_shop)
    other_client = login_as(other)

    send(other_client, "normal")
    refused = other_client.post(
        f"/train/customers/for/{trainee.id}",
        data={"csrf_token": form_token(other_client), "scenario": "normal"},
    )

    assert refused.status_code == 404
    assert other_client.get(f"/train/customers/for/{trainee.id}").status_code == 404
    assert practice_orders(app, shop) == []
    assert len(practice_orders(app, other_shop)) == 1


def _cohort_with(app, trainer, member, region_id: int) -> None:
    with app.app_context():
        cohort = Cohort(
            name="灵寿 2026 春季班",
            region_id=region_id,
            starts_on=date(2026, 5, 1),
            ends_on=date(2026, 6, 30),
            trainer_id=trainer.id,
            join_code=f"JOIN{trainer.id}",
        )
        cohort.members.append(CohortMember(user_id=member.id))
        db.session.add(cohort)
        db.session.commit()


def test_a_trainer_of_another_cohort_gets_404(app, shop, pears, make_user, login_as, trainee):
    trainer = make_user("trainer")
    _cohort_with(app, trainer, make_user("trainee"), shop.region_id)
    client = login_as(trainer)

    assert client.get(f"/train/customers/for/{trainee.id}").status_code == 404
    response = client.post(
        f"/train/customers/for/{trainee.id}",
        data={"csrf_token": form_token(client), "scenario": "normal"},
    )
    assert response.status_code == 404
    assert practice_orders(app, shop) == []


@pytest.mark.parametrize("role", ["trainer", "organizer"])
def test_the_trainees_trainer_or_an_organizer_sends_customers(
    app, shop, pears, make_user, login_as, trainee, role
):
    person = make_user(role)
    if role == "trainer":
        _cohort_with(app, person, trainee, shop.region_id)
    client = login_as(person)
    url = f"/train/customers/for/{trainee.id}"

    page = send(client, "question", url=url).get_data(as_text=True)

    (order,) = practice_orders(app, shop)
    assert order.status == "paid" and order.is_practice
    assert f"practice shop of {trainee.display_name}" in page
    assert order.number in page
    # The trainer reads the trainee's orders here; the seller's order pages are the trainee's.
    assert f'href="/sell/orders/{order.number}"' not in page


def test_an_exhibitors_real_shop_never_gets_customers(
    app, make_user, make_shop, make_product, login_as
):
    exhibitor = make_user("exhibitor")
    real_shop = make_shop(owner=exhibitor)
    make_product(shop=real_shop)
    own = login_as(exhibitor)
    assert own.get("/train/customers").status_code == 403
    assert (
        own.post(
            "/train/customers", data={"csrf_token": form_token(own), "scenario": "normal"}
        ).status_code
        == 403
    )
    organizer = login_as(make_user("organizer"))
    url = f"/train/customers/for/{exhibitor.id}"
    assert organizer.get(url).status_code == 404
    response = organizer.post(url, data={"csrf_token": form_token(organizer), "scenario": "normal"})
    assert response.status_code == 404
    assert counts(app) == (0, 0, 0, 0)
    with app.app_context(), pytest.raises(ValueError):
        customers.send_customer(db.session.get(type(real_shop), real_shop.id), "normal")


def test_a_trainee_without_a_shop_is_sent_to_open_one(app, make_user, login_as):
    trainee = make_user("trainee")
    client = login_as(trainee)

    html = client.get("/train/customers?lang=en").get_data(as_text=True)

    assert "open it first" in html and 'href="/sell/shop"' in html
    response = client.post(
        "/train/customers", data={"csrf_token": form_token(client), "scenario": "normal"}
    )
    assert response.status_code == 303
    assert counts(app) == (0, 0, 0, 0)


def test_a_visitor_is_sent_to_log_in(client):
    assert client.get("/train/customers").status_code == 302
    assert "/login" in client.get("/train/customers").headers["Location"]


def test_an_unknown_scenario_is_refused(app, trainee_client, pears):
    response = trainee_client.post(
        "/train/customers",
        data={"csrf_token": form_token(trainee_client), "scenario": "everything"},
    )
    assert response.status_code == 400
    assert counts(app) == (0, 0, 0, 0)


def test_a_stuck_button_is_slowed_down(app, trainee_client, shop, make_product):
    app.config["PRACTICE_CUSTOMERS_LIMIT"] = "3 per minute"
    make_product(shop=shop, stock=0)
    data = {"csrf_token": form_token(trainee_client), "scenario": "normal"}

    answers = [trainee_client.post("/train/customers", data=data).status_code for _ in range(4)]

    assert answers == [303, 303, 303, 429]


# --- Who the customers are --------------------------------------------------------------------


def test_the_same_seed_makes_the_same_customer(app, make_shop):
    shop = make_shop(kind="practice")
    with app.app_context():
        first = customers.new_customer(shop, random.Random(7))
        again = customers.new_customer(shop, random.Random(7))
    assert first == again


def test_customers_have_realistic_names_numbers_and_addresses(app, make_shop):
    shop = make_shop(kind="practice")
    rng = random.Random(1)
    with app.app_context():
        people = [customers.new_customer(shop, rng) for _ in range(200)]
    assert all(CHINESE_NAME.match(person.name) for person in people)
    assert all(MAINLAND_MOBILE.match(person.phone) for person in people)
    assert all(person.phone[3:7] == "0000" for person in people)  # visibly made up
    assert {person.place.province for person in people} == PROVINCES
    assert all(re.search(r"\d+号", person.street) for person in people)
    assert len({person.name for person in people}) > 50


# --- The pages ------------------------------------------------------------------------------


def test_the_pages_are_valid_html(app, tmp_path, trainee_client, shop, pears, make_user, login_as):
    send(trainee_client, "question")
    without_shop = login_as(make_user("trainee"))
    pages = {}
    for language in ("zh", "en"):
        pages[f"customers-{language}"] = trainee_client.get(f"/train/customers?lang={language}")
        pages[f"no-shop-{language}"] = without_shop.get(f"/train/customers?lang={language}")
    for name, response in pages.items():
        assert response.status_code == 200, name
    assert html_errors(tmp_path, {name: response.data for name, response in pages.items()}) == []
