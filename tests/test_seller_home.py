"""The seller's home board at /sell/ (what waits, sales per kind, listings to fix), and where
each role lands after logging in."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from products.models import Product, ProductImage, Variant
from shop.extensions import db
from shop.models_base import utcnow
from shop.sellers import home
from tests.test_accounts import log_in


@pytest.fixture
def seller(make_user):
    return make_user("exhibitor")


@pytest.fixture
def shop(make_shop, seller):
    return make_shop(owner=seller)


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def tiles(page: str) -> dict[str, tuple[int, str]]:
    """{label: (count, link)} of the board's to-do tiles."""
    found = re.findall(
        r'<li class="todo-tile[^"]*"><a href="([^"]+)"><span class="todo-count">(\d+)</span> '
        r'<span class="todo-label">([^<]+)</span>',
        page,
    )
    return {label: (int(number), html.unescape(link)) for link, number, label in found}


def make_good(app, product):
    """Give a listing what scores it 100/100 with the builder's category and stock: three more
    wide photos, a long description, a title naming its region, a weight."""
    with app.app_context():
        region_name = db.session.get(Product, product.id).region.name_zh
        db.session.execute(
            update(Product)
            .where(Product.id == product.id)
            .values(
                title_zh=f"{region_name}高山苹果 五斤装",
                description_zh="脆甜多汁，" * 12,
            )
        )
        db.session.execute(
            update(Variant).where(Variant.product_id == product.id).values(weight_g=2600)
        )
        for position in range(3):
            db.session.add(
                ProductImage(
                    product_id=product.id,
                    key=f"good{product.id}-{position}",
                    width=1200,
                    height=900,
                    position=position,
                )
            )
        db.session.commit()


# --- What waits -------------------------------------------------------------------------------


def test_the_board_counts_what_waits_and_each_link_lists_exactly_that(
    app, login_as, seller, shop, make_product, make_order
):
    first = make_order(shop, paid_at=utcnow() - timedelta(hours=5))
    make_order(shop)
    make_order(shop, status="shipped", asks="refund")
    make_order(shop, status="delivered", asks="message")
    make_order(shop, status="pending_payment", paid_at=None)
    low = make_product(shop=shop, stock=3, title_zh="砀山梨 最后几箱")
    make_product(shop=shop, stock=0)
    make_product(shop=shop, stock=50)
    client = login_as(seller)

    page = _text(client.get("/sell/?lang=en"))
    board = tiles(page)
    assert board == {
        "Orders to ship": (2, "/sell/orders?status=paid"),
        "Messages waiting for your reply": (2, "/sell/inbox?show=waiting"),
        "Refund requests": (1, "/sell/orders?status=after_sale"),
        "Listings low on stock": (1, "/sell/products?stock=low"),
        "Listings sold out": (1, "/sell/products?stock=out"),
    }
    # The order waiting longest comes first, and each named thing links to its own page.
    to_ship = re.findall(r'href="/sell/orders/(VM-[^"]+)"', page)
    assert to_ship[0] == first.number
    assert f'href="/sell/products/{low.id}"' in page and "3 left" in page

    # Following each tile shows as many rows as it promised.
    paid = _text(client.get(board["Orders to ship"][1]))
    assert len(re.findall(r'href="/sell/orders/(VM-[^"]+)"', paid)) == 2
    waiting = _text(client.get(board["Messages waiting for your reply"][1] + "&lang=en"))
    assert "Conversations: 2" in waiting
    after_sale = _text(client.get(board["Refund requests"][1] + "&lang=en"))
    assert "Refund requested" in after_sale
    low_list = _text(client.get(board["Listings low on stock"][1]))
    assert "砀山梨 最后几箱" in low_list


def test_a_new_shop_board_shows_zeros_and_nothing_due(app, login_as, seller, shop):
    page = _text(login_as(seller).get("/sell/?lang=en"))
    assert {number for number, _link in tiles(page).values()} == {0}
    assert "todo-due" not in page
    assert "Real sales" in page and "Practice (not real sales)" not in page
    assert "¥0.00" in page


def test_another_sellers_orders_and_messages_never_count(
    app, login_as, seller, shop, make_shop, make_order
):
    someone_else = make_shop()
    make_order(someone_else, asks="refund")
    make_order(someone_else, asks="message")
    page = _text(login_as(seller).get("/sell/?lang=en"))
    assert {number for number, _link in tiles(page).values()} == {0}


@pytest.mark.parametrize("role", ["customer", "trainer", "organizer"])
def test_only_sellers_have_a_home_board(make_user, login_as, role):
    assert login_as(make_user(role)).get("/sell/").status_code == 403


def test_a_seller_without_a_shop_is_asked_to_open_one_first(make_user, login_as, client):
    response = login_as(make_user("exhibitor")).get("/sell/")
    assert response.status_code == 302 and response.headers["Location"] == "/sell/shop"
    assert "/login" in client.get("/sell/").headers["Location"]


def test_the_seller_menu_leads_home(app, login_as, seller, shop):
    page = _text(login_as(seller).get("/sell/products"))
    assert '<a href="/sell/">工作台</a>' in page
    home_page = _text(login_as(seller).get("/sell/"))
    assert '<a href="/sell/" aria-current="page">工作台</a>' in home_page


# --- Sales figures ------------------------------------------------------------------------------


def figure_groups(page: str) -> dict[str, list[str]]:
    """{group heading: [today's text, this week's text]} of the figures section."""
    groups = re.findall(r'<div class="figure-group[^"]*">\s*<h3>([^<]+)</h3>(.*?)</dl>', page, re.S)
    return {
        heading: [re.sub(r"<[^>]+>", "", dd).strip() for dd in re.findall(r"<dd>(.*?)</dd>", body)]
        for heading, body in groups
    }


