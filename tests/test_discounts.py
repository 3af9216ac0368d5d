"""Limited-time discounts: the price inside the window only, on pages, in the cart and at checkout;
the cap; the seller's pages under /sell/discounts."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from products.models import Discount, Variant
from products.services import discount_price_fen, reserve_discount_units
from shop import signals
from shop.extensions import db
from shop.orders import services as orders
from shop.orders.models import Order
from shop.payments.models import Payment
from tests.forms import submit
from tests.shopping import (
    add_to_cart,
    buy,
    form_token,
    orders_of,
    payment_token,
    place_order,
    stock_of,
    variant_id,
)

BEIJING = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)
#: Windows relative to now: over, running, not yet started.
PAST = (-3 * HOUR, -HOUR)
CURRENT = (-HOUR, HOUR)
FUTURE = (HOUR, 3 * HOUR)


def _now() -> datetime:
    return datetime.now(UTC)


def _discount(
    app,
    product,
    window=CURRENT,
    kind="percent",
    percent_off=20,
    fixed_price_fen=None,
    cap=None,
    sold=0,
    variant_ids=None,
) -> int:
    """A discount on the product's variants (or the given ones), its window relative to now."""
    with app.app_context():
        ids = variant_ids or [
            row
            for row in db.session.scalars(
                select(Variant.id).where(Variant.product_id == product.id)
            )
        ]
        now = _now()
        discount = Discount(
            shop_id=product.shop_id,
            name_zh="直播秒杀",
            name_en="Live sale",
            kind=kind,
            percent_off=percent_off if kind == "percent" else None,
            fixed_price_fen=fixed_price_fen if kind == "fixed_price" else None,
            starts_at=now + window[0],
            ends_at=now + window[1],
            quantity_cap=cap,
            quantity_sold=sold,
            variants=list(db.session.scalars(select(Variant).where(Variant.id.in_(ids)))),
        )
        db.session.add(discount)
        db.session.commit()
        return discount.id


def _read(app, discount_id: int) -> Discount:
    with app.app_context():
        discount = db.session.get(Discount, discount_id)
        db.session.expunge(discount)
        return discount


def _page(client, product, lang="en") -> str:
    response = client.get(f"/products/{product.id}-{product.slug}?lang={lang}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _chosen_price(html: str) -> str:
    return re.search(r'id="chosen-price">([^<]+)<', html).group(1)


def _local(delta: timedelta) -> str:
    """A datetime-local value in Beijing time, `delta` from now."""
    return (_now() + delta).astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def seller(make_user):
    return make_user("exhibitor")


@pytest.fixture
def seller_shop(make_shop, seller):
    return make_shop(owner=seller)


@pytest.fixture
def seller_client(login_as, seller):
    return login_as(seller)


def _end(client, discount_id: int):
    """Press the discount's End / Call off button on the seller's list."""
    return submit(client, "/sell/discounts?lang=en", f"/sell/discounts/{discount_id}/end")


def _end_without_button(client, discount_id: int):
    """Post to a discount's end address that the list shows no button for (ended, or not ours)."""
    return client.post(
        f"/sell/discounts/{discount_id}/end?lang=en", data={"csrf_token": form_token(client)}
    )


# --- Pricing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regular", "percent", "expected"),
    [
        (3990, 20, 3192),  # exact
        (3990, 15, 3392),  # 3391.5 rounds half up
        (999, 33, 669),  # 669.33 rounds down
        (105, 50, 53),  # 52.5 rounds half up
        (1, 99, 1),  # never below one fen
    ],
)
def test_a_percentage_off_is_rounded_to_the_nearest_fen_in_whole_numbers(
    regular, percent, expected
):
    price = discount_price_fen(regular, "percent", percent, None)
    assert price == expected
    assert isinstance(price, int)


def test_a_fixed_price_never_exceeds_the_regular_price():
    assert discount_price_fen(3990, "fixed_price", None, 2990) == 2990
    # The seller lowered the regular price below the discount price later: the lower one wins.
    assert discount_price_fen(2500, "fixed_price", None, 2990) == 2500


