"""Every page, form and address parameter, driven by hypothesis with hostile values as each kind of
visitor (public, buyer, seller, trainee, trainer, organizer): none answers with a server error,
and a submission the app refuses (a 4xx, or the form shown again) leaves every table's rows as
they were.

Routes come from app.url_map and forms from the pages themselves, so a new route or form is
covered without touching this file. One app for the whole sweep and a bounded number of examples
per route keep a run within about a minute on each database.
"""

import io
import logging
import re
import time
import tomllib
from collections import Counter, defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

from flask import has_request_context, request
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from products.models import Discount, Product, Shop, ShopKind, Variant
from shop.accounts.models import User
from shop.extensions import db
from shop.models_base import utcnow
from shop.orders.models import Order
from tests.forms import Form, PageReader
from tests.helpers import csrf_token
from tests.shopping import ADDRESS, add_to_cart, buy, place_order, variant_id

ROOT = Path(__file__).resolve().parent.parent

HOSTILE = [
    "²",
    "١٢",
    "１２",
    "𝟙𝟚",
    "٣.٥",
    "-1",
    "0",
    str(2**31 - 1),
    str(2**31),
    str(2**63),
    str(2**64),
    "-" + str(2**63),
    "9" * 400,
    "99999999999",
    "21474836.48",
    "99999999.99",
    "1e400",
    "NaN",
    "\x00",
    "a\x00b",
    "x" * 10_240,
    "😀🍐",
    "梨 pear груша كمثرى ١٢",
    "\u202e\u200b",
    '<hostile onclick="x">',
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
    "",
    " ",
    "1_000",
    "+5",
    "0x10",
    "\ufffd",
]
#: Tried on every field of every form and every parameter of every route, besides the random ones.
ALWAYS = ["²", "١٢", str(2**63), "\x00", "x" * 10_240]
#: Tried alone on each query name a route's links use, and on these, which every list may read.
NUMBERS = ["²", str(2**63)]
NUMBER_NAMES = ("page", "per_page", "variant")

hostile_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=40),
    st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=6),
)

#: Query-string names the views read, besides those found in links (scanned from the source).
QUERY_NAMES = sorted(
    {
        "page",
        "per_page",
        "sort",
        "dir",
        "region",
        "category",
        "shop",
        "price",
        "in_stock",
        "q",
        "lang",
        "next",
        "variant",
        "status",
        "stock",
        "show",
        "code",
        "product",
        "cancelled",
    }
    | {
        name
        for path in [*ROOT.joinpath("shop").rglob("*.py"), *ROOT.joinpath("products").rglob("*.py")]
        for name in re.findall(
            r"args\.get(?:list)?\(\s*\"(\w+)\"", path.read_text(encoding="utf-8")
        )
    }
)
#: What a person would type in each field (by name, without a form prefix such as "v12-").
PLAUSIBLE = {
    **ADDRESS,
    "title_zh": "测试酥梨",
    "title_en": "Test pears",
    "description_zh": "清甜多汁",
    "tags": "梨, 砀山",
    "spec_zh": "一箱 5 斤",
    "spec_en": "5 jin box",
    "price": "39.9",
    "stock": "5",
    "weight_g": "2600",
    "name_zh": "测试",
    "name_en": "Test",
    "shipping_fee": "8",
    "percent_off": "20",
    "starts_at": "2030-01-01T10:00",
    "ends_at": "2030-01-01T12:00",
    "starts_on": "2030-01-01",
    "ends_on": "2030-03-01",
    "name": "测试班",
    "body": "您好，请问什么时候发货？",
    "reason": "测试原因",
    "carrier": "顺丰",
    "tracking_number": "SF1234567890",
    "display_name": "测试用户",
    "password": "a long enough password 1",
    "quantity": "1",
    "last4": "5678",
    "card_number": "4242 4242 4242 4242",
    "expiry": "12/34",
    "cvc": "123",
    "cardholder": "WANG XIAOMING",
}
#: Form names for POST routes no page showed a form for.
FORM_NAMES = sorted(
    {
        name
        for path in [*ROOT.joinpath("shop").rglob("*.py"), *ROOT.joinpath("products").rglob("*.py")]
        for name in re.findall(
            r"form\.get(?:list)?\(\s*\"(\w+)\"", path.read_text(encoding="utf-8")
        )
    }
    | {"quantity", "variant_id", "body", "reason"}
)
#: Visited last, so that what they remove is there while the rest is tried (a quantity of 0 on
#: the cart page empties the cart that the checkout form needs).
LAST = (
    "delete",
    "archive",
    "reset",
    "graduate",
    "end",
    "cancel",
    "remove",
    "unpublish",
    "cart.update",
)
NEVER = {"static", "accounts.logout"}
EXAMPLES_PER_ROUTE = 3
EXAMPLES_PER_FORM = 6


