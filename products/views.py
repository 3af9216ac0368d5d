"""The public catalogue blueprint: the exhibition, region, product, shop and category pages.

Every page is rendered in two parts: the blocks every visitor of one language shares (head tags
and main content, cached per catalogue version in products.cache) and the per-visitor shell
(header, flash messages) around them.
"""

import io

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from products import services
from products.addresses import listing_values, named_language, page_links, site_image, site_url
from products.cache import (
    WholePageCache,
    cached_blocks,
    current_version,
    fragment_cache,
    offer_whole_page,
)
from products.images import qr_svg
from products.models import Product, Shop
from products.storage import IMMUTABLE, image_store, media_redirect_url
from products.tile_map import tile_map
from shop.extensions import db
from shop.parsing import id_or_none

bp = Blueprint("catalogue", __name__)


@bp.record_once
def _install_whole_page_cache(state) -> None:
    """Serve repeated anonymous views of storefront pages without running the app (see cache)."""
    state.app.wsgi_app = WholePageCache(state.app, state.app.wsgi_app)


def render_page(template_name: str, key, build) -> Response:
    """A page whose shared blocks come from the cache (or build()'s context) inside the shell."""
    # The canonical link differs between /?lang=zh and / shown in Chinese: keep them apart.
    blocks = cached_blocks(template_name, (key, named_language()), build)
    return offer_whole_page(make_response(render_template("catalogue/_shell.html", blocks=blocks)))


def listing_query(filters: tuple[str, ...] = ()) -> services.ListingQuery:
    """The validated listing parameters of this request; nonsense is a 400 page."""
    try:
        return services.parse_listing(request.args, filters)
    except services.BadParameter as error:
        abort(400, description=error.message)


def _listing(query: services.ListingQuery, endpoint: str, slug: str, **filters) -> dict:
    """What every listing page shows: one page of products, the query and the page's links."""
    page = services.list_products(query, **filters)
    if page.page > page.pages:
        raise NotFound()
    return {
        "page": page,
        "query": query,
        "links": page_links(endpoint, slug=slug, **listing_values(query)),
    }


@bp.get("/")
def home():
    """The exhibition: a few products first, the tile map of the regions, each region's featured
    products, then the partner countries."""

    def build():
        regions = services.regions()
        featured = services.featured_by_region()
        exhibition = [region for region in regions if not region.coming_soon]
        pictures = [p.ready_images[0] for g in featured.values() for p in g if p.ready_images]
        return {
            "regions": exhibition,
            "partners": [region for region in regions if region.coming_soon],
            "featured": featured,
            # Each region's first featured product, in region order: the first screen on a phone.
            "highlights": [featured[r.id][0] for r in exhibition if featured.get(r.id)],
            "categories": services.categories(),
            "map": tile_map(exhibition),
            "links": page_links("catalogue.home"),
            "image_url": site_image(pictures[0]) if pictures else None,
        }

    return render_page("catalogue/home.html", "home", build)


class _ComingSoon(Exception):
    """The region asked for is a partner country: it has its own page."""


@bp.get("/regions/<slug>")
def region(slug: str):
    """A region's story and all its published products, filtered, sorted and paginated; a
    partner country (coming soon) shows what the programme plans there and a sign-up form."""
    try:
        query, problem = services.parse_listing(request.args, ("category",)), None
    except services.BadParameter as error:
        # Only a listing reads these: a partner country's page ignores them (shared links).
        query, problem = None, error

    def build():
        place = services.region_by_slug(slug)
        if place is None:
            raise NotFound()
        if place.coming_soon:
            raise _ComingSoon()
        if problem is not None:
            abort(400, description=problem.message)
        category = None
        if query.category:
            category = services.category_by_slug(query.category)
            if category is None:
                raise NotFound()
        return {
            "region": place,
            "category": category,
            "categories": services.categories(),
            **_listing(query, "catalogue.region", slug, region=place, category=category),
        }

    try:
        return render_page("catalogue/region.html", ("region", slug, query), build)
    except _ComingSoon:
        return coming_soon(slug)


def coming_soon(slug: str) -> Response:
    """A partner country's page: what the programme plans there, and "tell me when it opens"."""

    def build():
        place = services.region_by_slug(slug)
        if place is None or not place.coming_soon:
            raise NotFound()
        return {
            "region": place,
            "links": page_links("catalogue.region", slug=slug),
            "form_values": {},
            "form_errors": {},
        }

    return render_page("catalogue/coming_soon.html", ("coming-soon", slug), build)


@bp.get("/categories/<slug>")
def category(slug: str):
    """Products of one category across regions."""
    query = listing_query()

    def build():
        kind = services.category_by_slug(slug)
        if kind is None:
            raise NotFound()
        return {"category": kind, **_listing(query, "catalogue.category", slug, category=kind)}

    return render_page("catalogue/category.html", ("category", slug, query), build)