# --- Product page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "discounted"), [(PAST, False), (CURRENT, True), (FUTURE, False)]
)
def test_the_product_page_shows_the_discount_only_inside_its_window(
    app, client, make_product, window, discounted
):
    product = make_product(price_fen=4000)
    _discount(app, product, window, percent_off=25)
    html = _page(client, product)
    if discounted:
        assert _chosen_price(html) == "¥30.00"
        assert "Live sale" in html
        assert "Regular price <s>¥40.00</s>" in html
        assert "js/countdown.js" in html
    else:
        assert _chosen_price(html) == "¥40.00"
        assert "Live sale" not in html and "<s>" not in html
        assert "js/countdown.js" not in html


def test_the_product_page_shows_the_end_time_for_the_countdown_and_units_left(
    app, client, make_product
):
    product = make_product(price_fen=4000)
    discount_id = _discount(app, product, kind="fixed_price", fixed_price_fen=2990, cap=10, sold=3)
    ends_at = _read(app, discount_id).ends_at.replace(tzinfo=UTC)
    html = _page(client, product)
    assert _chosen_price(html) == "¥29.90"
    stamp = ends_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    local = ends_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    assert f'<time datetime="{stamp}">{local}</time>' in html
    assert "data-countdown" in html and "Ends in {time}" in html
    assert "7 left at this price" in html
    assert "直播秒杀" in _page(client, product, lang="zh")


def test_cards_mark_a_product_on_discount(app, client, make_product, make_shop, make_region):
    region = make_region(slug="orchard-valley")
    shop = make_shop(region=region)
    on_sale = make_product(shop=shop, price_fen=5000, title_en="Pears on sale")
    make_product(shop=shop, price_fen=5000, title_en="Plain millet")
    _discount(app, on_sale, percent_off=10)
    html = client.get("/regions/orchard-valley?lang=en").get_data(as_text=True)
    cards = {
        re.search(r"<h3>([^<]+)</h3>", card).group(1): card
        for card in html.split('<article class="card">')[1:]
    }
    assert "¥45.00" in cards["Pears on sale"] and "Live sale" in cards["Pears on sale"]
    assert "¥50.00" in cards["Plain millet"] and "discount-mark" not in cards["Plain millet"]


def test_the_api_reports_the_discount_price(app, client, make_product):
    product = make_product(price_fen=4000)
    _discount(app, product, percent_off=50)
    data = client.get(f"/api/v1/products/{product.id}").get_json()
    assert data["price_fen"] == 2000
    # Half off both sizes: one box ¥40 -> ¥20, two boxes ¥80 -> ¥40.
    assert [variant["price_fen"] for variant in data["variants"]] == [2000, 4000]


def test_a_cached_page_changes_when_a_discount_starts_and_ends_by_the_clock(
    app, client, make_product, clock
):
    product = make_product(price_fen=4000)
    # Made before the first view: from then on nothing is written, only the clock moves.
    _discount(app, product, (timedelta(hours=1), timedelta(hours=2)), percent_off=50)
    assert _chosen_price(_page(client, product)) == "¥40.00"
    assert _chosen_price(_page(client, product)) == "¥40.00"  # served from the cache
    clock.advance(timedelta(hours=1, seconds=1))
    assert _chosen_price(_page(client, product)) == "¥20.00"
    clock.advance(timedelta(hours=1))
    assert _chosen_price(_page(client, product)) == "¥40.00"


def test_ending_a_discount_early_shows_the_regular_price_on_the_cached_page(
    app, client, make_product, seller_shop, seller_client
):
    product = make_product(shop=seller_shop, price_fen=4000)
    discount_id = _discount(app, product, percent_off=50)
    assert _chosen_price(_page(client, product)) == "¥20.00"
    assert _end(seller_client, discount_id).status_code == 302
    assert _read(app, discount_id).cancelled_at is not None
    assert _chosen_price(_page(client, product)) == "¥40.00"


# --- Cart and checkout ----------------------------------------------------------------------