@dataclass
class Sweep:
    """What was tried and what failed."""

    app: object
    clients: dict
    tokens: dict
    examples: dict = field(default_factory=lambda: defaultdict(dict))
    #: Query-string names each route's links and search forms use.
    query_names: dict = field(default_factory=lambda: defaultdict(set))
    forms: dict = field(default_factory=dict)
    requests: int = 0
    values: int = 0
    failures: list = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    #: Every table's rows as they are now, and how many writing statements ran since.
    rows: dict = field(default_factory=dict)
    writes: int = 0
    #: Refused submissions that changed rows anyway: (role, url, status, sent, what changed).
    half_written: list = field(default_factory=list)
    refused: int = 0
    snapshots: int = 0

    def check(self, response, role, method, url, sent) -> None:
        self.requests += 1
        if response.status_code >= 500:
            self.failures.append((role, method, url[:120], repr(sent)[:300], response.status_code))
        refused = method == "POST" and _refused(response)
        self.refused += refused
        if not self.writes:
            return  # no INSERT, UPDATE or DELETE ran: no row can have changed
        self.writes = 0
        self.snapshots += 1
        before, self.rows = self.rows, _all_rows(self.app)
        if refused:
            changed = _changes(before, self.rows)
            if changed:
                self.half_written.append(
                    (role, url[:120], response.status_code, repr(sent)[:200], changed)
                )


#: Tables a refused submission may still write to, because they record the attempt itself.
#: Anything else changed by a refused submission is a half-done step. None is needed today: the
#: rate limiter counts attempts outside the database, sessions live in the cookie, and nothing
#: logs a failed log-in or a refused form. A table added for that is named here, with why.
RECORDS_OF_ATTEMPTS: set[str] = set()


def _all_rows(app) -> dict:
    """Every table's rows (as a multiset of their reprs: JSON columns hold dicts)."""
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: Counter(repr(tuple(row)) for row in connection.execute(select(table)))
            for table in db.metadata.sorted_tables
        }


def _refused(response) -> bool:
    """A 4xx, or a 200 page showing the form again (a success redirects or answers JSON)."""
    return 400 <= response.status_code < 500 or (
        response.status_code == 200 and response.mimetype == "text/html"
    )


def _changes(before: dict, after: dict) -> dict:
    """Table -> (rows gone, rows new), a few of each, for the tables that changed."""
    changed = {}
    for name, rows in after.items():
        if name in RECORDS_OF_ATTEMPTS or rows == before.get(name):
            continue
        gone, new = before.get(name, Counter()) - rows, rows - before.get(name, Counter())
        changed[name] = ([row[:160] for row in gone][:2], [row[:160] for row in new][:2])
    return changed


def _count_writes(sweep: Sweep):
    """An engine listener that counts statements that change rows."""

    def count(conn, cursor, statement, *args):
        # Anything but a plain read counts (a WITH ... may end in an UPDATE).
        if (
            not statement.lstrip()[:8]
            .upper()
            .startswith(("SELECT", "PRAGMA", "SAVEPOINT", "RELEASE"))
        ):
            sweep.writes += 1

    return count


def _accounts() -> dict[str, tuple[str, str]]:
    """The first demo account of each role: role -> (email, password)."""
    accounts = tomllib.loads((ROOT / "seed_data" / "accounts.toml").read_text(encoding="utf-8"))
    found = {}
    for account in accounts["account"]:
        for role in account["roles"]:
            found.setdefault(role, (account["email"], account["password"]))
    return found


def _log_in(app, email, password):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302, email
    return client


