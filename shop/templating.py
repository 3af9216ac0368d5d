"""Everything templates call: the globals, filters and context processors, in one place.

`register(app)` installs them; `create_app` calls it once. Helpers live where their logic
belongs (products.addresses, products.presentation, ...) and are only registered here. Packages
above this one in the layers (accounts, orders, cart, messages, training) add their own few
globals from their `init_app`, so that this module depends on no feature above the catalogue.
"""

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask, request, url_for
from flask_babel import get_locale

from products import addresses, presentation, services
from products.navigation import header_catalogue
from products.search import service as search_service
from shop.models_base import as_utc
from shop.money import fen_to_decimal_text, format_fen

#: The programme runs in China: times are shown, and typed, as Beijing time.
BEIJING = ZoneInfo("Asia/Shanghai")


def localtime(moment) -> str:
    """A stored UTC time as Beijing time, e.g. 2026-11-28 14:05 (the programme is in China)."""
    if moment is None:
        return ""
    return as_utc(moment).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def language_url(code: str) -> str:
    """The link that switches to a language and comes back to this page, now in that language."""
    # Without its ?lang=, which outranks the cookie just set: /?lang=zh would stay Chinese.
    kept = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    back = request.path + ("?" + urlencode(kept) if kept else "")
    return url_for("site.switch_language", code=code, next=back)


def alternate_url(code: str) -> str:
    """This page's address in one language (for hreflang and canonical links)."""
    args = {key: value for key, value in request.args.items() if key != "lang"}
    args["lang"] = code
    return url_for(request.endpoint, _external=True, **(request.view_args or {}), **args)


def inject_language() -> dict:
    """The page's language and the links that switch it, for the header and hreflang tags."""
    language = str(get_locale() or "zh")
    return {
        "current_language": "en" if language.startswith("en") else "zh",
        "language_url": language_url,
        "alternate_url": alternate_url,
    }


#: Template name -> function, for every global of the catalogue and the site.
GLOBALS = {
    # Addresses of catalogue pages and images.
    "site_image": addresses.site_image,
    "product_url": addresses.product_url,
    "listing_url": addresses.listing_url,
    "image_sources": addresses.image_sources,
    "thumbnail_url": addresses.thumbnail_url,
    "search_args": search_service.query_args,
    "search_url": search_service.search_url,
    # What a product card or page shows.
    "product_json_ld": presentation.product_json_ld,
    "sort_label": presentation.sort_label,
    "stock_label": presentation.stock_label,
    "lowest_price": services.lowest_price_fen,
    "product_in_stock": services.in_stock,
    "purchase_info": services.purchase_info,
    # Product cards mark a product sold at a discount price right now.
    "product_discount": services.current_discount,
    "header_catalogue": header_catalogue,
}

FILTERS = {
    "money": format_fen,
    # Prices in inputs and CSV cells are plain yuan (39.90), not the ¥ text of the money filter.
    "yuan_text": fen_to_decimal_text,
    "localtime": localtime,
}


def register(app: Flask) -> None:
    """Install the template globals, filters and context processor on the app."""
    for name, function in GLOBALS.items():
        app.add_template_global(function, name)
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)
    app.context_processor(inject_language)
