"""The seller workspace (/sell): the shop profile, listings, variants, photos, stock and CSV.

Exhibitors and trainees use the very same pages; a trainee's shop is a practice shop that never
shows publicly. Any id that is not the current seller's answers 404, whoever it belongs to.
"""

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from wtforms import SelectChoice

from products import price_range
from products import services as catalogue
from products.addresses import thumbnail_url
from products.images import ImageRejected, ProcessedImage
from products.models import Product, ProductStatus, ShopKind
from shop.accounts.auth import role_required
from shop.accounts.models import Role
from shop.extensions import db
from shop.models_base import current_language
from shop.money import InvalidMoney, MoneyTooLarge, fen_to_decimal_text, format_fen, parse_money
from shop.parsing import NotAWholeNumber, id_or_none, whole_number, whole_number_or
from shop.sellers import csv_io, pending_photos, services
from shop.sellers.access import own_product_or_404, shop_required
from shop.sellers.blueprint import bp
from shop.sellers.forms import (
    MOST_UNITS,
    ImportForm,
    ListingForm,
    NewListingForm,
    PhotoForm,
    ShopForm,
    VariantForm,
)

#: The biggest CSV file accepted (a shop's whole catalogue is a few hundred kilobytes).
MAX_CSV_BYTES = 2 * 1024 * 1024


def _own_or_404(lookup, *args):
    try:
        return lookup(*args)
    except services.NotYours:
        abort(404)


# --- Photos ----------------------------------------------------------------------------------


def _photo_problem(error: ImageRejected, filename: str) -> tuple[str, int]:
    """A message the seller can act on, and the status code of the refusal."""
    name = filename or _("The photo")
    megabytes = current_app.config["MAX_IMAGE_BYTES"] // (1024 * 1024)
    if error.reason == "too_large":
        return _(
            "%(name)s is larger than %(size)d MB. Choose a smaller photo, or send it at a lower size.",
            name=name,
            size=megabytes,
        ), 413
    if error.reason == "too_many_pixels":
        return _(
            "%(name)s has more than 40 megapixels. Resize it to at most 40 megapixels and try again.",
            name=name,
        ), 422
    if error.reason == "damaged":
        return _(
            "%(name)s seems damaged or incomplete. Take or export the photo again.", name=name
        ), 422
    return _(
        "%(name)s is not a photo we can read. Use a JPEG, PNG or WebP picture.", name=name
    ), 422


def _store_uploads(
    files: list[FileStorage], store=services.store_original
) -> tuple[list[ProcessedImage], str | None, int]:
    """Verify and store each uploaded photo: (photos, problem message or None, status).

    A listing's photos are kept as originals for the renditions job (`store_original`); a
    shop's logo is processed at once (`services.store_photo`). All or nothing: when one photo
    is refused, those already stored are removed again.
    """
    max_bytes = current_app.config["MAX_IMAGE_BYTES"]
    photos: list[ProcessedImage] = []
    for upload in files:
        # Read at most one byte more than allowed: enough to know it is too big.
        data = upload.stream.read(max_bytes + 1)
        try:
            photos.append(store(data, max_bytes))
        except ImageRejected as error:
            services.delete_unused_photo_files((photo.key, photo.width) for photo in photos)
            message, status = _photo_problem(error, upload.filename or "")
            return [], message, status
    return photos, None, 200


def _chosen_files(field) -> list[FileStorage]:
    """The files actually chosen in a file field (browsers send an empty part when none)."""
    data = field.data if isinstance(field.data, list) else [field.data]
    return [item for item in data if isinstance(item, FileStorage) and item.filename]


# --- Shop ------------------------------------------------------------------------------------


# The workspace's front door, /sell/, is the home board in shop/sellers/home_views.py.


