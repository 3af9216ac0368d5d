"""Simulated customers: fictional buyers who order from a practice shop through the real code.

A practice customer has a Chinese name, a made-up mobile number and an address in one of the
programme's regions. They fill a cart (Cart.practice_shop_id lets it hold the practice shop's
published listings), check out with place_order() and pay through the sandbox's payment event,
exactly as a real buyer's order is placed and paid; the order is a practice order because the shop
is a practice shop. Some scenarios then write to the shop's inbox with post_buyer_message().

Nothing here commits: send_customer() flushes, and raises CustomerNotSent before the caller's
commit when the shop cannot receive that customer, so the caller rolls back and nothing is left.
"""

import random
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from products.divisions import format_address
from products.models import Product, ProductStatus, Shop, Variant
from products.services import purchase_info
from products.shipping import ships_to
from shop.cart import services as carts
from shop.cart.models import Cart
from shop.checkout import payment_events
from shop.checkout.services import CheckoutError, Delivery, place_order
from shop.extensions import db
from shop.messages.models import Message, MessageKind, RequestState, Thread
from shop.messages.services import post_buyer_message
from shop.money import format_fen
from shop.orders.models import Order, OrderStatus
from shop.payments import sandbox_gateway

# --- Scenarios -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioInfo:
    """One kind of practice customer: what they do, and what handling them practises."""

    key: str
    label: str
    practises: str


class Scenario:
    """What the practice customer does."""

    NORMAL = "normal"
    QUESTION = "question"
    ADDRESS_CHANGE = "address_change"
    REFUND_REQUEST = "refund_request"
    OVER_STOCK = "over_stock"
    ALL = (NORMAL, QUESTION, ADDRESS_CHANGE, REFUND_REQUEST, OVER_STOCK)


#: In the order the practice page shows them.
SCENARIOS: tuple[ScenarioInfo, ...] = (
    ScenarioInfo(
        Scenario.NORMAL,
        _l("A normal order"),
        _l("A customer buys one or two of your products and pays. Practise packing and shipping."),
    ),
    ScenarioInfo(
        Scenario.QUESTION,
        _l("A customer with a question"),
        _l(
            "A customer pays and asks something, such as which courier you use or when it ships. "
            "Practise answering from your inbox."
        ),
    ),
    ScenarioInfo(
        Scenario.ADDRESS_CHANGE,
        _l("An address change"),
        _l(
            "The customer of a paid order that has not shipped asks you to send it to another "
            "address. Practise changing it before you ship."
        ),
    ),
    ScenarioInfo(
        Scenario.REFUND_REQUEST,
        _l("A refund request"),
        _l(
            "The customer of a shipped order says the package broke and some are missing. "
            "Practise a partial refund: give back only what is missing. Ship an order first."
        ),
    ),
    ScenarioInfo(
        Scenario.OVER_STOCK,
        _l("More than you have"),
        _l(
            "A customer wants more than your stock, buys what is left and asks when you restock. "
            "Practise keeping stock right and answering."
        ),
    ),
)
BY_KEY: dict[str, ScenarioInfo] = {info.key: info for info in SCENARIOS}


# --- Who the customer is -------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾田"
GIVEN_NAMES = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "秀英", "秀兰", "桂英", "建华", "志强", "海燕", "春梅", "晓燕", "文博", "子涵", "雨桐",
    "浩然", "欣怡", "俊杰", "玉兰", "国强", "红梅", "建军", "小红", "思远", "佳怡",
)  # fmt: skip


@dataclass(frozen=True)
class Place:
    """A county or district of the programme, with streets and villages its people live on."""

    province: str
    city: str
    district: str
    postal_code: str
    streets: tuple[str, ...]


