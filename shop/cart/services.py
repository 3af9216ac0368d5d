"""Cart rules: adding, changing and merging lines; what the cart costs and what is wrong with it.

Prices and availability always come from products.services.purchase_info(), read from the
database at every step: nothing a browser sends is taken as a price.

A limited-time discount with a cap prices a line at the discount price only when the whole line
fits in what is left under the cap (lines of the cart take from it in the order they were added);
otherwise the line is at the regular price and the cart says so. One order line then has one
unit price and one discount, and the cap counts whole lines, never a line split in two prices.

Every change to a cart's lines first locks the cart's row (lock_cart), the way the checkout does,
and reads the lines again under the lock: two requests for the same cart take turns. An
add-to-cart form carries a one-time token (new_form_token()); the line it added keeps it, so the
same form sent again (a double tap, a retry after a timeout) finds it under the lock and adds
nothing, while a form rendered afresh adds again.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload

from products.models import Product, ProductStatus, Shop, Variant
from products.services import ActiveDiscount, is_public, purchase_info
from products.shipping import shipping_fee_fen
from shop.cart.models import Cart, CartLine
from shop.extensions import db
from shop.models_base import made_once, utcnow

#: The most of one variant a cart line may hold (a farm shop is not a wholesaler).
MAX_QUANTITY = 99
#: The most different variants one cart may hold.
MAX_LINES = 50


class CartError(Exception):
    """A cart change that cannot be made; the view turns it into a message."""


class NotForSale(CartError):
    """The variant's listing is not public (a draft, archived, or a practice shop's)."""


class SoldOut(CartError):
    """No stock left of the variant."""


class CartFull(CartError):
    """The cart already holds MAX_LINES different variants."""


class Problem:
    """What can be wrong with a cart line. The first three block checkout."""

    UNAVAILABLE = "unavailable"
    SOLD_OUT = "sold_out"
    NOT_ENOUGH = "not_enough"
    PRICE_CHANGED = "price_changed"
    #: The variant has a discount, but the line is more than is left under its cap.
    OVER_DISCOUNT_CAP = "over_discount_cap"
    BLOCKING = (UNAVAILABLE, SOLD_OUT, NOT_ENOUGH)


@dataclass
class CartItem:
    """One cart line with its current price, stock and problems."""

    line: CartLine
    variant: Variant
    product: Product
    unit_price_fen: int
    stock: int
    problems: list[str]
    #: The variant's regular price (shown struck through when the line is discounted).
    regular_price_fen: int = 0
    #: The discount this line is priced under, or None.
    discount: ActiveDiscount | None = None
    #: With OVER_DISCOUNT_CAP: how many units this line could still have at the discount price.
    discount_units_left: int = 0

    @property
    def quantity(self) -> int:
        return self.line.quantity

    @property
    def line_total_fen(self) -> int:
        return self.unit_price_fen * self.line.quantity

    @property
    def previous_price_fen(self) -> int:
        """The price the buyer saw before it changed."""
        return self.line.price_seen_fen

    @property
    def blocked(self) -> bool:
        return any(problem in Problem.BLOCKING for problem in self.problems)


@dataclass
class ShopGroup:
    """The lines of one shop: they become one order."""

    shop: Shop
    items: list[CartItem] = field(default_factory=list)

    @property
    def items_fen(self) -> int:
        return sum(item.line_total_fen for item in self.items)

    @property
    def shipping_fen(self) -> int:
        return shipping_fee_fen(self.shop, self.items_fen)

    @property
    def total_fen(self) -> int:
        return self.items_fen + self.shipping_fen


@dataclass
class CartSummary:
    """The whole cart, grouped by shop, priced now."""

    groups: list[ShopGroup]

    @property
    def items(self) -> list[CartItem]:
        return [item for group in self.groups for item in group.items]

    @property
    def count(self) -> int:
        return sum(item.quantity for item in self.items)

    @property
    def items_fen(self) -> int:
        return sum(group.items_fen for group in self.groups)

    @property
    def shipping_fen(self) -> int:
        return sum(group.shipping_fen for group in self.groups)

    @property
    def total_fen(self) -> int:
        return self.items_fen + self.shipping_fen

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def blocked(self) -> bool:
        """True when some line must be fixed before checkout."""
        return any(item.blocked for item in self.items)

    @property
    def quote(self) -> str:
        """A digest of what the buyer is shown (lines, quantities, prices, shipping).

        The checkout form carries it back; a different digest at placing time means something
        changed in between, and the buyer is shown the new figures instead of being charged them.
        """
        parts = [
            f"{item.variant.id}x{item.quantity}@{item.unit_price_fen}" for item in self.items
        ] + [f"s{group.shop.id}:{group.shipping_fen}" for group in self.groups]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def new_cart_token() -> str:
    """A random value for an anonymous visitor's cart cookie."""
    return secrets.token_urlsafe(32)


_FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_form_token() -> str:
    """A one-time token for one rendered add-to-cart form."""
    return secrets.token_urlsafe(18)


def form_token_or_none(value: str | None) -> str | None:
    """The add-to-cart form's token when it looks like one of ours; anything else is None."""
    return value if value and _FORM_TOKEN.fullmatch(value) else None


def cart_token_for_form(form_token: str, secret: str, session_key: str) -> str:
    """The cookie value of the cart an add-to-cart form makes for a visitor without one.

    Derived from the form's token (and this browser session's key), so the same form sent
    several times at once makes one cart, not one per copy: the copies meet on the cart
    token's unique rule. Unguessable without the server's secret.
    """
    message = f"cart|{session_key}|{form_token}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:43]


def lock_cart(cart: Cart) -> None:
    """Hold the cart's row until commit; a second change of the same cart waits here. Flushes.

    An UPDATE rather than SELECT ... FOR UPDATE because it locks on SQLite too (the first write
    takes the database's write lock), and what is read after it is what the other request left.
    """
    db.session.execute(
        update(Cart)
        .where(Cart.id == cart.id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    # The lines as the request before this one left them.
    db.session.expire(cart, ["lines"])


def cart_for_user(user_id: int, create: bool = False) -> Cart | None:
    """A customer's cart (made when `create` and there is none yet). Flushes when it makes one."""

    def find():
        return db.session.scalar(select(Cart).where(Cart.user_id == user_id))

    if not create:
        return find()
    return made_once(find, lambda: Cart(user_id=user_id))


def cart_for_token(token: str | None) -> Cart | None:
    """An anonymous visitor's cart by its cookie value, or None."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Cart).where(Cart.token == token, Cart.user_id.is_(None)))


def new_anonymous_cart(token: str | None = None) -> Cart:
    """A cart for a visitor who is not logged in, by its cookie value (default: a new random
    one); the existing cart when another request just made the one with this value. Flushes."""
    token = token or new_cart_token()
    return made_once(lambda: cart_for_token(token), lambda: Cart(token=token))


def item_count(cart_id: int) -> int:
    """How many units the cart holds (the number in the header)."""
    return db.session.scalar(
        select(func.coalesce(func.sum(CartLine.quantity), 0)).where(CartLine.cart_id == cart_id)
    )


def sellable_in(cart: Cart, product: Product) -> bool:
    """True when this cart may hold the product.

    That is a public listing, or, in a simulated practice customer's cart, a published listing
    of that one practice shop.
    """
    if is_public(product):
        return True
    return (
        cart.practice_shop_id is not None
        and product.shop_id == cart.practice_shop_id
        and product.status == ProductStatus.PUBLISHED
    )


def buyable_variant(variant_id: int) -> Variant | None:
    """A variant with its product and shop loaded, or None when there is no such variant."""
    return db.session.scalar(
        select(Variant)
        .where(Variant.id == variant_id)
        .options(joinedload(Variant.product).joinedload(Product.shop))
    )


def add_item(
    cart: Cart, variant: Variant, quantity: int, form_token: str | None = None
) -> CartLine:
    """Put `quantity` of a variant in the cart (added to what is there), within stock. Flushes.

    The line never holds more than the stock or MAX_QUANTITY; the returned line's quantity says
    how many it holds now. With the add-to-cart form's one-time `form_token`, a form already
    added (the line keeps its token) returns the line unchanged.

    :raises NotForSale: when the listing is not public.
    :raises SoldOut: when none is left.
    :raises CartFull: when the cart already holds MAX_LINES other variants.
    """
    lock_cart(cart)
    line = next((line for line in cart.lines if line.variant_id == variant.id), None)
    if form_token is not None and line is not None and line.form_token == form_token:
        return line
    if not sellable_in(cart, variant.product):
        raise NotForSale()
    info = purchase_info(variant)
    if not info.available:
        raise SoldOut()
    if line is None:
        if len(cart.lines) >= MAX_LINES:
            raise CartFull()
        line = CartLine(variant_id=variant.id, quantity=0)
        cart.lines.append(line)
    line.quantity = max(1, min(line.quantity + max(quantity, 1), info.stock, MAX_QUANTITY))
    line.price_seen_fen = info.price_fen
    line.form_token = form_token
    db.session.flush()
    if _capped(info.discount):
        _show_price(cart, line)
    return line


def set_quantity(cart: Cart, line_id: int, quantity: int) -> CartLine | None:
    """Change a line's quantity (0 removes it), within stock and MAX_QUANTITY. Flushes.

    Returns the line, or None when it was removed or is not in this cart. The buyer has now seen
    the current price, so the line stops being flagged as changed. The same change sent twice
    at once is made once: the second finds the line already changed (or gone) under the lock.
    """
    lock_cart(cart)
    line = next((line for line in cart.lines if line.id == line_id), None)
    if line is None:
        return None
    if quantity <= 0:
        cart.lines.remove(line)
        db.session.flush()
        return None
    info = purchase_info(line.variant)
    line.quantity = max(1, min(quantity, MAX_QUANTITY, info.stock or quantity))
    line.price_seen_fen = info.price_fen
    db.session.flush()
    if _capped(info.discount):
        _show_price(cart, line)
    return line


def _capped(discount: ActiveDiscount | None) -> bool:
    """True when the line's price depends on the other lines: its discount has a cap to share.

    Otherwise the whole cart prices the line exactly as purchase_info() did.
    """
    return discount is not None and discount.units_left is not None


def _show_price(cart: Cart, line: CartLine) -> None:
    """Record the line's price, as the whole cart prices it now, as the one the buyer saw."""
    # Priced with the other lines, which may have taken some of a discount's cap first.
    item = next(item for item in summarize(cart).items if item.line.id == line.id)
    line.price_seen_fen = item.unit_price_fen
    db.session.flush()


def remove_line(cart: Cart, line_id: int) -> None:
    """Take a line out of the cart (no-op when it is not there). Flushes."""
    set_quantity(cart, line_id, 0)


def empty(cart: Cart) -> None:
    """Remove every line (after they became orders). Flushes."""
    db.session.execute(delete(CartLine).where(CartLine.cart_id == cart.id))
    db.session.expire(cart, ["lines"])
    db.session.flush()


def merge(source: Cart, target: Cart) -> None:
    """Move an anonymous cart's lines into a customer's cart and delete it. Flushes.

    Quantities of the same variant add up (capped at MAX_QUANTITY; stock is flagged in the cart).
    """
    for line in list(source.lines):
        existing = next((own for own in target.lines if own.variant_id == line.variant_id), None)
        if existing is not None:
            existing.quantity = min(existing.quantity + line.quantity, MAX_QUANTITY)
            existing.price_seen_fen = line.price_seen_fen
        elif len(target.lines) < MAX_LINES:
            target.lines.append(
                CartLine(
                    variant_id=line.variant_id,
                    quantity=line.quantity,
                    price_seen_fen=line.price_seen_fen,
                )
            )
    db.session.delete(source)
    db.session.flush()


def summarize(cart: Cart | None, now: datetime | None = None) -> CartSummary:
    """The cart grouped by shop with prices at `now` (default: now) and each line's problems.

    One query for the lines and one for their discounts, however many lines there are.
    """
    if cart is None or cart.id is None:
        return CartSummary(groups=[])
    lines = db.session.scalars(
        select(CartLine)
        .where(CartLine.cart_id == cart.id)
        .options(joinedload(CartLine.variant).joinedload(Variant.product).joinedload(Product.shop))
        .order_by(CartLine.id)
        # Fresh rows, never what an earlier read in this request left (stock, a line removed by
        # a checkout that just committed).
        .execution_options(populate_existing=True)
    ).all()
    groups: dict[int, ShopGroup] = {}
    #: Units left under each capped discount after the lines before this one took theirs.
    cap_left: dict[int, int] = {}
    for line in lines:
        variant = line.variant
        product = variant.product
        info = purchase_info(variant, now)
        problems = []
        if not sellable_in(cart, product):
            problems.append(Problem.UNAVAILABLE)
        elif not info.available:
            problems.append(Problem.SOLD_OUT)
        elif line.quantity > info.stock:
            problems.append(Problem.NOT_ENOUGH)
        discount, unit_price_fen, units_left = info.discount, info.price_fen, 0
        if discount is not None and discount.units_left is not None:
            units_left = cap_left.setdefault(discount.id, discount.units_left)
            if line.quantity <= units_left:
                cap_left[discount.id] = units_left - line.quantity
            else:
                discount, unit_price_fen = None, info.regular_price_fen
                problems.append(Problem.OVER_DISCOUNT_CAP)
        if unit_price_fen != line.price_seen_fen:
            problems.append(Problem.PRICE_CHANGED)
        group = groups.setdefault(product.shop_id, ShopGroup(shop=product.shop))
        group.items.append(
            CartItem(
                line=line,
                variant=variant,
                product=product,
                unit_price_fen=unit_price_fen,
                stock=info.stock,
                problems=problems,
                regular_price_fen=info.regular_price_fen,
                discount=discount,
                discount_units_left=units_left,
            )
        )
    return CartSummary(groups=list(groups.values()))