@bp.get("/shops/<slug>")
def shop(slug: str):
    """An exhibitor's shop: its story, region, masked phone, shipping rule and products."""
    query = listing_query()

    def build():
        seller = services.public_shop(slug)
        if seller is None:
            raise NotFound()
        return {
            "shop": seller,
            "phone": services.masked_phone(seller.contact_phone),
            **_listing(query, "catalogue.shop", slug, shop=seller),
        }

    return render_page("catalogue/shop.html", ("shop", slug, query), build)


@bp.get("/products/<int:product_id>-<slug>")
@bp.get("/products/<int:product_id>")
def product(product_id: int, slug: str | None = None):
    """A product page; a wrong or missing slug redirects (301) to the canonical address."""
    variant_id = id_or_none(request.args.get("variant"))
    canonical_slug = _public_slug(product_id)
    if canonical_slug is None:
        abort(404)
    if slug != canonical_slug:
        kept = {key: value for key, value in request.args.items() if key in ("lang", "variant")}
        return redirect(
            url_for("catalogue.product", product_id=product_id, slug=canonical_slug, **kept),
            code=301,
        )

    def build():
        item = services.public_product(product_id)
        if item is None:
            raise NotFound()
        chosen = services.default_variant(item, variant_id)
        return {
            "product": item,
            "chosen": chosen,
            "links": page_links("catalogue.product", product_id=item.id, slug=item.slug),
            "absolute_url": site_url("catalogue.product", product_id=item.id, slug=item.slug),
            "image_url": site_image(item.ready_images[0]) if item.ready_images else None,
        }

    return render_page("catalogue/product.html", ("product", product_id, variant_id), build)


def _public_slug(product_id: int) -> str | None:
    """The slug of a public product (one cached lookup per version), or None."""

    def lookup():
        return db.session.scalar(
            select(Product.slug)
            .join(Product.shop)
            .where(Product.id == product_id, services.public_clause())
        )

    # Unknown ids are not kept (fetch keeps no None), so guessing ids cannot fill the cache.
    return fragment_cache().fetch(("slug", product_id), current_version(), lookup)


@bp.get("/products/<int:product_id>/qr.svg")
def product_qr(product_id: int):
    """The product page's address as a QR code (SVG), for sharing to WeChat from a computer."""
    slug = _public_slug(product_id)
    if slug is None:
        abort(404)
    address = site_url("catalogue.product", product_id=product_id, slug=slug)
    response = Response(qr_svg(address), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/media/<name>")
def media(name: str):
    """Serve a stored image rendition with long-lived caching, or send the browser to MEDIA_URL."""
    if not name.endswith(".webp"):
        abort(404)
    try:
        public = media_redirect_url(name)
        # No look-up in the store first: that would cost the round trip the redirect saves.
        # A missing file is then the public store's 404.
        body = None if public else image_store().read(name)
    except ValueError:
        abort(404)
    if public:
        response = redirect(public, 302)
        # The address of a name only changes with MEDIA_URL itself: let browsers keep it a day.
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response
    if body is None:
        abort(404)
    # Renditions are small: answering from memory leaves no file open when a phone drops the
    # connection mid-download, and the content-hash name is a perfect ETag.
    response = send_file(
        io.BytesIO(body),
        mimetype="image/webp",
        etag=name,
        conditional=True,
        max_age=31536000,
    )
    response.headers["Cache-Control"] = IMMUTABLE
    return response


@bp.get("/sitemap.xml")
def sitemap():
    """Every public page in both languages, for search engines."""

    def build():
        entries = [(site_url("catalogue.home"), None)]
        entries += [
            (site_url("catalogue.region", slug=region.slug), None)
            for region in services.regions()
            if not region.coming_soon
        ]
        entries += [
            (site_url("catalogue.category", slug=kind.slug), None) for kind in services.categories()
        ]
        shops = db.session.execute(
            select(Shop.slug, Shop.updated_at)
            .where(services.shop_is_public_clause())
            .order_by(Shop.id)
        )
        entries += [(site_url("catalogue.shop", slug=s), updated) for s, updated in shops]
        products = db.session.execute(
            select(Product.id, Product.slug, Product.updated_at)
            .join(Product.shop)
            .where(services.public_clause())
            .order_by(Product.id)
        )
        entries += [
            (site_url("catalogue.product", product_id=pid, slug=pslug), updated)
            for pid, pslug, updated in products
        ]
        return render_template("catalogue/sitemap.xml", entries=entries)

    body = fragment_cache().fetch(("sitemap", request.host_url), current_version(), build)
    return Response(body, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    """Crawlers may read the storefront; the sitemap lists it."""
    lines = [
        "User-agent: *",
        "Disallow: /organize/",
        "Disallow: /api/",
        f"Sitemap: {site_url('catalogue.sitemap')}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