@pytest.mark.parametrize(("window", "unit_price"), [(PAST, 4000), (CURRENT, 3000), (FUTURE, 4000)])
def test_the_cart_and_the_order_use_the_discount_price_only_inside_the_window(
    app, client, make_product, window, unit_price
):
    product = make_product(price_fen=4000)
    discount_id = _discount(app, product, window, percent_off=25)
    add_to_cart(client, variant_id(app, product), 2)
    cart = client.get("/cart?lang=en").get_data(as_text=True)
    assert f"¥{unit_price * 2 // 100}.00" in cart
    assert ("<s>¥40.00</s>" in cart) == (unit_price == 3000)
    response = place_order(client)
    assert response.status_code == 303
    (order,) = orders_of(app, payment_token(response))
    (line,) = order.lines
    assert (line.unit_price_fen, line.quantity) == (unit_price, 2)
    assert line.discount_id == (discount_id if unit_price == 3000 else None)
    assert _read(app, discount_id).quantity_sold == (2 if unit_price == 3000 else 0)
    # The buyer's order page says which price was the limited-time one.
    order_page = client.get(f"/orders/{order.number}?lang=en").get_data(as_text=True)
    assert ("Limited-time price" in order_page) == (unit_price == 3000)


def test_checkout_within_the_cap_counts_the_units(app, client, make_product):
    product = make_product(price_fen=4000)
    discount_id = _discount(app, product, percent_off=25, cap=3)
    add_to_cart(client, variant_id(app, product), 3)
    (order,) = orders_of(app, payment_token(place_order(client)))
    assert order.lines[0].unit_price_fen == 3000
    assert _read(app, discount_id).quantity_sold == 3
    # The cap is used up: the page is back at the regular price.
    assert _chosen_price(_page(app.test_client(), product)) == "¥40.00"


def test_a_line_larger_than_what_is_left_under_the_cap_is_at_the_regular_price(
    app, client, make_product
):
    product = make_product(price_fen=4000)
    discount_id = _discount(app, product, percent_off=25, cap=5, sold=3)
    variant = variant_id(app, product)
    add_to_cart(client, variant, 3)
    cart = client.get("/cart?lang=en").get_data(as_text=True)
    assert "Only 2 left at the discount price" in cart
    assert "¥120.00" in cart  # 3 × ¥40.00
    (order,) = orders_of(app, payment_token(place_order(client)))
    line = order.lines[0]
    assert (line.unit_price_fen, line.discount_id) == (4000, None)
    assert _read(app, discount_id).quantity_sold == 3


def test_lowering_the_quantity_to_what_is_left_gets_the_discount(app, client, make_product):
    product = make_product(price_fen=4000)
    _discount(app, product, percent_off=25, cap=5, sold=3)
    add_to_cart(client, variant_id(app, product), 3)
    cart = client.get("/cart?lang=en").get_data(as_text=True)
    line_id = re.search(r"/cart/lines/(\d+)", cart)
    submit(client, "/cart?lang=en", f"/cart/lines/{line_id.group(1)}", {"quantity": 2})
    cart = client.get("/cart?lang=en").get_data(as_text=True)
    assert "left at the discount price" not in cart
    assert "¥60.00" in cart and "Price changed" not in cart


def test_two_lines_of_one_discount_share_its_cap(app, client, make_product, make_shop):
    shop = make_shop()
    first = make_product(shop=shop, price_fen=4000)
    second = make_product(shop=shop, price_fen=4000)
    with app.app_context():
        ids = [variant_id(app, first), variant_id(app, second)]
    discount_id = _discount(app, first, percent_off=25, cap=4, variant_ids=ids)
    add_to_cart(client, ids[0], 3)
    add_to_cart(client, ids[1], 3)
    cart = client.get("/cart?lang=en").get_data(as_text=True)
    assert "Only 1 left at the discount price" in cart
    (order,) = orders_of(app, payment_token(place_order(client)))
    prices = sorted((line.unit_price_fen, line.discount_id) for line in order.lines)
    assert prices == [(3000, discount_id), (4000, None)]
    assert _read(app, discount_id).quantity_sold == 3


def test_the_cap_is_never_exceeded_when_another_buyer_takes_the_units_first(
    app, client, make_product
):
    product = make_product(price_fen=4000, stock=10)
    variant = variant_id(app, product)
    discount_id = _discount(app, product, percent_off=25, cap=3)
    add_to_cart(client, variant, 2)
    page = client.get("/checkout?lang=en")
    # Meanwhile another buyer's checkout took two of the three units.
    with app.app_context():
        db.session.execute(update(Discount).values(quantity_sold=2))
        db.session.commit()
    response = place_order(client, page)
    assert response.status_code == 200
    assert "Prices, stock or shipping changed" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 0
    assert _read(app, discount_id).quantity_sold == 2
    assert stock_of(app, variant) == 10
    # The buyer now sees and pays the regular price; the cap stays where it was.
    (order,) = orders_of(app, payment_token(place_order(client)))
    assert order.lines[0].unit_price_fen == 4000
    assert _read(app, discount_id).quantity_sold == 2


