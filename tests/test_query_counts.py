"""Storefront pages cost a small, fixed number of SQL queries, however many products they show.

Counting queries is not timing: these pin the design the benchmark (bench/storefront.py) relies
on. A cold page builds its shared part in a constant number of queries; a warm one (cached
fragment, same catalogue version) reads the version row and the stock of the variants it shows
(stock moves by checkouts do not move the version: products.freshness).
"""

import pytest

from shop.extensions import db


@pytest.fixture
def catalogue(app, make_region, make_shop, make_product):
    """Two regions; `grow(n)` adds n featured products with two variants to the first."""
    from products.models import ProductImage, Variant

    region = make_region(slug="hills")
    make_region(slug="plains")
    shop = make_shop(region=region, slug="hill-farm")

    def grow(count: int):
        made = []
        for number in range(count):
            product = make_product(shop=shop, featured=True, featured_position=number)
            with app.app_context():
                db.session.add(
                    Variant(
                        product_id=product.id,
                        spec_zh="大",
                        spec_en="big",
                        price_fen=9900,
                        stock=2,
                        position=1,
                    )
                )
                db.session.add(
                    ProductImage(
                        product_id=product.id, key=f"k{product.id}", width=1600, height=1200
                    )
                )
                db.session.commit()
            made.append(product)
        return made

    return grow


def _urls(products):
    product = products[0]
    return [
        "/",
        "/regions/hills",
        "/regions/hills?sort=price_asc&page=1",
        "/shops/hill-farm",
        f"/products/{product.id}-{product.slug}",
    ]


def test_query_count_does_not_grow_with_the_number_of_products(app, catalogue, count_queries):
    app.config["FRAGMENT_CACHE_SIZE"] = 0  # measure the cold path every time
    few = catalogue(2)
    small = {url: count_queries(app.test_client(), url) for url in _urls(few)}
    catalogue(20)
    large = {url: count_queries(app.test_client(), url) for url in _urls(few)}
    assert small == large
    # The first page after the version moved ("/" here) also draws the header menu's categories
    # and regions: one statement, then kept for that version (products.navigation).
    first, *others = large.values()
    assert first <= 9 and max(others) <= 8, large


def test_api_query_count_does_not_grow_with_the_page_size(app, catalogue, count_queries):
    products = catalogue(20)
    client = app.test_client()
    counts = {
        size: count_queries(client, f"/api/v1/products?region=hills&per_page={size}")
        for size in (2, 20)
    }
    assert counts[2] == counts[20] <= 7, counts
    assert count_queries(client, f"/api/v1/products/{products[0].id}") <= 5
    assert count_queries(client, "/api/v1/regions/hills") <= 6


def test_a_warm_page_reads_only_the_version_and_the_stock_it_shows(app, catalogue, count_queries):
    products = catalogue(5)
    client = app.test_client()
    for url in _urls(products):
        count_queries(client, url)
        assert count_queries(client, url) == 2, url


def test_a_visitor_with_a_session_gets_their_own_shell_around_shared_content(seeded):
    anonymous = seeded.test_client()
    anonymous.get("/regions/dangshan?lang=en")  # kept whole for visitors without cookies
    visitor = seeded.test_client()
    with visitor.session_transaction() as session:
        session["_flashes"] = [("message", "Your own note")]
    page = visitor.get("/regions/dangshan?lang=en").get_data(as_text=True)
    assert "Your own note" in page and "Dangshan County" in page
    assert "Your own note" not in anonymous.get("/regions/dangshan?lang=en").get_data(as_text=True)


def test_a_form_token_inside_a_shared_block_is_each_visitors_own(app):
    from flask import session
    from jinja2 import ChoiceLoader, DictLoader

    from products.cache import CSRF_STAND_IN, cached_blocks

    app.jinja_loader  # noqa: B018  (make sure the default loader exists before wrapping it)
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "form.html": '{% extends layout|default("base.html") %}'
                    '{% block content %}<input name="csrf_token" value="{{ csrf_token() }}">{% endblock %}'
                }
            ),
            app.jinja_env.loader,
        ]
    )
    tokens = []
    for _ in range(2):
        with app.test_request_context("/"):
            html = cached_blocks("form.html", "form", dict)["content"]
            assert CSRF_STAND_IN not in html
            tokens.append((html, session.get("csrf_token")))
    assert tokens[0][0] != tokens[1][0]
    assert all(secret for _, secret in tokens)


def test_responses_setting_a_cookie_are_never_kept_whole(app, make_product):
    from products.cache import WholePageCache

    product = make_product(slug="honey")
    layer = next(layer for layer in _layers(app.wsgi_app) if isinstance(layer, WholePageCache))

    @app.after_request
    def set_cookie(response):
        response.set_cookie("tracker", "1")
        return response

    app.test_client().get(f"/products/{product.id}-honey")
    assert len(layer.store) == 0


def _layers(wsgi_app):
    while wsgi_app is not None:
        yield wsgi_app
        wsgi_app = getattr(wsgi_app, "wsgi_app", None)


def test_paying_by_card_takes_a_fixed_number_of_statements(app, client, make_product):
    """The card form's POST: the payment locked with its orders and lines, each status move one
    statement that also writes its paid time (and the gateway's reference), the history and the
    two notices; the orders are not loaded twice nor the payment looked up twice."""
    from sqlalchemy import event, select

    from shop.payments.models import Payment
    from tests.forms import form_data, form_on
    from tests.shopping import add_to_cart, orders_of, payment_token, place_order, variant_id

    variant = variant_id(app, make_product(stock=5, price_fen=3990))
    add_to_cart(client, variant, 2)
    token = payment_token(place_order(client))
    page = f"/payments/sandbox/{token}"
    form = form_on(client.get(page).get_data(as_text=True), page, page)
    card = {"card_number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}
    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        response = client.post(page, data=form_data(form, {**card, "cardholder": "WANG"}))
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert response.status_code == 303
    order = orders_of(app, token)[0]
    assert order.status == "paid" and order.paid_at is not None
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.token == token))
        assert payment.status == "succeeded" and payment.paid_at is not None
        assert payment.payment_intent == f"pi_sandbox_{token}"
    assert len(statements) <= 15, "\n".join(statements)