def _prepare(app, make_shop, make_product) -> Sweep:
    """Log each role in and give them something to work on: an order, a message, a practice shop."""
    accounts = _accounts()
    with app.app_context():
        trainee = db.session.scalar(select(User).where(User.email == accounts["trainee"][0]))
        db.session.expunge(trainee)
        exhibitor_shop = db.session.scalar(
            select(Shop)
            .join(User, Shop.owner_id == User.id)
            .where(User.email == accounts["exhibitor"][0], Shop.kind == ShopKind.EXHIBITOR)
        )
        sold = db.session.scalar(
            select(Product).where(Product.shop_id == exhibitor_shop.id).order_by(Product.id)
        )
        db.session.expunge(sold)
    practice = make_shop(owner=trainee, kind="practice", slug="trainee-practice")
    make_product(shop=practice, title_zh="练习酥梨")
    clients = {"visitor": app.test_client()}
    for role in ("customer", "exhibitor", "trainee", "trainer", "organizer"):
        clients[role] = _log_in(app, *accounts[role])
    customer = clients["customer"]
    buy(customer, variant_id(app, sold))
    with app.app_context():
        number = db.session.scalar(select(Order.number))
    page = customer.get(f"/orders/{number}").get_data(as_text=True)
    customer.post(
        f"/orders/{number}/messages",
        data={"body": "请问什么时候发货？", "csrf_token": csrf_token(page)},
    )
    # An order waiting for payment (the sandbox pages, cancel, buy again) and a shipped one
    # (received, delivered), so their forms are read from the pages as a browser would.
    add_to_cart(customer, variant_id(app, sold))
    place_order(customer)
    with app.app_context():
        shipped = db.session.scalar(select(Order).where(Order.number == number))
        shipped.set_status("shipped", db.session.get(User, shipped.shop.owner_id))
        db.session.commit()
    _give_the_organizer_and_seller_work(app, sold, make_shop, make_product)
    add_to_cart(customer, variant_id(app, sold), 2)
    page = clients["trainee"].get("/train/customers").get_data(as_text=True)
    for scenario in ("question", "address_change", "normal"):
        clients["trainee"].post(
            "/train/customers", data={"scenario": scenario, "csrf_token": csrf_token(page)}
        )
    tokens = {
        role: client.get("/cart/form-token").get_json()["csrf_token"]
        for role, client in clients.items()
    }
    return Sweep(app=app, clients=clients, tokens=tokens)


def _give_the_organizer_and_seller_work(app, sold, make_shop, make_product) -> None:
    """A shop and a listing waiting for review, and a running discount to end."""
    waiting = make_shop(approved_at=None, slug="waiting-orchard")
    make_product(shop=waiting, title_zh="待审核的梨")
    with app.app_context():
        approved = db.session.get(Shop, sold.shop_id)
        db.session.expunge(approved)
    make_product(shop=approved, title_zh="价格待审的梨", review_reason="price_outlier")
    with app.app_context():
        now = utcnow()
        db.session.add(
            Discount(
                shop_id=sold.shop_id,
                name_zh="限时折扣",
                name_en="Limited offer",
                kind="percent",
                percent_off=10,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=1),
                variants=[db.session.get(Variant, variant_id(app, sold))],
            )
        )
        db.session.commit()


def _crawl(sweep: Sweep) -> None:
    """Visit one page per route for each role, following links; keep real ids and the forms."""
    adapter = sweep.app.url_map.bind("localhost")
    starts = [
        rule.rule
        for rule in sweep.app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint not in NEVER
    ]
    for role, client in sweep.clients.items():
        queue, seen = list(starts), set()
        while queue:
            url = queue.pop(0)
            parts = urlsplit(url)
            if parts.netloc or not parts.path.startswith("/"):
                continue
            try:
                endpoint, args = adapter.match(parts.path, method="GET")
            except (HTTPException, RequestRedirect):
                continue
            if endpoint in seen or endpoint in NEVER or endpoint == "catalogue.media":
                continue
            seen.add(endpoint)
            response = client.get(url)
            sweep.check(response, role, "GET", url, "crawl")
            if response.status_code != 200:
                continue  # a log-in redirect or a 403 shows nothing of the page to this role
            sweep.examples[endpoint].setdefault(role, args)
            if response.mimetype != "text/html":
                continue
            reader = PageReader()
            reader.feed(response.get_data(as_text=True))
            queue.extend(reader.links)
            for link in reader.links:
                parts = urlsplit(link)
                names = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
                if names and parts.path.startswith("/") and not parts.netloc:
                    with suppress(HTTPException, RequestRedirect):
                        sweep.query_names[adapter.match(parts.path, method="GET")[0]] |= names
            for form in reader.forms:
                action = urlsplit(form.action or url)
                if form.method != "post":
                    with suppress(HTTPException, RequestRedirect):
                        target = adapter.match(action.path, method="GET")[0]
                        sweep.query_names[target] |= form.names
                    continue
                try:
                    post_endpoint, post_args = adapter.match(action.path, method="POST")
                except (HTTPException, RequestRedirect):
                    continue
                sweep.examples[post_endpoint].setdefault(role, post_args)
                # One role per form: the same form as another role runs the same code.
                sweep.forms.setdefault(post_endpoint, (role, form))