def test_reserving_refuses_units_beyond_the_cap_or_outside_the_window(app, make_product):
    product = make_product()
    capped = _discount(app, product, cap=3, sold=2)
    later = _discount(app, make_product(), FUTURE)
    with app.app_context():
        now = _now()
        assert reserve_discount_units(capped, 2, now) is False
        assert reserve_discount_units(later, 1, now) is False
        assert reserve_discount_units(capped, 1, now) is True
        db.session.commit()
    assert _read(app, capped).quantity_sold == 3


def test_a_discount_ending_after_add_to_cart_shows_a_price_change_and_charges_the_new_price(
    app, client, make_product
):
    product = make_product(price_fen=4000)
    discount_id = _discount(app, product, percent_off=25)
    add_to_cart(client, variant_id(app, product), 1)
    # The window closes while the buyer is away.
    with app.app_context():
        db.session.execute(
            update(Discount)
            .where(Discount.id == discount_id)
            .values(ends_at=_now() - timedelta(seconds=1))
        )
        db.session.commit()
    html = client.get("/checkout?lang=en").get_data(as_text=True)
    assert "Price changed from ¥30.00 to ¥40.00" in html
    assert "Place order and pay ¥40.00" in html
    response = place_order(client)
    (order,) = orders_of(app, payment_token(response))
    assert (order.lines[0].unit_price_fen, order.lines[0].discount_id) == (4000, None)
    with app.app_context():
        assert db.session.scalar(select(Payment.amount_fen)) == 4000


def test_a_discount_ending_during_checkout_is_a_price_change_not_a_silent_charge(
    app, client, make_product, seller_shop, seller_client
):
    product = make_product(shop=seller_shop, price_fen=4000)
    discount_id = _discount(app, product, percent_off=25)
    add_to_cart(client, variant_id(app, product), 1)
    page = client.get("/checkout?lang=en")
    _end(seller_client, discount_id)
    response = place_order(client, page)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Prices, stock or shipping changed" in html
    assert "Place order and pay ¥40.00" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 0


def test_a_cancelled_unpaid_order_gives_its_units_back_to_the_cap(app, client, make_product):
    product = make_product(price_fen=4000)
    discount_id = _discount(app, product, percent_off=25, cap=5)
    add_to_cart(client, variant_id(app, product), 2)
    token = payment_token(place_order(client))
    assert _read(app, discount_id).quantity_sold == 2
    submit(client, f"/checkout/done/{token}", f"/checkout/done/{token}/cancel")
    assert orders_of(app, token)[0].status == "cancelled"
    assert _read(app, discount_id).quantity_sold == 0


def test_an_expired_checkout_gives_its_units_back_to_the_cap(app, client, make_product):
    product = make_product(price_fen=4000)
    discount_id = _discount(app, product, percent_off=25, cap=5)
    add_to_cart(client, variant_id(app, product), 2)
    token = payment_token(place_order(client))
    with app.app_context():
        assert orders.expire_overdue(now=_now() + timedelta(hours=1)) == 1
        db.session.commit()
    assert orders_of(app, token)[0].status == "cancelled"
    assert _read(app, discount_id).quantity_sold == 0


def test_a_paid_order_cancelled_before_shipping_gives_its_units_back(
    app, make_product, seller_shop, seller_client
):
    product = make_product(shop=seller_shop, price_fen=4000)
    discount_id = _discount(app, product, percent_off=25, cap=5)
    token = buy(app.test_client(), variant_id(app, product), 2)
    (order,) = orders_of(app, token)
    assert order.status == "paid"
    assert _read(app, discount_id).quantity_sold == 2
    page, action = f"/sell/orders/{order.number}", f"/sell/orders/{order.number}/cancel"
    submit(seller_client, page, action, {"cancel-reason": "Frost hit the orchard"})
    assert orders_of(app, token)[0].status == "cancelled"
    assert _read(app, discount_id).quantity_sold == 0


# --- Seller pages ---------------------------------------------------------------------------