#: The programme's regions (as on the home page): Lingshou, Yan'an, Yiwu, Dangshan, Dege, Chengdu.
PLACES: tuple[Place, ...] = (
    Place("河北省", "石家庄市", "灵寿县", "050500",
          ("灵寿镇城关村", "慈峪镇北庄村", "青同镇南营村", "灵寿镇南大街")),
    Place("陕西省", "延安市", "宝塔区", "716000",
          ("宝塔山街道凤凰山路", "枣园街道裴庄村", "南市街道七里铺", "河庄坪镇李家洼村")),
    Place("浙江省", "金华市", "义乌市", "322000",
          ("稠城街道工人北路", "佛堂镇倍磊村", "福田街道宗泽路", "后宅街道李祖村")),
    Place("安徽省", "宿州市", "砀山县", "235300",
          ("砀城镇梨都大道", "良梨镇良梨村", "园艺场二分场", "李庄镇李庄村")),
    Place("四川省", "甘孜藏族自治州", "德格县", "627250",
          ("更庆镇印经院路", "更庆镇城西街", "龚垭乡龚垭村")),
    Place("四川省", "成都市", "郫都区", "611730",
          ("唐昌街道战旗村", "郫筒街道望丛中路", "团结街道宋家林村")),
    Place("四川省", "成都市", "武侯区", "610041",
          ("浆洗街街道武侯祠大街", "玉林街道玉林北路", "簇桥街道高碑社区")),
)  # fmt: skip

#: What a customer writes with a paid order (the question scenario).
QUESTIONS = (
    "能发顺丰吗？",
    "什么时候发货？",
    "是今年的新货吗？",
    "包装结实吗？路上会不会压坏？",
    "可以帮我写张贺卡吗？是送长辈的。",
)
#: A customer's note for the seller at checkout; mostly none.
NOTES = ("", "", "", "请尽快发货，谢谢！", "送人的，请包装好一点。", "白天家里没人，请放门卫。")
#: How a customer asks for part of their money back after the parcel came broken: {title} is a
#: product they bought, {count} how many are missing (when they bought more than one).
REFUND_REASONS = (
    "{title}的包装破了，少了一些：少了{count}，能把少的那部分退款吗？",
    "{title}的包装破了，少了一些，能退一部分钱吗？",
)
#: Measure words a spec may end with ("一箱", "5斤装礼盒"); others are counted as 份.
MEASURE_WORDS = "箱盒袋罐瓶包份筐桶件套个只条块"
#: The most of one variant a normal customer buys.
MAX_NORMAL_QUANTITY = 3
#: How many more than the stock the over-stock customer wants (at least 1).
OVER_STOCK_EXTRA = (1, 5)


@dataclass(frozen=True)
class Customer:
    """A fictional buyer: who, how to reach them, where the parcel goes."""

    name: str
    phone: str
    place: Place
    street: str

    def address_data(self) -> dict[str, str]:
        """The address in the order's field names (what an address change request carries)."""
        return {
            "contact_name": self.name,
            "phone": self.phone,
            "province": self.place.province,
            "city": self.place.city,
            "district": self.place.district,
            "street": self.street,
            "postal_code": self.place.postal_code,
        }

    @property
    def address_text(self) -> str:
        """The address as a customer writes it in a message."""
        place = self.place
        return f"{format_address(place.province, place.city, place.district, self.street)}（{place.postal_code}）"

    def delivery(self, note: str = "") -> Delivery:
        """What the checkout form would have received: no email, so no mail goes to nobody."""
        return Delivery(
            contact_name=self.name,
            phone=self.phone,
            email="",
            country="中国",
            province=self.place.province,
            city=self.place.city,
            district=self.place.district,
            street=self.street,
            postal_code=self.place.postal_code,
            note=note,
            language="zh",
        )


def chinese_name(rng: random.Random) -> str:
    """A common surname and given name, such as 王秀英 or 李伟."""
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def fictional_mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number (13x–19x) whose middle four digits are 0000.

    It passes the checkout's MAINLAND_MOBILE check; the run of zeros shows a trainer at a glance
    that the number is made up, and nobody should ever call it.
    """
    return f"1{rng.randint(3, 9)}{rng.randint(0, 9)}0000{rng.randint(0, 9999):04d}"


def places_served_by(shop: Shop) -> list[Place]:
    """The programme's places in provinces the shop delivers to."""
    return [place for place in PLACES if ships_to(shop, place.province)]


def street_line(place: Place, rng: random.Random) -> str:
    """A street or village with a house number; in town, sometimes a building and room."""
    name = rng.choice(place.streets)
    street = f"{name}{rng.randint(1, 299)}号"
    if not name.endswith("村") and rng.random() < 0.5:
        street += f"{rng.randint(1, 6)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
    return street