def _shop_form(shop) -> ShopForm:
    form = ShopForm()
    form.region.choices = [
        SelectChoice(region.id, region.localized("name"))
        for region in services.selectable_regions()
    ]
    form.no_shipping_regions.choices = [
        SelectChoice(zh, zh if current_language() == "zh" else en) for zh, en in services.PROVINCES
    ]
    if request.method == "GET" and shop is not None:
        form.name_zh.data = shop.name_zh
        form.name_en.data = shop.name_en
        form.region.data = shop.region_id
        form.story_zh.data = shop.story_zh
        form.story_en.data = shop.story_en
        form.contact_phone.data = shop.contact_phone
        form.shipping_fee.data = fen_to_decimal_text(shop.shipping_fee_fen)
        form.free_shipping_over.data = (
            fen_to_decimal_text(shop.free_shipping_over_fen)
            if shop.free_shipping_over_fen is not None
            else ""
        )
        form.no_shipping_regions.data = services.no_shipping_list(shop)
        form.dispatch_days.data = shop.dispatch_days
    return form


@bp.route("/shop", methods=["GET", "POST"])
@role_required(Role.EXHIBITOR, Role.TRAINEE)
def shop():
    """Open the shop (the first time) or edit its profile."""
    shop = services.shop_of(current_user)
    form = _shop_form(shop)
    status = 200
    if form.validate_on_submit():
        logo_key = None
        problem = None
        logos = _chosen_files(form.logo)
        if logos:
            photos, problem, status = _store_uploads(logos[:1], services.store_photo)
            logo_key = photos[0].key if photos else None
        if problem:
            form.logo.errors.append(problem)
        else:
            details = services.ShopDetails(
                name_zh=form.name_zh.data or "",
                name_en=form.name_en.data or "",
                region_id=form.region.data,
                story_zh=form.story_zh.data or "",
                story_en=form.story_en.data or "",
                contact_phone=form.contact_phone.data or "",
                shipping_fee_fen=form.shipping_fee.fen or 0,
                free_shipping_over_fen=form.free_shipping_over.fen,
                no_shipping_regions=tuple(form.no_shipping_regions.data or ()),
                dispatch_days=form.dispatch_days.data
                if form.dispatch_days.raw_data
                else (shop.dispatch_days if shop else 2),
            )
            if shop is None:
                shop = services.open_shop(current_user, details, logo_key)
                db.session.commit()
                flash(
                    _("Your practice shop is open. Add your first product.")
                    if shop.is_practice
                    else _("Your shop is open. Add your first product.")
                )
                return redirect(url_for("sellers.new_product"))
            services.update_shop(shop, details, logo_key)
            db.session.commit()
            flash(_("Shop profile saved."))
            return redirect(url_for("sellers.shop"))
    return render_template(
        "sellers/shop.html",
        form=form,
        shop=shop,
        practice=shop.is_practice
        if shop
        else services.shop_kind_for(current_user) == ShopKind.PRACTICE,
        masked_phone=catalogue.masked_phone(shop.contact_phone) if shop else "",
    ), status


# --- Listings --------------------------------------------------------------------------------


def _filters() -> tuple[str | None, str | None]:
    status = request.args.get("status")
    stock = request.args.get("stock")
    return (
        status if status in ProductStatus.ALL else None,
        stock if stock in services.STOCK_FILTERS else None,
    )


def _render_products(submitted=None, errors=None, status=200):
    status_filter, stock_filter = _filters()
    products = services.seller_products(g.shop, status_filter, stock_filter)
    return render_template(
        "sellers/products.html",
        shop=g.shop,
        products=products,
        quality={product.id: catalogue.quality_score(product) for product in products},
        counts=services.count_by_status(g.shop),
        status_filter=status_filter,
        stock_filter=stock_filter,
        submitted=submitted or {},
        errors=errors or {},
    ), status


@bp.get("/products")
@shop_required
def products():
    """The seller's listings with their quality score, filtered by status and stock."""
    return _render_products()


