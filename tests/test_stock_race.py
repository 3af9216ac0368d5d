"""No overselling: forty buyers check out at the same moment for the last five units.

Real concurrent HTTP requests against a running threaded server, on the suite's database (an
SQLite file, or PostgreSQL when VM_TEST_DATABASE=postgresql), each buyer with its own cookies.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from bench.http_buyer import Browser
from shop.extensions import db
from shop.orders.models import Order, OrderLine
from tests.live_http import running_server
from tests.shopping import ADDRESS, stock_of, variant_id

BUYERS = 40
UNITS = 5


def test_forty_concurrent_checkouts_for_the_last_five_units_sell_exactly_five(app, make_product):
    variant = variant_id(app, make_product(stock=UNITS, price_fen=2990))
    # Forty phones, all on the loopback address here: lift the per-address checkout limits.
    app.config.update(CHECKOUT_LIMIT="1000 per minute", OPEN_CHECKOUTS_PER_ADDRESS=1000)
    with running_server(app) as base:
        buyers = [Browser(base) for _ in range(BUYERS)]

        def fill_cart(buyer: Browser) -> dict:
            assert buyer.add_to_cart(variant, 1) == 302
            return buyer.checkout_form(ADDRESS)

        with ThreadPoolExecutor(max_workers=BUYERS) as pool:
            forms = list(pool.map(fill_cart, buyers))
        start = threading.Barrier(BUYERS)

        def check_out(index: int):
            start.wait()
            return buyers[index].place_order(forms[index])

        with ThreadPoolExecutor(max_workers=BUYERS) as pool:
            results = list(pool.map(check_out, range(BUYERS)))

    placed = [
        location for status, location, _ in results if status == 303 and "/payments/" in location
    ]
    refused = [location for status, location, _ in results if status == 302]
    assert len(placed) == UNITS, [status for status, _, _ in results]
    # Everyone else is sent back to the cart with a message; nobody sees an error page.
    assert len(refused) == BUYERS - UNITS
    assert all(location.endswith("/cart") for location in refused)
    assert stock_of(app, variant) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == UNITS
        assert db.session.scalar(select(func.sum(OrderLine.quantity))) == UNITS
