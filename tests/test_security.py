"""Security: headers and cookies, CSRF refusal, log-in rate limits, and who may reach what."""

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from products.models import Product, ProductImage, Variant
from shop.accounts.models import User
from shop.extensions import db, limiter
from tests.forms import form_data, form_on
from tests.helpers import build_app, csrf_token, reset_database
from tests.shopping import add_to_cart, payment_token, place_order, variant_id

PASSWORD = "correct horse battery"
WRONG_PASSWORD = "not the password, sorry"


def attempt_login(client, email, password=WRONG_PASSWORD, address="10.0.0.1", headers=None):
    """One log-in POST from an address, with a valid CSRF token."""
    environ = {"REMOTE_ADDR": address}
    headers = {"Accept-Language": "en", **(headers or {})}
    page = client.get("/login", environ_base=environ, headers=headers)
    form = form_on(page.get_data(as_text=True), "/login", "/login")
    return client.post(
        form.action or "/login",
        data=form_data(form, {"email": email, "password": password}),
        environ_base=environ,
        headers=headers,
    )


def small_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


# --- Headers and cookies ---------------------------------------------------------------------


def assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    script_src = csp.split("script-src")[1].split(";")[0]
    assert "'self'" in script_src and "unsafe-inline" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", ["/login", "/signup", "/reset", "/reset/unknown-token"])
def test_account_pages_carry_the_security_headers(client, path):
    assert_security_headers(client.get(path))


@pytest.mark.parametrize(
    "path", ["/sell/products", "/sell/products/new", "/sell/shop", "/sell/products/import"]
)
def test_seller_pages_carry_the_security_headers(login_as, make_shop, make_user, path):
    owner = make_user("exhibitor")
    make_shop(owner=owner)
    response = login_as(owner).get(path)
    assert response.status_code == 200
    assert_security_headers(response)


def test_seller_pages_have_no_inline_script_or_style(login_as, make_product, make_user, make_shop):
    owner = make_user("exhibitor")
    product = make_product(shop=make_shop(owner=owner))
    client = login_as(owner)
    for path in (
        "/sell/products",
        f"/sell/products/{product.id}",
        "/sell/shop",
        "/sell/products/new",
    ):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "style=" not in page and "onclick" not in page


def test_hsts_and_secure_cookies_when_served_over_https(tmp_path, monkeypatch, postgres_schema):
    monkeypatch.setenv("PREFERRED_URL_SCHEME", "https")
    app = build_app(tmp_path / "https")
    with app.app_context():
        reset_database()
    client = app.test_client()
    response = attempt_login(client, "nobody@example.test")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    session_cookie = next(
        cookie for cookie in response.headers.getlist("Set-Cookie") if cookie.startswith("session=")
    )
    assert (
        "Secure" in session_cookie
        and "HttpOnly" in session_cookie
        and "SameSite=Lax" in session_cookie
    )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_session_cookie_is_http_only_and_same_site_lax(client):
    response = client.get("/login")
    # The log-in form's CSRF token lives in the session, so the cookie is set here.
    session_cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")
    )
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert (
        "Secure" not in session_cookie
    )  # plain http on a laptop: a Secure cookie would never come back