def test_practice_and_real_figures_are_shown_apart_never_added(
    app, make_user, make_shop, login_as, make_order
):
    # A graduated trainee: an exhibitor shop that still holds its practice orders.
    graduate = make_user("trainee", "exhibitor")
    shop = make_shop(owner=graduate)
    make_order(shop, total_fen=5000)
    make_order(shop, status="shipped", total_fen=2500)
    make_order(shop, total_fen=1200, practice=True)
    make_order(shop, status="refunded", total_fen=9900)
    make_order(shop, status="cancelled", total_fen=9900)
    make_order(shop, total_fen=7000, paid_at=utcnow() - timedelta(days=9))

    groups = figure_groups(_text(login_as(graduate).get("/sell/?lang=en")))
    assert list(groups) == ["Real sales", "Practice (not real sales)"]
    assert groups["Real sales"] == ["2 orders · ¥75.00", "2 orders · ¥75.00"]
    assert groups["Practice (not real sales)"][0] == "1 order · ¥12.00"
    assert groups["Practice (not real sales)"][1] == "1 order · ¥12.00"


def test_a_trainees_board_shows_practice_figures_only(
    app, make_user, make_shop, login_as, make_order
):
    trainee = make_user("trainee")
    shop = make_shop(owner=trainee, kind="practice")
    make_order(shop, total_fen=3300)
    groups = figure_groups(_text(login_as(trainee).get("/sell/?lang=en")))
    assert groups == {"Practice (not real sales)": ["1 order · ¥33.00", "1 order · ¥33.00"]}


def test_today_and_this_week_follow_beijing_time_from_monday(app, seller, shop, make_order):
    # Wednesday 2 December 2026, 10:00 in Beijing.
    now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    make_order(shop, total_fen=100, paid_at=datetime(2026, 12, 1, 16, 10, tzinfo=UTC))  # Wed 00:10
    make_order(shop, total_fen=200, paid_at=datetime(2026, 12, 1, 15, 50, tzinfo=UTC))  # Tue 23:50
    make_order(shop, total_fen=400, paid_at=datetime(2026, 11, 29, 16, 30, tzinfo=UTC))  # Mon 00:30
    make_order(shop, total_fen=800, paid_at=datetime(2026, 11, 29, 15, 30, tzinfo=UTC))  # Sun 23:30
    with app.app_context():
        to_ship, figures = home.order_figures(db.session.get(type(seller), seller.id), now)
    assert to_ship == 4
    assert figures == [
        home.KindFigures(practice=False, today=home.Figures(1, 100), week=home.Figures(3, 700))
    ]


# --- Listings that need attention ---------------------------------------------------------------


def test_listings_without_a_photo_or_below_80_are_listed_with_a_link(
    app, login_as, seller, shop, make_product
):
    bare = make_product(shop=shop, title_en="Pears without a photo", photo=False)
    good = make_product(shop=shop, title_en="Hill apples from the region, 5 jin")
    make_good(app, good)
    make_product(shop=shop, title_en="An old archived listing", status="archived")
    client = login_as(seller)
    page = _text(client.get("/sell/?lang=en"))
    section = page.split('id="listings-title"')[1]
    assert "Pears without a photo" in section and "No photo" in section
    assert "Listing quality: 29/100" in section  # only stock and a category of seven checks
    assert "Hill apples" not in section and "archived" not in section
    link = f"/sell/products/{bare.id}"
    assert f'href="{link}"' in section
    assert client.get(link).status_code == 200


# --- The number of queries ---------------------------------------------------------------------


def test_the_board_costs_the_same_queries_however_many_orders_and_listings(
    app, login_as, seller, shop, make_product, make_order, count_queries
):
    def grow(number: int) -> None:
        for index in range(number):
            product = make_product(shop=shop, stock=index % 4)
            with app.app_context():
                db.session.add(
                    ProductImage(product_id=product.id, key=f"k{product.id}", width=900, height=600)
                )
                db.session.commit()
            make_order(shop, product=product, asks=("refund", "message", None)[index % 3])
            make_order(shop, status="shipped", product=product, practice=index % 2 == 0)

    client = login_as(seller)
    grow(2)
    # A worker's first page also draws the header menu's categories and regions, once.
    client.get("/sell/")
    few = count_queries(client, "/sell/")
    grow(20)
    many = count_queries(client, "/sell/")
    assert few == many <= 16, (few, many)


# --- Landing after log-in ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        (("organizer",), "/organize/featured"),
        (("trainer",), "/train/cohorts"),
        (("trainee",), "/train"),
        (("exhibitor",), "/sell/"),
        (("trainee", "exhibitor"), "/sell/"),
        (("customer",), "/"),
    ],
)
def test_each_role_lands_on_its_own_home_after_logging_in(client, make_user, roles, landing):
    user = make_user(*roles)
    response = log_in(client, user.email)
    assert response.status_code == 302 and response.headers["Location"] == landing


def test_a_safe_next_page_wins_over_the_role_home(client, make_user):
    user = make_user("exhibitor")
    response = log_in(client, user.email, url="/login?next=/sell/orders")
    assert response.headers["Location"] == "/sell/orders"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "evil"])
def test_an_unsafe_next_page_falls_back_to_the_role_home(client, make_user, target):
    user = make_user("exhibitor")
    response = log_in(client, user.email, url=f"/login?next={target}")
    assert response.headers["Location"] == "/sell/"