def new_customer(shop: Shop, rng: random.Random) -> "Customer":
    """A fictional customer living somewhere the shop ships to.

    :raises CustomerNotSent: when the shop ships to none of the programme's provinces.
    """
    places = places_served_by(shop)
    if not places:
        raise CustomerNotSent(CustomerNotSent.NO_PLACE)
    place = rng.choice(places)
    return Customer(chinese_name(rng), fictional_mobile(rng), place, street_line(place, rng))


def moved_address(customer: Customer, shop: Shop, rng: random.Random) -> Customer:
    """The same customer at another address the shop ships to (never the one they gave)."""
    places = places_served_by(shop) or [customer.place]
    for _attempt in range(20):
        place = rng.choice(places)
        street = street_line(place, rng)
        if (place, street) != (customer.place, customer.street):
            break
    return Customer(customer.name, customer.phone, place, street)


def measure_word(spec: str) -> str:
    """The unit a customer counts a variant in: the spec's last character when it is one."""
    last = (spec or "").strip()[-1:]
    return last if last and last in MEASURE_WORDS else "份"


# --- What happened -------------------------------------------------------------------------


class CustomerNotSent(Exception):
    """The shop cannot receive this practice customer now; nothing was (or may be) kept."""

    NO_LISTING = "no_listing"
    SOLD_OUT = "sold_out"
    NO_PLACE = "no_place"
    NOT_SHIPPED = "not_shipped"
    CHECKOUT_FAILED = "checkout_failed"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def describe(self) -> str:
        """What the trainee should do, in the reader's language."""
        return {
            self.NO_LISTING: _(
                "No practice customer came: publish a product with stock first, then try again."
            ),
            self.SOLD_OUT: _(
                "No practice customer could buy anything: everything in your shop is sold out. "
                "Add stock to a published product, then try again."
            ),
            self.NO_PLACE: _(
                "No practice customer came: your shop does not ship to any of the programme's "
                "provinces. Check the places you do not ship to in your shop profile."
            ),
            self.NOT_SHIPPED: _(
                "No refund request was sent: ship an order first (a customer asks for a refund "
                "after the parcel arrives)."
            ),
            self.CHECKOUT_FAILED: _(
                "The practice customer could not complete the checkout (stock or prices changed "
                "at that moment). Try again."
            ),
        }[self.reason]


@dataclass
class Outcome:
    """What a practice customer did: the order, and the message they wrote, if any."""

    scenario: str
    order: Order
    customer_name: str
    message: Message | None = None
    #: Over-stock scenario: how many the customer wanted, and how many they could buy.
    wanted: int = 0
    available: int = 0
    #: True when the customer placed a new order (False: they wrote on an existing one).
    new_order: bool = True

    def describe(self) -> str:
        """One sentence for the flash message, in the reader's language."""
        order = self.order
        placed = _(
            "%(name)s placed and paid practice order %(number)s (items: %(count)d, %(total)s).",
            name=self.customer_name,
            number=order.number,
            count=sum(line.quantity for line in order.lines),
            total=format_fen(order.total_fen),
        )
        if self.scenario == Scenario.NORMAL:
            return placed + " " + _("Pack it and ship it from your orders.")
        if self.scenario == Scenario.QUESTION:
            return placed + " " + _("They also asked a question: it waits in the shop's inbox.")
        if self.scenario == Scenario.ADDRESS_CHANGE:
            asked = _(
                "%(name)s asked to change the address of order %(number)s: the request waits "
                "in the shop's inbox.",
                name=self.customer_name,
                number=order.number,
            )
            return (placed + " " + asked) if self.new_order else asked
        if self.scenario == Scenario.REFUND_REQUEST:
            return _(
                "%(name)s asked for a refund of order %(number)s: the request waits in the "
                "shop's inbox.",
                name=self.customer_name,
                number=order.number,
            )
        return (
            placed
            + " "
            + _(
                "They wanted %(wanted)d but only %(available)d were left, so they bought those "
                "and asked when you restock (see the inbox).",
                wanted=self.wanted,
                available=self.available,
            )
        )


# --- Sending a customer --------------------------------------------------------------------


def customer_rng() -> random.Random:
    """The random source for a customer: seeded by PRACTICE_CUSTOMERS_SEED when set (tests)."""
    return random.Random(current_app.config.get("PRACTICE_CUSTOMERS_SEED"))