def _schedule_form(client, **changes):
    """Post the new-discount form as a seller fills it in (a running 20% discount by default)."""
    data = {
        "name_zh": "直播秒杀",
        "name_en": "Evening live sale",
        "kind": "percent",
        "percent_off": "20",
        "fixed_price": "",
        "starts_at": _local(-HOUR),
        "ends_at": _local(2 * HOUR),
        "quantity_cap": "",
    }
    data.update(changes)
    # The form posts to its address without ?lang=: the seller chose English once (a cookie).
    client.set_cookie("lang", "en")
    return submit(client, "/sell/discounts/new?lang=en", "/sell/discounts/new", data)


def _discounts_of(app, shop) -> list[Discount]:
    with app.app_context():
        found = db.session.scalars(
            select(Discount).where(Discount.shop_id == shop.id).order_by(Discount.id)
        ).all()
        for discount in found:
            db.session.expunge(discount)
        return list(found)


def test_a_seller_schedules_a_discount_in_beijing_time_and_the_signal_is_sent(
    app, client, make_product, seller_shop, seller_client
):
    product = make_product(shop=seller_shop, price_fen=4000)
    variant = variant_id(app, product)
    heard = []

    def checklist(shop, discount):
        heard.append((shop.id, discount.id, discount.name_en))

    signals.discount_scheduled.connect(checklist)
    try:
        starts = (_now() - HOUR).astimezone(BEIJING).replace(second=0, microsecond=0)
        response = _schedule_form(
            seller_client,
            variants=[str(variant)],
            starts_at=starts.strftime("%Y-%m-%dT%H:%M"),
            quantity_cap="30",
        )
    finally:
        signals.discount_scheduled.disconnect(checklist)
    assert response.status_code == 302
    (discount,) = _discounts_of(app, seller_shop)
    assert heard == [(seller_shop.id, discount.id, "Evening live sale")]
    assert (discount.kind, discount.percent_off, discount.quantity_cap) == ("percent", 20, 30)
    # Typed in Beijing time, stored in UTC.
    assert discount.starts_at.replace(tzinfo=UTC) == starts.astimezone(UTC)
    assert _chosen_price(_page(client, product)) == "¥32.00"
    listing = seller_client.get("/sell/discounts?lang=en").get_data(as_text=True)
    running = listing.split('id="discounts-running"')[1].split('id="discounts-scheduled"')[0]
    assert "Evening live sale" in running and "0 of 30" in running


def test_a_fixed_price_discount_from_the_form(app, make_product, seller_shop, seller_client):
    product = make_product(shop=seller_shop, price_fen=4000)
    response = _schedule_form(
        seller_client,
        variants=[str(variant_id(app, product))],
        kind="fixed_price",
        percent_off="",
        fixed_price="29.9",
    )
    assert response.status_code == 302
    (discount,) = _discounts_of(app, seller_shop)
    assert (discount.kind, discount.fixed_price_fen, discount.percent_off) == (
        "fixed_price",
        2990,
        None,
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_at": _local(-2 * HOUR)}, "The end must be after the start."),
        (
            {"starts_at": _local(-3 * HOUR), "ends_at": _local(-2 * HOUR)},
            "The end must be in the future.",
        ),
        ({"percent_off": "150"}, "Enter a percentage from 1 to 99."),
        ({"percent_off": ""}, "Enter a percentage from 1 to 99."),
        (
            {"kind": "fixed_price", "percent_off": "", "fixed_price": "40"},
            "The discount price must be below the regular price",
        ),
        ({"kind": "fixed_price", "percent_off": "", "fixed_price": "0"}, "more than 0"),
        ({"variants": []}, "Choose at least one variant."),
        ({"starts_at": "tomorrow"}, "Not a valid datetime value."),
        ({"quantity_cap": "0"}, "Enter a whole number of at least 1."),
    ],
)
def test_bad_input_is_explained_and_what_was_typed_is_kept(
    app, make_product, seller_shop, seller_client, changes, message
):
    product = make_product(shop=seller_shop, price_fen=4000)
    variant = str(variant_id(app, product))
    response = _schedule_form(seller_client, **{"variants": [variant], **changes})
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 422)
    assert message in html
    assert 'value="Evening live sale"' in html
    if changes.get("variants", [variant]):
        assert f'value="{variant}" checked' in html
    assert _discounts_of(app, seller_shop) == []