def _read_bulk_changes() -> tuple[dict[int, tuple[int, int]], dict[str, str]]:
    """{variant id: (price fen, stock)} from the list page's inputs, and any field errors."""
    changes: dict[int, tuple[int, int]] = {}
    errors: dict[str, str] = {}
    for name, value in request.form.items():
        if not name.startswith("price-"):
            continue
        variant_id = id_or_none(name.removeprefix("price-"))
        if variant_id is None:
            abort(404)
        try:
            price_fen = parse_money(value)
        except MoneyTooLarge:
            price_fen = None
            errors[name] = _("This amount is too large: enter at most 99,999,999.99 yuan.")
        except InvalidMoney:
            price_fen = 0
        if price_fen is not None and price_fen <= 0:
            errors[name] = _("Enter a price in yuan above 0, like 39.9.")
        try:
            stock = whole_number(request.form.get(f"stock-{variant_id}"), most=MOST_UNITS)
        except NotAWholeNumber:
            errors[f"stock-{variant_id}"] = _("Enter a whole number (0 or more).")
        if not errors:
            changes[variant_id] = (price_fen, stock)
    return changes, errors


@bp.post("/products")
@shop_required
def bulk_update():
    """Save the stock and price changes made on the list page, all or none."""
    changes, errors = _read_bulk_changes()
    if errors:
        flash(_("Nothing was saved: check the fields marked below."), "error")
        return _render_products(submitted=request.form, errors=errors, status=422)
    try:
        changed = services.update_stock_and_prices(g.shop, changes)
    except services.NotYours:
        abort(404)
    db.session.commit()
    flash(_("Saved %(count)d changes.", count=changed))
    status_filter, stock_filter = _filters()
    return redirect(url_for("sellers.products", status=status_filter, stock=stock_filter))


def _category_choices() -> list[SelectChoice]:
    return [SelectChoice(0, _("Choose a category"))] + [
        SelectChoice(category.id, category.localized("name")) for category in catalogue.categories()
    ]


def _listing_details(form: ListingForm) -> services.ListingDetails:
    return services.ListingDetails(
        title_zh=form.title_zh.data or "",
        title_en=form.title_en.data or "",
        description_zh=form.description_zh.data or "",
        description_en=form.description_en.data or "",
        category_id=form.category.data or None,
        tags=form.tags.data or "",
    )


def _variant_details(form: VariantForm) -> services.VariantDetails:
    return services.VariantDetails(
        spec_zh=form.spec_zh.data or "",
        spec_en=form.spec_en.data or "",
        price_fen=form.price.fen,
        stock=form.stock.data,
        weight_g=form.weight_g.data,
        sku=(form.sku.data or "").strip() or None,
    )


def _kept_photos(field, *, one: bool = False):
    """Photos the form carries (pending tokens) plus those chosen now, stored at once.

    Returns (pending photos, problem message or None, status). Storing at once means a form sent
    back for any reason still holds its photos; a photo chosen now replaces a kept one when the
    form takes only one.
    """
    kept = pending_photos.read_tokens(g.shop, request.form.getlist("pending_photo"))
    files = _chosen_files(field)[: 1 if one else None]
    stored, problem, status = _store_uploads(files)
    fresh = [
        pending_photos.pending(g.shop, photo, upload.filename or "")
        for photo, upload in zip(stored, files, strict=False)
    ]
    if one and (fresh or problem):
        kept = []
    keys = {photo.key for photo in kept}
    return kept + [photo for photo in fresh if photo.key not in keys], problem, status


def _prices_confirmed(listing_form: ListingForm, price_fields: list) -> bool:
    """False (with a message on each) when typed prices are far from the category's usual range
    and the seller has not yet ticked that they are right."""
    category_id = listing_form.category.data or None
    if listing_form.confirm_prices.data or not category_id:
        return True
    far = [
        field
        for field in price_fields
        if field.fen is not None and price_range.is_far_from_usual(category_id, field.fen)
    ]
    if not far:
        return True
    lowest, highest = price_range.usual_range(category_id)
    for field in far:
        field.errors.append(
            _(
                "%(price)s is far from the usual %(lowest)s to %(highest)s in this category. Check it; if it is right, tick the box by the save button and save again.",
                price=format_fen(field.fen),
                lowest=format_fen(lowest),
                highest=format_fen(highest),
            )
        )
    return False


def _render_new(form: NewListingForm, status: int = 200, kept=(), price_warning: bool = False):
    return render_template(
        "sellers/new_product.html",
        form=form,
        shop=g.shop,
        kept_photos=kept,
        price_warning=price_warning,
    ), status


