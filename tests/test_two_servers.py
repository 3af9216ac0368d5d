"""Two app servers behind one load balancer: what a visitor does on one, the other shows at once.

One layout for the module (bench/app_servers.py): a PostgreSQL database of its own, an S3 store
(moto's server), Redis for jobs and rate limits, one RQ worker and two gunicorn servers, A and B,
each with an instance folder of its own, so nothing reaches B through a shared disk. Everything
below goes through real HTTP; a visitor's cookies and address travel with them from A to B, as
behind a balancer without sticky sessions.
"""

import os
import re
import time

import pytest
from sqlalchemy import make_url

from bench.app_servers import PASSWORD, Layout, Visitor
from tests.forms import form_data, form_on, submit
from tests.helpers import POSTGRES_URL, jpeg, save_listing, upload_photos
from tests.shopping import add_to_cart, pay_with_card, payment_token, place_order

#: Under `pytest --dist loadgroup` every test here goes to one process, so one layout is started;
#: under plain `-n`, each process that gets one of them starts its own (a database of its own).
pytestmark = pytest.mark.xdist_group("two-servers")
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
#: How long a photo may wait for its sizes (a job on the RQ worker) before B must serve them.
PHOTO_SECONDS = 20
MEDIA = re.compile(r"/media/([0-9a-f]+-[\w-]+\.webp)")
#: Each search hit's link (featured products shown under "no results" are not hits).
HIT = re.compile(r'class="search-hit-picture" href="([^"]+)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The running layout, and the seller logged in once (on A: the cookie works on B too)."""
    url = make_url(POSTGRES_URL)
    database = url.set(database=f"{url.database}_servers").render_as_string(hide_password=False)
    layout = Layout(tmp_path_factory.mktemp("two-servers"), database, REDIS_URL).start()
    try:
        seller = Visitor(layout.bases[0])
        answer = submit(
            seller, "/login", changes={"email": layout.seller_email, "password": PASSWORD}
        )
        assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
        layout.seller = seller
        yield layout
    finally:
        layout.stop()


def on_a(visitor: Visitor, site) -> Visitor:
    return visitor.on(site.bases[0])


def on_b(visitor: Visitor, site) -> Visitor:
    return visitor.on(site.bases[1])


def page(visitor: Visitor, url: str) -> str:
    answer = visitor.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    return answer.get_data(as_text=True)


def test_a_title_saved_on_a_is_found_by_search_on_b(site):
    product = site.products["dangshan-pear-syrup"]
    searcher = Visitor(site.bases[1])
    assert HIT.findall(page(searcher, "/search?q=Zephyrine")) == []
    # The balancer sent the form's page to B and its post to A: the session and the CSRF token
    # B issued are good on A.
    url = f"/sell/products/{product['id']}"
    form = form_on(page(on_b(site.seller, site), url), url, url)
    changes = {"title_en": "Dangshan Zephyrine pear syrup"}
    saved = on_a(site.seller, site).post(url, data=form_data(form, changes))
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    # The address follows the new title; the id stays.
    hits = HIT.findall(page(searcher, "/search?q=Zephyrine"))
    assert [hit.split("-", 1)[0] for hit in hits] == [f"/products/{product['id']}"]


def test_a_photo_uploaded_on_a_is_served_by_b(site):
    product = site.products["dangshan-yellow-peaches"]
    visitor = Visitor(site.bases[1])
    before = set(MEDIA.findall(page(visitor, product["url"])))
    answer = upload_photos(on_a(site.seller, site), product["id"], jpeg(1000, 800, (40, 160, 90)))
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    # The sizes may be made by a job on the worker: B shows them, and serves them, once ready.
    deadline = time.monotonic() + PHOTO_SECONDS
    while True:
        new = set(MEDIA.findall(page(visitor, product["url"]))) - before
        served = {name: visitor.get(f"/media/{name}") for name in new}
        if new and all(answer.status_code == 200 for answer in served.values()):
            break
        assert time.monotonic() < deadline, f"B did not serve the new photo: {served}"
        time.sleep(0.2)
    for answer in served.values():
        assert answer.headers["Content-Type"] == "image/webp"
        assert answer.data[8:12] == b"WEBP"
    # From the bucket: neither server keeps a picture in its own folder.
    assert not list(site.folder.glob("gunicorn-*/**/*.webp"))


def test_failed_log_ins_on_a_and_b_share_one_limit(site):
    # Five visitors (five addresses), so it is the account's own counter that stops the sixth.
    codes = []
    for number in range(6):
        visitor = Visitor(site.bases[number % 2])
        password = PASSWORD if number == 5 else "not the password, sorry"
        answer = submit(
            visitor, "/login", changes={"email": site.customer_email, "password": password}
        )
        codes.append(answer.status_code)
    assert codes == [200] * 5 + [429]


def test_an_order_placed_on_a_shows_in_the_sellers_list_on_b(site):
    variant = site.products["dangshan-crisp-pears"]["variants"][0]
    buyer = Visitor(site.bases[0])
    assert add_to_cart(buyer, variant).status_code == 302
    token = payment_token(place_order(buyer))
    paid = pay_with_card(buyer, token)
    assert paid.status_code == 303 and paid.headers["Location"].endswith(f"/checkout/done/{token}")
    number = re.search(r"VM-\d{4}-[0-9A-Z]+", page(buyer, f"/checkout/done/{token}")).group(0)
    # In B's "paid, to ship" tab: the order and its payment are both there.
    assert number in page(on_b(site.seller, site), "/sell/orders?status=paid")


def test_a_price_changed_on_a_shows_on_bs_cached_pages(site):
    product = site.products["dangshan-crisp-pears"]
    variant = product["variants"][0]
    visitor = Visitor(site.bases[1])  # no cookies: B keeps whole pages for such visitors
    for _ in range(2):  # the second view is B's cached page
        assert "43.21" not in page(visitor, product["url"])
        assert "43.21" not in page(visitor, product["region"])
    saved = save_listing(on_a(site.seller, site), product["id"], {f"v{variant}-price": "43.21"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    assert "43.21" in page(visitor, product["url"])
    assert "43.21" in page(visitor, product["region"])
    assert not visitor.jar, "the visitor took a cookie: its pages were not the cached ones"