def in_stock_variants(shop: Shop) -> list[Variant]:
    """The shop's published variants with stock, products loaded, in a stable order.

    :raises CustomerNotSent: NO_LISTING when nothing is published, SOLD_OUT when all is sold.
    """
    products = db.session.scalars(
        select(Product)
        .where(Product.shop_id == shop.id, Product.status == ProductStatus.PUBLISHED)
        .options(selectinload(Product.variants), selectinload(Product.shop))
        .order_by(Product.id)
    ).all()
    if not products:
        raise CustomerNotSent(CustomerNotSent.NO_LISTING)
    variants = [
        variant
        for product in products
        for variant in product.variants
        if purchase_info(variant).available
    ]
    if not variants:
        raise CustomerNotSent(CustomerNotSent.SOLD_OUT)
    return variants


def buy(shop: Shop, customer: Customer, wanted: dict[Variant, int], note: str = "") -> Order:
    """Put what the customer wants in a practice cart, check out and pay in the sandbox. Flushes.

    The cart caps each line at the stock, as it does for every buyer; the cart is deleted once
    it became an order.

    :raises CustomerNotSent: CHECKOUT_FAILED when the checkout refused (stock or prices moved)
        or the payment did not leave the order paid.
    """
    cart = Cart(practice_shop_id=shop.id, token=carts.new_cart_token())
    db.session.add(cart)
    db.session.flush()
    try:
        for variant, quantity in wanted.items():
            carts.add_item(cart, variant, quantity)
        summary = carts.summarize(cart)
        payment = place_order(cart, customer.delivery(note), None, summary.quote, "sandbox")
    except (carts.CartError, CheckoutError) as error:
        raise CustomerNotSent(CustomerNotSent.CHECKOUT_FAILED) from error
    # The sandbox page pays the same way: the paid event goes through the webhook processing.
    payment_events.process_event(sandbox_gateway.paid_event(payment))
    (order,) = payment.orders
    if order.status != OrderStatus.PAID:
        raise CustomerNotSent(CustomerNotSent.CHECKOUT_FAILED)
    db.session.delete(cart)
    db.session.flush()
    return order


def _normal_order(shop: Shop, rng: random.Random) -> tuple[Order, Customer]:
    """One or two in-stock variants, a few of each (never more than the stock)."""
    variants = in_stock_variants(shop)
    customer = new_customer(shop, rng)
    chosen = rng.sample(variants, k=min(len(variants), rng.randint(1, 2)))
    wanted = {
        variant: rng.randint(1, min(purchase_info(variant).stock, MAX_NORMAL_QUANTITY))
        for variant in chosen
    }
    return buy(shop, customer, wanted, note=rng.choice(NOTES)), customer


def _customer_of(order: Order) -> Customer:
    """The customer who placed an order, as the order records them."""
    place = next(
        (
            place
            for place in PLACES
            if (place.province, place.city, place.district)
            == (order.province, order.city, order.district)
        ),
        Place(order.province, order.city, order.district, order.postal_code, (order.street,)),
    )
    return Customer(order.contact_name, order.phone, place, order.street)


def _without_open_request(kind: str):
    """SQL condition: the order has no open request of this kind from its buyer."""
    return ~exists().where(
        Thread.order_id == Order.id,
        Message.thread_id == Thread.id,
        Message.kind == kind,
        Message.request_state == RequestState.OPEN,
    )


def _latest_practice_order(shop: Shop, statuses: tuple[str, ...], request_kind: str):
    """The shop's newest practice order in one of these states with no such open request."""
    return db.session.scalar(
        select(Order)
        .where(
            Order.shop_id == shop.id,
            Order.is_practice.is_(True),
            Order.status.in_(statuses),
            _without_open_request(request_kind),
        )
        .options(selectinload(Order.lines))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
    )


def _over_stock(shop: Shop, rng: random.Random) -> Outcome:
    variants = in_stock_variants(shop)
    customer = new_customer(shop, rng)
    fewest = min(purchase_info(variant).stock for variant in variants)
    variant = rng.choice([v for v in variants if purchase_info(v).stock == fewest])
    wanted = fewest + rng.randint(*OVER_STOCK_EXTRA)
    order = buy(shop, customer, {variant: wanted})
    available = order.lines[0].quantity
    unit = measure_word(variant.spec_zh)
    title = f"{variant.product.title_zh}（{variant.spec_zh}）"
    body = f"我想要{wanted}{unit}{title}，只有{available}{unit}了吗？什么时候补货？"
    message = post_buyer_message(order, body, kind=MessageKind.QUESTION)
    return Outcome(
        Scenario.OVER_STOCK, order, customer.name, message, wanted=wanted, available=available
    )