@bp.route("/products/new", methods=["GET", "POST"])
@shop_required
def new_product():
    """A new listing: the product, its first variant and optionally its first photo."""
    form = NewListingForm()
    form.category.choices = _category_choices()
    if request.method == "GET":
        return _render_new(form)
    valid = form.validate_on_submit()
    # The photo is stored whatever else is wrong, so that it comes back with the form.
    kept, problem, status = _kept_photos(form.photo, one=True)
    form.photo.errors = [problem] if problem else []
    if valid:
        try:
            services.check_sku_free(form.sku.data)
        except services.SkuTaken as error:
            form.sku.errors.append(str(error))
            valid = False
    price_warning = valid and not _prices_confirmed(form, [form.price])
    if not valid or problem or price_warning:
        return _render_new(form, status if problem else 422, kept, price_warning)
    product = services.create_listing(g.shop, _listing_details(form), _variant_details(form))
    services.add_photos(product, pending_photos.as_processed(kept))
    db.session.commit()
    flash(_("Draft saved. Add more photos, then publish it when it is ready."))
    return redirect(url_for("sellers.edit_product", product_id=product.id))


def _render_edit(product: Product, status: int = 200, **state):
    """The listing page: one form for details, variants and photos, and one save button."""
    listing_form = state.get("listing_form") or ListingForm(obj=product, formdata=None)
    listing_form.category.choices = _category_choices()
    variant_forms = state.get("variant_forms") or {}
    for variant in product.variants:
        if variant.id not in variant_forms:
            variant_forms[variant.id] = VariantForm(
                formdata=None,
                prefix=f"v{variant.id}",
                obj=variant,
                price=variant.price_fen,
                meta={"csrf": False},
            )
    new_variant_form = state.get("new_variant_form") or VariantForm(
        formdata=None, prefix="new", meta={"csrf": False}
    )
    photo_places = state.get("photo_places", {})
    return render_template(
        "sellers/edit_product.html",
        shop=g.shop,
        product=product,
        listing_form=listing_form,
        variant_forms=variant_forms,
        new_variant_form=new_variant_form,
        photo_form=state.get("photo_form") or PhotoForm(formdata=None, meta={"csrf": False}),
        kept_photos=state.get("kept", ()),
        removed_variants=state.get("removed_variants", set()),
        removed_photos=state.get("removed_photos", set()),
        ordered_images=sorted(
            product.images,
            key=lambda image: (photo_places.get(image.id, image.position + 1), image.position),
        ),
        price_warning=state.get("price_warning", False),
        page_error=state.get("page_error"),
        unsaved=status >= 400,
        quality=catalogue.quality_score(product),
        public=catalogue.is_public(product),
        deletable=services.can_delete(product),
        max_photos=services.MAX_PHOTOS,
    ), status


def _sent(prefix: str) -> bool:
    """True when the request carries fields of the form with this prefix."""
    return any(name.startswith(prefix + "-") for name in request.form)


def _filled(form: VariantForm) -> bool:
    """True when the seller typed anything into the (optional) new-variant fields."""
    return any(
        (field.data or "").strip() for field in (form.spec_zh, form.spec_en, form.price, form.sku)
    )