def _path(rule, values: dict) -> str:
    return re.sub(
        r"<(?:[^:<>]+:)?(\w+)>",
        lambda match: quote(str(values[match.group(1)]), safe=""),
        rule.rule,
    )


def _filler(rule, name: str) -> str:
    converter = rule._converters[name]
    return "1" if type(converter).__name__.lower().startswith(("integer", "id", "number")) else "x"


def _role_and_args(sweep: Sweep, rule) -> tuple[str, dict]:
    seen = sweep.examples.get(rule.endpoint, {})
    for role in ("visitor", "customer", "exhibitor", "trainee", "trainer", "organizer"):
        if role in seen:
            return role, seen[role]
    return "visitor", {name: _filler(rule, name) for name in rule.arguments}


def _csv(values: list[str]) -> bytes:
    header = "product_id,sku,title_zh,title_en,category,spec_zh,spec_en,price,stock,weight_g"
    cells = (values * 10)[:10]
    return (header + "\r\n" + ",".join(cell.replace(",", "") for cell in cells) + "\r\n").encode(
        "utf-8", "surrogatepass"
    )


def _settings(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def _sweep_route(sweep: Sweep, rule) -> None:
    role, real = _role_and_args(sweep, rule)
    client = sweep.clients[role]

    def send(args: dict, query: dict) -> None:
        url = _path(rule, args)
        sweep.values += sum(args[name] != real.get(name) for name in args) + len(query)
        sweep.check(client.get(url, query_string=query), role, "GET", url, query)

    known = sorted(sweep.query_names.get(rule.endpoint, ()))
    for value in ALWAYS:
        if rule.arguments:
            send({name: value for name in rule.arguments}, {})
        send(dict(real), dict.fromkeys(QUERY_NAMES, value))
    # One name at a time as well: an early refusal of one (a 400 for ?sort=²) must not hide a
    # crash on another (?page=²).
    for name in sorted(set(known) | set(NUMBER_NAMES)):
        for value in NUMBERS:
            send(dict(real), {name: value})

    @_settings(EXAMPLES_PER_ROUTE)
    @given(data=st.data())
    def probe(data):
        args = {
            name: data.draw(hostile_values) if data.draw(st.booleans()) else real[name]
            for name in rule.arguments
        }
        names = (
            st.sampled_from(known) | st.sampled_from(QUERY_NAMES)
            if known
            else st.sampled_from(QUERY_NAMES)
        )
        query = data.draw(st.dictionaries(names, hostile_values, max_size=3))
        send(args, query)

    probe()


def _sweep_form(sweep: Sweep, rule, role: str, form: Form | None) -> None:
    client = sweep.clients[role]
    real = sweep.examples.get(rule.endpoint, {}).get(role) or _role_and_args(sweep, rule)[1]
    if form is None:
        form = Form(_path(rule, real), "post", [(name, "1") for name in FORM_NAMES])
    # Empty fields get a plausible value, so that one hostile field gets past the others' checks.
    fields = [
        (name, value or PLAUSIBLE.get(name.rsplit("-", 1)[-1], ""))
        for name, value in form.fields
        if name != "csrf_token"
    ]
    chosen = {name for name, _ in fields}
    fields += [
        (name, PLAUSIBLE.get(name, first))
        for name, first in form.radios.items()
        if name not in chosen
    ]
    if form.button:
        fields.append(form.button)
    names = sorted(
        ({name for name, _ in fields} | form.names | {name for name, _ in form.files})
        - {"csrf_token"}
    ) or ["x"]

    def send(args: dict, hostile: dict) -> None:
        url = _path(rule, args)
        data = MultiDict([(name, hostile.get(name, value)) for name, value in fields])
        for name, value in hostile.items():
            if name not in data:
                data.add(name, value)
        data["csrf_token"] = sweep.tokens[role]
        for name, accept in form.files:
            if name in hostile:
                content = (
                    _csv(list(hostile.values()))
                    if "csv" in accept
                    else hostile[name].encode("utf-8", "surrogatepass")
                )
                data[name] = (io.BytesIO(content), "upload.csv" if "csv" in accept else "photo.jpg")
        sweep.values += len(hostile) + sum(args[name] != real.get(name) for name in args)
        response = client.post(url, data=data, content_type="multipart/form-data")
        sweep.check(response, role, "POST", url, hostile)

    for value in ALWAYS:
        send(dict(real), dict.fromkeys(names, value))
    # Each field alone too, the others plausible, so that it gets past the others' checks: a
    # NUL byte, and one of the other values in turn.
    for index, name in enumerate(names):
        send(dict(real), {name: "a\x00b"})
        send(dict(real), {name: ALWAYS[index % len(ALWAYS)]})
    if rule.arguments:
        send({name: ALWAYS[2] for name in rule.arguments}, {})

    @_settings(EXAMPLES_PER_FORM)
    @given(data=st.data())
    def probe(data):
        chosen = data.draw(st.sets(st.sampled_from(names), min_size=1, max_size=4))
        hostile = {name: data.draw(hostile_values) for name in sorted(chosen)}
        args = {
            name: data.draw(hostile_values) if data.draw(st.integers(0, 4)) == 0 else real[name]
            for name in rule.arguments
        }
        send(args, hostile)

    probe()


class _Remember(logging.Handler):
    def __init__(self, errors: Counter):
        super().__init__(logging.ERROR)
        self.errors = errors

    def emit(self, record):
        if record.exc_info and has_request_context():
            kind = record.exc_info[0]
            self.errors[f"{request.endpoint}: {kind.__module__}.{kind.__name__}"] += 1


def test_no_page_form_or_parameter_answers_with_a_server_error(seeded, make_shop, make_product):
    started = time.monotonic()
    sweep = _prepare(seeded, make_shop, make_product)
    remember = _Remember(sweep.errors)
    seeded.logger.addHandler(remember)
    with seeded.app_context():
        engine = db.engine
    counter = _count_writes(sweep)
    event.listen(engine, "before_cursor_execute", counter)
    sweep.rows = _all_rows(seeded)
    try:
        _crawl(sweep)
        rules = sorted(
            (rule for rule in seeded.url_map.iter_rules() if rule.endpoint not in NEVER),
            key=lambda rule: (any(word in rule.endpoint for word in LAST), rule.endpoint),
        )
        for rule in rules:
            if "GET" in rule.methods:
                _sweep_route(sweep, rule)
        for rule in rules:
            if "POST" in rule.methods:
                role, form = sweep.forms.get(rule.endpoint, (_role_and_args(sweep, rule)[0], None))
                _sweep_form(sweep, rule, role, form)
    finally:
        seeded.logger.removeHandler(remember)
        event.remove(engine, "before_cursor_execute", counter)
    posted = set(sweep.forms)
    print(
        f"\nhostile sweep: {sweep.values} hostile values in {sweep.requests} requests, "
        f"{len(posted)} forms, {len(sweep.failures)} server errors, "
        f"{len(sweep.errors)} distinct, {time.monotonic() - started:.0f} s"
    )
    unread = sorted(
        rule.endpoint
        for rule in seeded.url_map.iter_rules()
        if "POST" in rule.methods and rule.endpoint not in NEVER and rule.endpoint not in posted
    )
    print(f"  posted without a form read from a page: {', '.join(unread)}")
    for error, times in sweep.errors.most_common():
        print(f"  {times:4d} × {error}")
    print(
        f"  {sweep.refused} refused submissions, {len(sweep.half_written)} of them changed rows; "
        f"every table read {sweep.snapshots} times, after requests that wrote"
    )
    for role, url, status, sent, changed in sweep.half_written:
        print(f"  {status} {role} {url} {sent[:80]}\n      {changed}")
    assert not sweep.failures, "\n".join(map(str, sweep.failures[:40]))
    # A refused submission (a 4xx, or the form shown again) leaves every row as it was: a step
    # that fails half-way must not keep its first half.
    assert not sweep.half_written, "\n".join(map(str, sweep.half_written[:20]))
    assert sweep.refused and sweep.snapshots, "the sweep saw refusals and writes to compare"
    # The sweep really reached the seller's, trainee's, trainer's and buyer's forms.
    assert {
        "sellers.bulk_update",
        "sellers.edit_product",  # the listing page's one form: details, variants and photos
        "discounts.new",
        "checkout.start",
    } <= posted
    assert {"inbox.reply", "trainer.new", "accounts.login", "cart.update"} <= posted
    # ...and the organizer's review actions, the seller's offers and quick replies, the buyer's
    # cancel of an unpaid order.
    assert {
        "curation.approve_shop",
        "curation.suspend_shop",
        "curation.approve_listing",
        "curation.reject_listing",
        "discounts.end",
        "inbox.add_quick_reply",
        "seller_orders.refund",
        "checkout.cancel",
    } <= posted