def refund_reason(order: Order) -> str:
    """The practice customer's complaint: the package broke and some are missing.

    With two or more of the first product, they say how many are missing (one), so the trainee
    refunds that line's quantity; with one, they ask for part of the money (an amount).
    """
    line = order.lines[0]
    if line.quantity >= 2:
        count = f"1{measure_word(line.spec_zh)}"
        return REFUND_REASONS[0].format(title=line.title_zh, count=count)
    return REFUND_REASONS[1].format(title=line.title_zh)


def send_customer(shop: Shop, scenario: str, rng: random.Random | None = None) -> Outcome:
    """Send a practice customer to a practice shop to act out a scenario. Flushes, never commits.

    - normal: buys 1–2 in-stock published variants (1–3 of each, within stock), pays.
    - question: a normal paid order, then a question (kind question) waiting in the inbox.
    - address_change: on the newest paid, not yet shipped practice order with no open address
      request (a new normal order when there is none), asks to send it elsewhere (kind
      address_change; data holds the new address in the order's field names).
    - refund_request: on the newest shipped or delivered practice order with no open refund
      request, says the package broke and some are missing, and asks for that part of the money
      back (kind refund_request; see refund_reason). No such order: NOT_SHIPPED.
    - over_stock: picks the in-stock variant with the least stock and wants 1–5 more than there
      are. The cart caps the line at the stock, as for any buyer, so the customer buys all
      that is left and pays, then asks (kind question) "我想要N…，只有M…了吗？什么时候补货？"
      (M is what the cart let them have: the stock, or MAX_QUANTITY when more is left).
      Stock never goes below zero; with nothing in stock at all, SOLD_OUT and no order.

    :raises ValueError: for a scenario that is not in Scenario.ALL, or a shop that is not a
        practice shop (an exhibitor's real shop never gets simulated customers).
    :raises CustomerNotSent: when the shop cannot receive the customer (nothing published, all
        sold out, no shipped order to complain about...). Objects may have been flushed by then:
        the caller rolls back instead of committing.
    """
    if not shop.is_practice:
        raise ValueError("simulated customers only visit practice shops")
    if scenario not in Scenario.ALL:
        raise ValueError(f"unknown scenario {scenario!r}")
    rng = rng or customer_rng()

    if scenario == Scenario.NORMAL:
        order, customer = _normal_order(shop, rng)
        return Outcome(scenario, order, customer.name)

    if scenario == Scenario.QUESTION:
        order, customer = _normal_order(shop, rng)
        message = post_buyer_message(order, rng.choice(QUESTIONS), kind=MessageKind.QUESTION)
        return Outcome(scenario, order, customer.name, message)

    if scenario == Scenario.ADDRESS_CHANGE:
        order = _latest_practice_order(shop, (OrderStatus.PAID,), MessageKind.ADDRESS_CHANGE)
        new_order = order is None
        if new_order:
            order, customer = _normal_order(shop, rng)
        else:
            customer = _customer_of(order)
        moved = moved_address(customer, shop, rng)
        body = f"不好意思，地址写错了，请改成：{moved.address_text}，谢谢！"
        message = post_buyer_message(
            order, body, kind=MessageKind.ADDRESS_CHANGE, data=moved.address_data()
        )
        return Outcome(scenario, order, customer.name, message, new_order=new_order)

    if scenario == Scenario.REFUND_REQUEST:
        order = _latest_practice_order(
            shop, (OrderStatus.SHIPPED, OrderStatus.DELIVERED), MessageKind.REFUND_REQUEST
        )
        if order is None:
            raise CustomerNotSent(CustomerNotSent.NOT_SHIPPED)
        body = refund_reason(order)
        message = post_buyer_message(order, body, kind=MessageKind.REFUND_REQUEST)
        return Outcome(scenario, order, order.contact_name, message, new_order=False)

    return _over_stock(shop, rng)