def test_served_photos_are_not_sniffed(app, login_as, make_product, make_user, make_shop):
    owner = make_user("exhibitor")
    product = make_product(shop=make_shop(owner=owner))
    client = login_as(owner)
    page = client.get(f"/sell/products/{product.id}").get_data(as_text=True)
    # The listing's one form saves the chosen photo with the rest of the listing.
    form = form_on(page, f"/sell/products/{product.id}")
    photo = (io.BytesIO(small_jpeg()), "a.jpg")
    client.post(form.action, data=form_data(form, {"photos": photo}))
    with app.app_context():
        key = db.session.scalar(select(ProductImage.key))
    with client.get(f"/media/{key}-thumb.webp") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/webp"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_personal_pages_are_never_stored_by_caches(
    app, make_user, make_shop, make_product, login_as
):
    person = make_user("customer", "trainee", "organizer", "trainer")
    make_shop(owner=person, kind="practice")
    client = login_as(person)
    variant = variant_id(app, make_product())
    add_to_cart(client, variant, 1)
    payment = payment_token(place_order(client))
    add_to_cart(client, variant, 1)
    pages = [
        "/orders",
        "/account",
        "/account/password",
        "/sell/products",
        "/sell/inbox",
        "/train",
        "/train/cohorts",
        "/organize/featured",
        "/checkout",
        "/cart",
        f"/payments/sandbox/{payment}",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers.get("Cache-Control", ""), path
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


# --- CSRF ------------------------------------------------------------------------------------


def test_login_without_a_csrf_token_is_refused(client, make_user):
    make_user(email="lin@example.test")
    response = client.post(
        "/login",
        data={"email": "lin@example.test", "password": PASSWORD},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_a_listing_form_without_a_valid_token_saves_nothing(app, login_as, make_shop, make_user):
    owner = make_user("exhibitor")
    make_shop(owner=owner)
    client = login_as(owner)
    for token in (None, "forged-token"):
        data = {
            "title_zh": "砀山酥梨 5斤装",
            "spec_zh": "一箱",
            "price": "39.9",
            "stock": "5",
            "weight_g": "2500",
        }
        if token:
            data["csrf_token"] = token
        response = client.post("/sell/products/new?lang=en", data=data)
        assert response.status_code == 400
        assert "Nothing was saved" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_logout_without_a_token_keeps_you_logged_in(login_as, make_user):
    client = login_as(make_user("customer"))
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200


# --- Log-in rate limit -----------------------------------------------------------------------


def test_the_sixth_failed_login_for_an_account_answers_429(client, make_user):
    make_user(email="lin@example.test")
    # Five failures from five addresses: the per-account limit is what stops the sixth.
    for number in range(5):
        assert (
            attempt_login(client, "lin@example.test", address=f"10.0.1.{number}").status_code == 200
        )
    blocked = attempt_login(client, "LIN@example.test", password=PASSWORD, address="10.0.1.99")
    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    assert "Too many failed log-in attempts" in page and "Wait 15 minutes" in page
    assert blocked.headers.get("Retry-After")
    # Another account is not affected.
    make_user(email="other@example.test")
    assert (
        attempt_login(client, "other@example.test", PASSWORD, address="10.0.1.100").status_code
        == 302
    )


def test_the_rate_limit_message_is_in_chinese_too(client, make_user):
    for _ in range(5):
        attempt_login(client, "lin@example.test")
    response = attempt_login(
        client, "lin@example.test", "x" * 12, headers={"Accept-Language": "zh-CN"}
    )
    assert response.status_code == 429
    assert "登录失败次数过多" in response.get_data(as_text=True)


def test_the_sixth_failure_from_one_address_answers_429_whatever_the_account(client):
    for number in range(5):
        assert (
            attempt_login(client, f"guess{number}@example.test", address="10.0.2.1").status_code
            == 200
        )
    assert attempt_login(client, "guess9@example.test", address="10.0.2.1").status_code == 429
    assert attempt_login(client, "guess9@example.test", address="10.0.2.2").status_code == 200


def test_log_ins_are_still_limited_while_the_limits_redis_is_down(tmp_path, postgres_schema):
    # Nothing listens on port 1: every call to this Redis is refused, as when it is down.
    app = build_app(tmp_path / "no-redis", RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    with app.app_context():
        reset_database()
    client = app.test_client()
    try:
        codes = [attempt_login(client, "lin@example.test").status_code for _ in range(6)]
    finally:
        # One limiter serves every app of this test process: the next app's own storage must
        # not start out marked dead (it would count in the fallback, then switch mid-test).
        limiter._storage_dead = False
    # Counted in the process's memory until Redis answers again: a 429, never an error page.
    assert codes == [200] * 5 + [429]


def login_through_proxy(client, email, password=WRONG_PASSWORD, visitor="203.0.113.5"):
    """A log-in as it reaches the app behind nginx: from 127.0.0.1, the visitor in a header."""
    return attempt_login(
        client, email, password, address="127.0.0.1", headers={"X-Forwarded-For": visitor}
    )


def test_behind_a_trusted_proxy_one_visitors_failures_do_not_lock_out_another(
    tmp_path, postgres_schema
):
    app = build_app(tmp_path / "proxied", TRUSTED_PROXIES=1)
    with app.app_context():
        reset_database()
        customer = User(email="customer@example.test", display_name="Customer", language="en")
        customer.set_password(PASSWORD)
        customer.add_role("customer")
        db.session.add(customer)
        db.session.commit()
    client = app.test_client()
    for number in range(11):
        response = login_through_proxy(client, f"guess{number}@example.test")
        assert response.status_code == (200 if number < 5 else 429)
    # The customer, from another address behind the same proxy, logs in.
    customer_browser = app.test_client()
    response = login_through_proxy(
        customer_browser, "customer@example.test", PASSWORD, visitor="198.51.100.7"
    )
    assert response.status_code == 302
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_site_without_trusted_proxies_ignores_x_forwarded_for(client):
    # Each attempt claims another address; the one the connection comes from is what counts.
    for number in range(5):
        response = login_through_proxy(client, "lin@example.test", visitor=f"192.0.2.{number}")
        assert response.status_code == 200
    assert login_through_proxy(client, "x@example.test", visitor="192.0.2.99").status_code == 429


def test_successful_logins_do_not_count(client, make_user):
    make_user(email="lin@example.test")
    # Strong session protection ties the session to the address, so stay on one.
    address = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(8):
        response = attempt_login(client, "lin@example.test", password=PASSWORD)
        assert response.status_code == 302
        account = client.get("/account", environ_base=address)
        logout = form_on(account.get_data(as_text=True), "/logout")
        client.post(logout.action, data=form_data(logout), environ_base=address)
    for _ in range(5):
        assert attempt_login(client, "lin@example.test").status_code == 200


# --- Who may reach what ------------------------------------------------------------------------

ROLES = ("anonymous", "customer", "trainee", "exhibitor", "trainer", "organizer")
SELLER_PAGES = (
    "/sell/",
    "/sell/shop",
    "/sell/products",
    "/sell/products/new",
    "/sell/products/{product}",
    "/sell/products/export.csv",
    "/sell/products/import",
)


@pytest.fixture
def client_for(app, make_user, make_shop, make_product, login_as):
    """A client logged in as a role (sellers with their own shop and product) and that product."""

    def make(role):
        if role == "anonymous":
            return app.test_client(), None
        user = make_user(role)
        product = None
        if role in ("trainee", "exhibitor"):
            shop = make_shop(owner=user, kind="practice" if role == "trainee" else "exhibitor")
            product = make_product(shop=shop)
        return login_as(user), product

    return make


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", SELLER_PAGES)
def test_seller_pages_by_role(client_for, make_product, role, page):
    client, own_product = client_for(role)
    product_id = own_product.id if own_product else make_product().id
    response = client.get(page.format(product=product_id))
    if role == "anonymous":
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    elif role in ("customer", "trainer", "organizer"):
        assert response.status_code == 403
    else:
        assert response.status_code == 200


OTHER_SELLERS_IDS = (
    ("get", "/sell/products/{product}"),
    ("post", "/sell/products/{product}"),
    ("post", "/sell/products/{product}/publish"),
    ("post", "/sell/products/{product}/unpublish"),
    ("post", "/sell/products/{product}/archive"),
    ("post", "/sell/products/{product}/duplicate"),
    ("post", "/sell/products/{product}/delete"),
    ("post", "/sell/products/{product}/variants"),
    ("post", "/sell/products/{product}/variants/{variant}"),
    ("post", "/sell/products/{product}/variants/{variant}/delete"),
    ("post", "/sell/products/{product}/photos"),
    ("post", "/sell/products/{product}/photos/{image}/cover"),
    ("post", "/sell/products/{product}/photos/{image}/move"),
    ("post", "/sell/products/{product}/photos/{image}/delete"),
    # Own listing, but another seller's variant or photo.
    ("post", "/sell/products/{own}/variants/{variant}"),
    ("post", "/sell/products/{own}/variants/{variant}/delete"),
    ("post", "/sell/products/{own}/photos/{image}/cover"),
    ("post", "/sell/products/{own}/photos/{image}/delete"),
    # Ids that exist nowhere.
    ("get", "/sell/products/999999"),
    ("post", "/sell/products/999999/publish"),
)


@pytest.fixture
def two_sellers(app, make_user, make_shop, make_product, login_as):
    """An exhibitor's client and own product, and another exhibitor's product, variant and photo."""
    me = make_user("exhibitor")
    own = make_product(shop=make_shop(owner=me))
    theirs = make_product(shop=make_shop(owner=make_user("exhibitor")))
    with app.app_context():
        image = ProductImage(product_id=theirs.id, key="a" * 32, width=800, height=600, position=0)
        db.session.add(image)
        db.session.commit()
        ids = {
            "own": own.id,
            "product": theirs.id,
            "variant": db.session.scalar(select(Variant.id).where(Variant.product_id == theirs.id)),
            "image": image.id,
        }
    return login_as(me), ids


def snapshot(app):
    """Everything a seller could change, to show that a refused request changed nothing."""
    with app.app_context():
        return (
            db.session.execute(
                select(Product.id, Product.status, Product.title_zh).order_by(Product.id)
            ).all(),
            db.session.execute(
                select(Variant.id, Variant.price_fen, Variant.stock).order_by(Variant.id)
            ).all(),
            db.session.execute(
                select(ProductImage.id, ProductImage.position).order_by(ProductImage.id)
            ).all(),
        )


@pytest.mark.parametrize(("method", "url"), OTHER_SELLERS_IDS)
def test_another_sellers_ids_are_404(app, two_sellers, method, url):
    client, ids = two_sellers
    before = snapshot(app)
    # Forged on purpose: these ids belong to another seller, so no page shows their forms.
    token = csrf_token(client.get("/sell/products").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "title_zh": "改掉别人的标题",
        "spec_zh": "一箱",
        "price": "1",
        "stock": "1",
        "weight_g": "1",
        "photos": (io.BytesIO(small_jpeg()), "a.jpg"),
    }
    target = url.format(**ids)
    response = client.get(target) if method == "get" else client.post(target, data=data)
    assert response.status_code == 404
    assert snapshot(app) == before


def test_bulk_edit_with_another_sellers_variant_is_404_and_changes_nothing(app, two_sellers):
    client, ids = two_sellers
    before = snapshot(app)
    with app.app_context():
        own_variant = db.session.scalar(select(Variant.id).where(Variant.product_id == ids["own"]))
    # Forged on purpose: the bulk-edit form has no fields for another seller's variant.
    token = csrf_token(client.get("/sell/products").get_data(as_text=True))
    response = client.post(
        "/sell/products",
        data={
            "csrf_token": token,
            f"price-{own_variant}": "1.00",
            f"stock-{own_variant}": "0",
            f"price-{ids['variant']}": "1.00",
            f"stock-{ids['variant']}": "0",
        },
    )
    assert response.status_code == 404
    assert snapshot(app) == before


def test_another_sellers_draft_is_not_on_the_public_site_either(client, make_product):
    draft = make_product(status="draft")
    assert client.get(f"/products/{draft.id}").status_code == 404