def _chosen_ids(name: str, allowed) -> set[int]:
    """Ids ticked in checkboxes called `name`, among the allowed ones."""
    return {id_or_none(value) for value in request.form.getlist(name)} & set(allowed)


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@shop_required
def edit_product(product_id: int):
    """Edit a whole listing with one save: details, variants, a new variant, photos and order.

    Nothing is saved unless everything is valid, and whatever was typed comes back with the
    messages (photos included, as pending uploads).
    """
    product = own_product_or_404(product_id)
    if request.method == "GET":
        return _render_edit(product)
    listing_form = ListingForm()
    listing_form.category.choices = _category_choices()
    valid = listing_form.validate_on_submit()
    variants = {variant.id: variant for variant in product.variants}
    removed_variants = _chosen_ids("remove_variant", variants)
    # A page that did not send a variant's fields leaves that variant as it is.
    variant_forms = {
        variant_id: VariantForm(prefix=f"v{variant_id}", meta={"csrf": False})
        for variant_id in variants
        if _sent(f"v{variant_id}")
    }
    for variant_id, form in variant_forms.items():
        if variant_id not in removed_variants:
            valid = form.validate() and valid
    new_variant_form = VariantForm(prefix="new", meta={"csrf": False})
    adding = _filled(new_variant_form)
    if adding:
        valid = new_variant_form.validate() and valid
    photo_form = PhotoForm(meta={"csrf": False})
    kept, problem, status = _kept_photos(photo_form.photos)
    photo_form.photos.errors = [problem] if problem else []
    images = {image.id: image for image in product.images}
    removed_photos = _chosen_ids("remove_photo", images)
    photo_places = {
        image_id: whole_number_or(
            request.form.get(f"photo_place-{image_id}"), image.position + 1, most=1000
        )
        for image_id, image in images.items()
    }
    price_warning = False
    if valid and not problem:
        category_changed = (listing_form.category.data or None) != product.category_id
        changed_prices = [
            form.price
            for variant_id, form in variant_forms.items()
            if variant_id not in removed_variants
            and (category_changed or form.price.fen != variants[variant_id].price_fen)
        ] + ([new_variant_form.price] if adding else [])
        price_warning = not _prices_confirmed(listing_form, changed_prices)
    page_error = None
    removed_files: list[tuple[str, int]] = []
    if valid and not problem and not price_warning:
        try:
            services.update_listing(product, _listing_details(listing_form))
            for variant_id, form in variant_forms.items():
                if variant_id not in removed_variants:
                    try:
                        services.update_variant(variants[variant_id], _variant_details(form))
                    except services.SkuTaken as error:
                        form.sku.errors.append(str(error))
                        raise
            for variant_id in sorted(removed_variants):
                services.remove_variant(product, variants[variant_id])
            if adding:
                try:
                    services.add_variant(product, _variant_details(new_variant_form))
                except services.SkuTaken as error:
                    new_variant_form.sku.errors.append(str(error))
                    raise
            for image_id in sorted(removed_photos):
                removed_files.append(services.remove_photo(product, images[image_id]))
            services.order_photos(
                product,
                sorted(
                    (image for image in product.images if image.id not in removed_photos),
                    key=lambda image: (photo_places[image.id], image.position),
                ),
            )
            services.add_photos(product, pending_photos.as_processed(kept))
        except services.SkuTaken:
            db.session.rollback()
            valid = False
        except services.SellerError as error:
            db.session.rollback()
            page_error, valid = str(error), False
    if not valid or problem or price_warning or page_error:
        return _render_edit(
            product,
            status if problem else 422,
            listing_form=listing_form,
            variant_forms=variant_forms,
            new_variant_form=new_variant_form,
            photo_form=photo_form,
            kept=kept,
            removed_variants=removed_variants,
            removed_photos=removed_photos,
            photo_places=photo_places,
            price_warning=price_warning,
            page_error=page_error,
        )
    db.session.commit()
    services.delete_unused_photo_files(removed_files)
    flash(_("Listing saved."))
    return redirect(url_for("sellers.edit_product", product_id=product.id))


def _refused(error: services.SellerError, product: Product):
    """Undo the attempt and say why on the listing's page."""
    db.session.rollback()
    flash(str(error), "error")
    return redirect(url_for("sellers.edit_product", product_id=product.id))


# CSRFProtect checks the token of every POST before these views run (a 400 page otherwise).


@bp.post("/products/<int:product_id>/publish")
@shop_required
def publish(product_id: int):
    """Put a listing on sale."""
    product = own_product_or_404(product_id)
    try:
        services.publish_listing(product)
    except services.SellerError as error:
        return _refused(error, product)
    db.session.commit()
    if catalogue.is_public(product):
        flash(_("Published. It is on sale now."))
    elif product.shop.is_practice:
        flash(_("Published in your practice shop (practice shops are not shown to the public)."))
    else:
        flash(_("Published. Visitors see it once the organizers have approved it."))
    return redirect(url_for("sellers.edit_product", product_id=product.id))


