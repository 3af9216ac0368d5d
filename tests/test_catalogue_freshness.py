"""A sale moves only its own rows: no shared version row, and only the pages showing it go stale.

Checkouts and sellers' saves at the same moment, with real concurrent HTTP requests, never
deadlock: the mix runs on the suite's database (SQLite, and PostgreSQL in the second pass).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select, text

from bench.http_buyer import Browser
from shop.extensions import db
from shop.orders.models import Order
from tests.forms import form_data, form_on, submit
from tests.live_http import running_server
from tests.shopping import ADDRESS, add_to_cart, place_order, stock_of, variant_id


def _version(app) -> int:
    with app.app_context():
        return db.session.scalar(text("SELECT version FROM catalogue_version WHERE id = 1")) or 0


def _buy(app, variant: int, quantity: int):
    buyer = app.test_client()
    add_to_cart(buyer, variant, quantity)
    response = place_order(buyer)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def test_a_checkout_leaves_the_catalogue_version_alone(app, make_product):
    variant = variant_id(app, make_product(stock=10))
    before = _version(app)
    _buy(app, variant, 2)
    assert stock_of(app, variant) == 8
    assert _version(app) == before


def test_a_cached_product_page_shows_the_stock_a_sale_left(app, make_product):
    product = make_product(stock=4, title_en="Crisp pears")
    variant = variant_id(app, product)
    url = f"/products/{product.id}-{product.slug}?lang=en"
    visitor = app.test_client()  # no cookies: the whole page is kept and served again
    for _ in range(2):
        assert "Sold out" not in visitor.get(url).get_data(as_text=True)
    _buy(app, variant, 4)
    page = visitor.get(url).get_data(as_text=True)
    assert "Sold out" in page


def test_a_sale_leaves_other_products_pages_cached(app, make_product, count_queries):
    shop_product = make_product(stock=5)
    other = make_product(stock=5)
    other_url = f"/products/{other.id}-{other.slug}"
    visitor = app.test_client()
    count_queries(visitor, other_url)
    warm = count_queries(visitor, other_url)
    _buy(app, variant_id(app, shop_product), 1)
    # Still served from the cache: the version read and one read of the stock it shows.
    assert count_queries(visitor, other_url) == warm == 2


def test_a_sellers_stock_edit_shows_at_once(app, make_shop, make_product, make_user, login_as):
    owner = make_user("exhibitor")
    product = make_product(shop=make_shop(owner=owner), stock=3, price_fen=4500)
    variant = variant_id(app, product)
    url = f"/products/{product.id}-{product.slug}?lang=en"
    visitor = app.test_client()
    visitor.get(url)
    assert "Sold out" not in visitor.get(url).get_data(as_text=True)
    seller = login_as(owner)
    saved = submit(
        seller, "/sell/products", changes={f"price-{variant}": "45.00", f"stock-{variant}": "0"}
    )
    assert saved.status_code == 302
    assert "Sold out" in visitor.get(url).get_data(as_text=True)


SELLERS_ROUNDS = 12
BUYERS = 8


def test_sellers_saving_stock_while_buyers_check_out_never_deadlock(
    app, make_shop, make_product, make_user
):
    """Two sellers save their stock over and over while eight buyers check out their goods."""
    sellers, seller_variants, buyer_variants = [], [], []
    for _ in range(2):
        owner = make_user("exhibitor")
        shop = make_shop(owner=owner)
        product = make_product(shop=shop, stock=500)
        sellers.append((owner, product))
        seller_variants.append(variant_id(app, product))
        buyer_variants.append(seller_variants[-1])
    with running_server(app) as base:
        buyers = [Browser(base) for _ in range(BUYERS)]
        forms = []
        for index, buyer in enumerate(buyers):
            assert buyer.add_to_cart(buyer_variants[index % 2], 1) == 302
            forms.append(buyer.checkout_form(ADDRESS))
        seller_browsers = []
        for owner, _product in sellers:
            browser = Browser(base)
            login = form_on(browser.request("/login")[2], "/login", "/login")
            changes = {"email": owner.email, "password": "correct horse battery"}
            status, _, _ = browser.request(
                "/login", list(form_data(login, changes).items(multi=True))
            )
            assert status == 302
            seller_browsers.append(browser)
        start = threading.Barrier(BUYERS + len(sellers))
        statuses: list[int] = []

        def buy(index: int) -> None:
            start.wait()
            statuses.append(buyers[index].place_order(forms[index])[0])

        def save_stock(index: int) -> None:
            browser, variant = seller_browsers[index], seller_variants[index]
            start.wait()
            for round_number in range(SELLERS_ROUNDS):
                form = form_on(
                    browser.request("/sell/products")[2], "/sell/products", "/sell/products"
                )
                changes = {f"price-{variant}": "39.90", f"stock-{variant}": str(400 + round_number)}
                status, _, _ = browser.request(
                    "/sell/products", list(form_data(form, changes).items(multi=True))
                )
                statuses.append(status)

        with ThreadPoolExecutor(max_workers=BUYERS + len(sellers)) as pool:
            jobs = [pool.submit(buy, index) for index in range(BUYERS)]
            jobs += [pool.submit(save_stock, index) for index in range(len(sellers))]
            for job in jobs:
                job.result(timeout=120)

    assert len(statuses) == BUYERS + SELLERS_ROUNDS * len(sellers)
    assert not [status for status in statuses if status >= 500], statuses
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == BUYERS