def test_overlapping_discounts_on_one_variant_are_refused(
    app, make_product, seller_shop, seller_client
):
    product = make_product(shop=seller_shop, price_fen=4000)
    variant = str(variant_id(app, product))
    _discount(app, product, (HOUR, 3 * HOUR))
    clash = _schedule_form(
        seller_client, variants=[variant], starts_at=_local(2 * HOUR), ends_at=_local(4 * HOUR)
    )
    assert clash.status_code == 422
    assert "A variant can have only one discount at a time" in clash.get_data(as_text=True)
    assert len(_discounts_of(app, seller_shop)) == 1
    # Right after it ends is fine (windows include their start, not their end).
    (existing,) = _discounts_of(app, seller_shop)
    after = existing.ends_at.replace(tzinfo=UTC).astimezone(BEIJING)
    after = (after + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    assert (
        _schedule_form(
            seller_client, variants=[variant], starts_at=after, ends_at=_local(6 * HOUR)
        ).status_code
        == 302
    )


def test_a_seller_cannot_discount_or_end_another_sellers_variants(
    app, make_product, make_shop, seller_shop, seller_client
):
    other = make_shop()
    theirs = make_product(shop=other, price_fen=4000)
    make_product(shop=seller_shop)
    response = _schedule_form(seller_client, variants=[str(variant_id(app, theirs))])
    assert response.status_code == 404
    assert _discounts_of(app, other) == [] and _discounts_of(app, seller_shop) == []
    their_discount = _discount(app, theirs)
    assert _end_without_button(seller_client, their_discount).status_code == 404
    assert _read(app, their_discount).cancelled_at is None


@pytest.mark.parametrize(("role", "status"), [("customer", 403), ("organizer", 403)])
def test_people_without_a_shop_role_are_refused(make_user, login_as, role, status):
    assert login_as(make_user(role)).get("/sell/discounts").status_code == status


def test_a_visitor_is_sent_to_log_in(client):
    assert "/login" in client.get("/sell/discounts").headers["Location"]


def test_a_trainee_schedules_a_discount_in_a_practice_shop(
    app, make_user, make_shop, make_product, login_as
):
    trainee = make_user("trainee")
    shop = make_shop(owner=trainee, kind="practice")
    product = make_product(shop=shop, price_fen=4000)
    response = _schedule_form(login_as(trainee), variants=[str(variant_id(app, product))])
    assert response.status_code == 302
    assert len(_discounts_of(app, shop)) == 1


def test_the_list_groups_scheduled_running_and_ended_with_units_sold(
    app, make_product, seller_shop, seller_client
):
    product = make_product(shop=seller_shop)
    _discount(app, product, PAST, cap=10, sold=4)
    _discount(app, product, CURRENT, percent_off=30)
    _discount(app, product, FUTURE, kind="fixed_price", fixed_price_fen=1990)
    html = seller_client.get("/sell/discounts?lang=en").get_data(as_text=True)
    running, rest = html.split('id="discounts-running"')[1].split('id="discounts-scheduled"')
    scheduled, ended = rest.split('id="discounts-ended"')
    assert "30% off" in running and "End Live sale now" in running
    assert "fixed price ¥19.90" in scheduled and "Call off Live sale" in scheduled
    assert "4 of 10" in ended and "<button" not in ended


def test_a_discount_cannot_be_ended_twice(app, make_product, seller_shop, seller_client):
    discount_id = _discount(app, make_product(shop=seller_shop), PAST)
    response = _end_without_button(seller_client, discount_id)  # a list opened before it ended
    assert response.status_code == 302
    page = seller_client.get("/sell/discounts?lang=en").get_data(as_text=True)
    assert "This discount has already ended." in page
    assert _read(app, discount_id).cancelled_at is None


# --- Query counts ---------------------------------------------------------------------------


def test_a_region_page_with_discounts_costs_the_same_queries_for_more_products(
    app, count_queries, make_region, make_shop, make_product
):
    app.config["FRAGMENT_CACHE_SIZE"] = 0  # the cold path every time
    region = make_region(slug="sale-hills")
    shop = make_shop(region=region)

    def grow(count: int) -> None:
        for _ in range(count):
            _discount(app, make_product(shop=shop), percent_off=10)

    def queries() -> tuple[int, str]:
        client = app.test_client()
        count = count_queries(client, "/regions/sale-hills?lang=en")
        return count, client.get("/regions/sale-hills?lang=en").get_data(as_text=True)

    grow(2)
    queries()  # the first view after a change also asks when the next discount starts or ends
    few, html = queries()
    assert html.count('class="discount-mark"') == 2
    grow(18)
    queries()
    many, html = queries()
    assert html.count('class="discount-mark"') == 20
    assert few == many <= 8


# --- 折: the percentage as Chinese sellers say it -------------------------------------------


def _schedule_in_chinese(client, **changes):
    """Post the Chinese form: the percentage is typed as 折."""
    data = {
        "name_zh": "直播秒杀",
        "name_en": "",
        "kind": "percent",
        "zhe": "8",
        "fixed_price": "",
        "starts_at": _local(-HOUR),
        "ends_at": _local(2 * HOUR),
        "quantity_cap": "",
    }
    data.update(changes)
    client.set_cookie("lang", "zh")
    url = "/sell/discounts/new?lang=zh"
    return submit(client, url, "/sell/discounts/new", data, follow_redirects=True)


def test_the_chinese_form_asks_for_zhe_and_the_english_one_for_percent_off(
    make_product, seller_shop, seller_client
):
    make_product(shop=seller_shop, price_fen=4000)
    chinese = seller_client.get("/sell/discounts/new?lang=zh").get_data(as_text=True)
    english = seller_client.get("/sell/discounts/new?lang=en").get_data(as_text=True)
    assert 'name="zhe"' in chinese and 'name="percent_off"' not in chinese
    assert "打几折" in chinese and "买家付原价的 80%" in chinese
    assert 'name="percent_off"' in english and 'name="zhe"' not in english
    assert "Percentage off (% off)" in english
    # Without the script both kinds' fields show; the script hides the one not chosen.
    for html in (chinese, english):
        assert 'name="fixed_price"' in html and " hidden" not in html
        assert 'data-price-fen="4000"' in html and "js/discount-form.js" in html


@pytest.mark.parametrize(
    ("typed", "percent_off"),
    [("8", 20), ("8.5", 15), ("9.9", 1), ("1", 90), ("8 折", 20), (" 7.5折", 25), ("6.0", 40)],
)
def test_zhe_becomes_the_percentage_off(
    app, make_product, seller_shop, seller_client, typed, percent_off
):
    product = make_product(shop=seller_shop, price_fen=4000)
    response = _schedule_in_chinese(
        seller_client, zhe=typed, variants=[str(variant_id(app, product))]
    )
    assert response.status_code == 200
    (discount,) = _discounts_of(app, seller_shop)
    assert (discount.kind, discount.percent_off) == ("percent", percent_off)


def test_after_scheduling_the_message_shows_the_resulting_prices_in_the_sellers_words(
    app, make_product, seller_shop, seller_client
):
    product = make_product(shop=seller_shop, price_fen=3990, title_zh="砀山酥梨")
    response = _schedule_in_chinese(
        seller_client, zhe="8.5", variants=[str(variant_id(app, product))]
    )
    html = response.get_data(as_text=True)
    # 8.5折 of ¥39.90 is ¥33.915, rounded half up to the fen.
    assert "（8.5折）已安排" in html and "砀山酥梨 · 一箱 ¥39.90 → ¥33.92" in html
    listing = seller_client.get("/sell/discounts?lang=zh").get_data(as_text=True)
    assert re.search(r"<td [^>]*>8\.5折</td>", listing)
    english = seller_client.get("/sell/discounts?lang=en").get_data(as_text=True)
    assert re.search(r"<td [^>]*>15% off</td>", english)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("85", "85折请填 8.5"),
        ("80", "80折请填 8："),
        ("", "请填写 1 到 9.9 折"),
        ("0.5", "请填写 1 到 9.9 折"),
        ("8.55", "请填写 1 到 9.9 折"),
        ("10.5", "请填写 1 到 9.9 折"),
        ("８", "请填写 1 到 9.9 折"),
        ("eight", "请填写 1 到 9.9 折"),
    ],
)
def test_zhe_out_of_range_is_explained_and_kept(
    app, make_product, seller_shop, seller_client, typed, message
):
    product = make_product(shop=seller_shop, price_fen=4000)
    response = _schedule_in_chinese(
        seller_client, zhe=typed, variants=[str(variant_id(app, product))]
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert f'value="{typed}"' in html or typed == ""
    assert _discounts_of(app, seller_shop) == []