@bp.post("/products/<int:product_id>/unpublish")
@shop_required
def unpublish(product_id: int):
    """Take a listing off sale (back to draft)."""
    product = own_product_or_404(product_id)
    services.unpublish_listing(product)
    db.session.commit()
    flash(_("Unpublished: it is a draft again."))
    return redirect(url_for("sellers.edit_product", product_id=product.id))


@bp.post("/products/<int:product_id>/archive")
@shop_required
def archive(product_id: int):
    """Archive a listing: kept, never shown or sold."""
    product = own_product_or_404(product_id)
    services.archive_listing(product)
    db.session.commit()
    flash(_("Archived. Publish it again at any time."))
    return redirect(url_for("sellers.products"))


@bp.post("/products/<int:product_id>/duplicate")
@shop_required
def duplicate(product_id: int):
    """Copy a listing as a new draft."""
    product = own_product_or_404(product_id)
    copy = services.duplicate_listing(product)
    db.session.commit()
    flash(_("Copied as a new draft. Edit it below."))
    return redirect(url_for("sellers.edit_product", product_id=copy.id))


@bp.post("/products/<int:product_id>/delete")
@shop_required
def delete(product_id: int):
    """Delete a listing that was never ordered (others are archived instead)."""
    product = own_product_or_404(product_id)
    try:
        photos = services.delete_listing(product)
    except services.SellerError as error:
        return _refused(error, product)
    db.session.commit()
    services.delete_unused_photo_files(photos)
    flash(_("Listing deleted."))
    return redirect(url_for("sellers.products"))


# --- Variants --------------------------------------------------------------------------------


@bp.post("/products/<int:product_id>/variants")
@shop_required
def add_variant(product_id: int):
    """Add a spec (size, pack) to a listing."""
    product = own_product_or_404(product_id)
    form = VariantForm(prefix="new")
    if form.validate_on_submit():
        try:
            services.add_variant(product, _variant_details(form))
        except services.SkuTaken as error:
            form.sku.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Variant added."))
            return redirect(url_for("sellers.edit_product", product_id=product.id))
    return _render_edit(product, 422, new_variant_form=form)


@bp.post("/products/<int:product_id>/variants/<int:variant_id>")
@shop_required
def update_variant(product_id: int, variant_id: int):
    """Save one spec's label, price, stock, weight and SKU."""
    product = own_product_or_404(product_id)
    variant = _own_or_404(services.own_variant, product, variant_id)
    form = VariantForm(prefix=f"v{variant.id}")
    if form.validate_on_submit():
        try:
            services.update_variant(variant, _variant_details(form))
        except services.SkuTaken as error:
            db.session.rollback()
            form.sku.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Variant saved."))
            return redirect(url_for("sellers.edit_product", product_id=product.id))
    return _render_edit(product, 422, variant_forms={variant.id: form})


@bp.post("/products/<int:product_id>/variants/<int:variant_id>/delete")
@shop_required
def delete_variant(product_id: int, variant_id: int):
    """Remove a spec that was never ordered."""
    product = own_product_or_404(product_id)
    variant = _own_or_404(services.own_variant, product, variant_id)
    try:
        services.remove_variant(product, variant)
    except services.SellerError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Variant removed."))
    return redirect(url_for("sellers.edit_product", product_id=product.id))


# --- Photos of a listing ----------------------------------------------------------------------


@bp.post("/products/<int:product_id>/photos")
@shop_required
def add_photos(product_id: int):
    """Add photos to a listing (verified, oriented, stripped of metadata, re-encoded)."""
    product = own_product_or_404(product_id)
    form = PhotoForm()
    files = _chosen_files(form.photos)
    # The form is not validated as a whole (CSRFProtect checked the token), so errors start empty.
    form.photos.errors = []
    if not files:
        form.photos.errors.append(_("Choose at least one photo."))
        return _render_edit(product, 422, photo_form=form)
    photos, problem, status = _store_uploads(files)
    if problem is None:
        try:
            services.add_photos(product, photos)
        except services.TooManyPhotos as error:
            db.session.rollback()
            services.delete_unused_photo_files((photo.key, photo.width) for photo in photos)
            problem, status = str(error), 422
    if problem:
        form.photos.errors.append(problem)
        return _render_edit(product, status, photo_form=form)
    db.session.commit()
    flash(_("Photos added."))
    return redirect(
        url_for("sellers.edit_product", product_id=product.id, _anchor="listing-photos")
    )


@bp.post("/products/<int:product_id>/photos/<int:image_id>/cover")
@shop_required
def make_cover(product_id: int, image_id: int):
    """Make a photo the listing's cover."""
    product = own_product_or_404(product_id)
    image = _own_or_404(services.own_image, product, image_id)
    services.make_cover(product, image)
    db.session.commit()
    flash(_("Cover photo chosen."))
    return redirect(
        url_for("sellers.edit_product", product_id=product.id, _anchor="listing-photos")
    )


@bp.post("/products/<int:product_id>/photos/<int:image_id>/move")
@shop_required
def move_photo(product_id: int, image_id: int):
    """Move a photo one place earlier or later."""
    product = own_product_or_404(product_id)
    image = _own_or_404(services.own_image, product, image_id)
    services.move_photo(product, image, -1 if request.form.get("direction") == "earlier" else 1)
    db.session.commit()
    flash(_("Photo moved."))
    return redirect(
        url_for("sellers.edit_product", product_id=product.id, _anchor="listing-photos")
    )


@bp.post("/products/<int:product_id>/photos/<int:image_id>/delete")
@shop_required
def delete_photo(product_id: int, image_id: int):
    """Remove a photo from a listing."""
    product = own_product_or_404(product_id)
    image = _own_or_404(services.own_image, product, image_id)
    removed = services.remove_photo(product, image)
    db.session.commit()
    services.delete_unused_photo_files([removed])
    flash(_("Photo removed."))
    return redirect(
        url_for("sellers.edit_product", product_id=product.id, _anchor="listing-photos")
    )


@bp.get("/products/<int:product_id>/photos/status")
@shop_required
def photo_status(product_id: int):
    """Each photo's state (processing, ready, failed) as JSON, for the photo editor to follow
    the renditions job; another seller's listing is a 404."""
    product = own_product_or_404(product_id)
    photos = [
        {
            "id": image.id,
            "state": image.state,
            "thumbnail": thumbnail_url(image.key) if image.ready else None,
        }
        for image in sorted(product.images, key=lambda image: image.position)
    ]
    response = jsonify(
        photos=photos, processing=sum(photo["state"] == "processing" for photo in photos)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- CSV -------------------------------------------------------------------------------------


@bp.get("/products/export.csv")
@shop_required
def export_csv():
    """All the shop's variants as a CSV file for a spreadsheet."""
    return Response(
        csv_io.export_csv(g.shop),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{g.shop.slug}-products.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/products/import", methods=["GET", "POST"])
@shop_required
def import_csv():
    """Check a CSV file (dry run) or import it; nothing changes unless every row is valid."""
    form = ImportForm()
    plan = None
    applied = None
    status = 200
    if form.validate_on_submit():
        files = _chosen_files(form.file)
        if not files:
            form.file.errors.append(_("Choose a CSV file."))
            status = 422
        else:
            data = files[0].stream.read(MAX_CSV_BYTES + 1)
            if len(data) > MAX_CSV_BYTES:
                form.file.errors.append(_("The file is larger than 2 MB. Split it in parts."))
                status = 413
            else:
                plan = csv_io.plan_import(g.shop, data)
                if not plan.valid:
                    status = 422
                elif request.form.get("action") == "import":
                    applied = csv_io.apply_import(g.shop, plan)
                    db.session.commit()
                    flash(
                        _(
                            "Imported: %(created)d new listings, %(added)d new variants, %(updated)d variants updated.",
                            **applied,
                        )
                    )
                    return redirect(url_for("sellers.products"))
    return render_template(
        "sellers/import.html", form=form, plan=plan, applied=applied, shop=g.shop
    ), status
