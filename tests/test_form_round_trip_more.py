"""Editing a discount and a cohort: submitted unchanged they change nothing; one change changes
one thing; the rules of creating them hold, an ended discount stays as it was, and another
seller's discount or another trainer's cohort is not found.

Forms are read from the page as a browser would (tests/forms.py).
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from products.models import Discount, Variant
from shop.accounts.models import User
from shop.extensions import db
from shop.training import cohorts
from shop.training.models import Cohort
from shop.web import LANGUAGE_COOKIE
from tests.forms import form_data, form_on, submit
from tests.html_check import html_errors
from tests.test_form_round_trip import _differences, _row

BEIJING = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)
RUNNING_MESSAGE = "This discount is running: its price, start and variants stay as buyers saw"


def _reading(client, lang: str):
    """The client with its language chosen, as the switcher's cookie keeps it across a post."""
    client.set_cookie(LANGUAGE_COOKIE, lang)
    return client


def _local(moment: datetime) -> str:
    """A datetime-local value in Beijing time."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")


# --- Discounts ---------------------------------------------------------------------------------


@pytest.fixture
def seller(make_user):
    return make_user("exhibitor")


@pytest.fixture
def seller_shop(make_shop, seller):
    return make_shop(owner=seller)


@pytest.fixture
def seller_client(login_as, seller):
    return login_as(seller)


@pytest.fixture
def variants(app, make_product, seller_shop) -> list[int]:
    """Three variants of the seller: pears in a first size (¥40) and in 10 jin (¥70), millet."""
    pears = make_product(shop=seller_shop, price_fen=4000, title_en="Pears")
    millet = make_product(shop=seller_shop, price_fen=2500, title_en="Millet")
    with app.app_context():
        ten_jin = Variant(
            product_id=pears.id,
            sku=f"PEAR-10-{pears.id}",
            spec_zh="十斤",
            spec_en="10 jin",
            price_fen=7000,
            stock=5,
        )
        db.session.add(ten_jin)
        db.session.commit()

        def first(product_id: int) -> int:
            return db.session.scalar(
                select(Variant.id)
                .where(Variant.product_id == product_id)
                .order_by(Variant.id)
                .limit(1)
            )

        return [first(pears.id), ten_jin.id, first(millet.id)]


def _discount(app, shop, variant_ids, window, kind="percent", sold=0) -> int:
    """A discount with every optional part filled, its times to the second as the clock gives."""
    now = datetime.now(UTC)
    with app.app_context():
        discount = Discount(
            shop_id=shop.id,
            name_zh="直播秒杀",
            name_en="Live sale",
            kind=kind,
            percent_off=15 if kind == "percent" else None,
            fixed_price_fen=1990 if kind == "fixed_price" else None,
            starts_at=now + window[0],
            ends_at=now + window[1],
            quantity_cap=30,
            quantity_sold=sold,
            variants=list(db.session.scalars(select(Variant).where(Variant.id.in_(variant_ids)))),
        )
        db.session.add(discount)
        db.session.commit()
        return discount.id


def _discount_state(app, discount_id: int) -> dict:
    """Every column of the discount, and which variants it covers."""
    with app.app_context():
        discount = db.session.get(Discount, discount_id)
        return {
            "discount": _row(discount),
            "covers": {"variants": sorted(variant.id for variant in discount.variants)},
        }


SCHEDULED = (2 * HOUR, 5 * HOUR)
RUNNING = (-HOUR, 2 * HOUR)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", ["percent", "fixed_price"])
def test_a_scheduled_discount_submitted_unchanged_changes_nothing(
    app, seller_shop, seller_client, variants, lang, kind
):
    discount_id = _discount(app, seller_shop, variants[:2], SCHEDULED, kind=kind)
    before = _discount_state(app, discount_id)
    response = submit(seller_client, f"/sell/discounts/{discount_id}/edit?lang={lang}")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert _differences(before, _discount_state(app, discount_id)) == set()


@pytest.mark.parametrize(
    ("lang", "changes", "changed"),
    [
        ("zh", {"name_en": "Harvest sale"}, {"discount.name_en"}),
        ("zh", {"zhe": "7"}, {"discount.percent_off"}),
        ("en", {"percent_off": "30"}, {"discount.percent_off"}),
        ("en", {"quantity_cap": ""}, {"discount.quantity_cap"}),
        ("en", {"ends_at": "later"}, {"discount.ends_at"}),
        ("en", {"variants": "all"}, {"covers.variants"}),
    ],
)
def test_one_change_in_a_scheduled_discount_changes_only_that(
    app, seller_shop, seller_client, variants, lang, changes, changed
):
    discount_id = _discount(app, seller_shop, variants[:2], SCHEDULED)
    before = _discount_state(app, discount_id)
    later = before["discount"]["ends_at"].replace(tzinfo=UTC) + 3 * HOUR
    if changes.get("ends_at") == "later":
        changes = {"ends_at": _local(later)}
    if changes.get("variants") == "all":
        changes = {"variants": [str(variant) for variant in variants]}
    response = submit(
        seller_client, f"/sell/discounts/{discount_id}/edit?lang={lang}", changes=changes
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    after = _discount_state(app, discount_id)
    assert _differences(before, after) == changed
    expected = {
        "discount.name_en": ("discount", "name_en", "Harvest sale"),
        "discount.percent_off": ("discount", "percent_off", 30),
        "discount.quantity_cap": ("discount", "quantity_cap", None),
        "discount.ends_at": ("discount", "ends_at", later.replace(second=0, microsecond=0)),
        "covers.variants": ("covers", "variants", sorted(variants)),
    }
    part, column, value = expected[next(iter(changed))]
    stored = after[part][column]
    if isinstance(stored, datetime):
        stored = stored.replace(tzinfo=UTC)
    assert stored == value


def test_a_changed_start_is_saved_in_beijing_time(app, seller_shop, seller_client, variants):
    discount_id = _discount(app, seller_shop, variants[:1], SCHEDULED)
    before = _discount_state(app, discount_id)
    response = submit(
        seller_client,
        f"/sell/discounts/{discount_id}/edit?lang=en",
        changes={"starts_at": _local(datetime.now(UTC) + HOUR)},
    )
    assert response.status_code == 302
    after = _discount_state(app, discount_id)
    assert _differences(before, after) == {"discount.starts_at"}
    typed = datetime.strptime(_local(datetime.now(UTC) + HOUR), "%Y-%m-%dT%H:%M")
    stored = after["discount"]["starts_at"].replace(tzinfo=UTC)
    assert stored == typed.replace(tzinfo=BEIJING).astimezone(UTC)


def test_a_running_discount_shows_its_price_start_and_variants_as_text(
    app, seller_shop, seller_client, variants
):
    discount_id = _discount(app, seller_shop, variants[:1], RUNNING)
    page = seller_client.get(f"/sell/discounts/{discount_id}/edit?lang=en")
    html = page.get_data(as_text=True)
    form = form_on(html, f"/sell/discounts/{discount_id}/edit")
    assert form.names == {"csrf_token", "name_zh", "name_en", "ends_at", "quantity_cap"}
    with app.app_context():
        spec = db.session.get(Variant, variants[0]).spec_en
    assert "15% off" in html and f"Pears · {spec}" in html
    assert "you can change its names, its end and its cap" in html


def test_a_running_discount_submitted_unchanged_changes_nothing(
    app, seller_shop, seller_client, variants
):
    discount_id = _discount(app, seller_shop, variants[:2], RUNNING, sold=4)
    before = _discount_state(app, discount_id)
    response = submit(seller_client, f"/sell/discounts/{discount_id}/edit?lang=zh")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert _differences(before, _discount_state(app, discount_id)) == set()


@pytest.mark.parametrize(
    ("changes", "changed"),
    [
        ({"name_zh": "丰收节"}, {"discount.name_zh"}),
        ({"quantity_cap": "4"}, {"discount.quantity_cap"}),
        ({"ends_at": "sooner"}, {"discount.ends_at"}),
    ],
)
def test_a_running_discount_changes_its_names_end_or_cap_alone(
    app, seller_shop, seller_client, variants, changes, changed
):
    discount_id = _discount(app, seller_shop, variants[:2], RUNNING, sold=4)
    before = _discount_state(app, discount_id)
    if changes.get("ends_at") == "sooner":
        changes = {"ends_at": _local(datetime.now(UTC) + HOUR)}
    response = submit(seller_client, f"/sell/discounts/{discount_id}/edit?lang=zh", changes=changes)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert _differences(before, _discount_state(app, discount_id)) == changed


def test_a_running_discounts_cap_stays_at_or_above_what_sold(
    app, seller_shop, seller_client, variants
):
    discount_id = _discount(app, seller_shop, variants[:1], RUNNING, sold=4)
    before = _discount_state(app, discount_id)
    response = submit(
        _reading(seller_client, "en"),
        f"/sell/discounts/{discount_id}/edit",
        changes={"quantity_cap": "3"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "4 units have been sold at this price already" in html
    assert 'value="3"' in html
    assert _differences(before, _discount_state(app, discount_id)) == set()


def test_a_price_change_typed_before_the_discount_started_is_refused_not_dropped(
    app, seller_shop, seller_client, variants, clock
):
    discount_id = _discount(app, seller_shop, variants[:1], (HOUR, 4 * HOUR))
    before = _discount_state(app, discount_id)
    page = _reading(seller_client, "en").get(f"/sell/discounts/{discount_id}/edit")
    form = form_on(page.get_data(as_text=True), f"/sell/discounts/{discount_id}/edit")
    clock.ahead = 2 * HOUR  # it started while the seller typed
    response = seller_client.post(
        form.action, data=form_data(form, {"percent_off": "40", "name_en": "Big sale"})
    )
    assert response.status_code == 422
    assert RUNNING_MESSAGE in response.get_data(as_text=True)
    assert _differences(before, _discount_state(app, discount_id)) == set()


@pytest.mark.parametrize("how", ["over", "ended early"])
def test_an_ended_discount_cannot_be_edited(app, seller_shop, seller_client, variants, how):
    window = (-3 * HOUR, -HOUR) if how == "over" else RUNNING
    discount_id = _discount(app, seller_shop, variants[:1], window)
    if how == "ended early":
        with app.app_context():
            db.session.get(Discount, discount_id).cancelled_at = datetime.now(UTC)
            db.session.commit()
    before = _discount_state(app, discount_id)
    response = seller_client.get(
        f"/sell/discounts/{discount_id}/edit?lang=en", follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert response.request.path == "/sell/discounts"
    assert "Discount “Live sale” has ended, so it can no longer be changed." in html
    listing = html.split('id="discounts-ended"')[1]
    assert f"/sell/discounts/{discount_id}/edit" not in listing
    assert _differences(before, _discount_state(app, discount_id)) == set()


def test_a_discount_that_ends_while_the_seller_types_is_kept_as_it_was(
    app, seller_shop, seller_client, variants, clock
):
    discount_id = _discount(app, seller_shop, variants[:1], RUNNING)
    before = _discount_state(app, discount_id)
    page = seller_client.get(f"/sell/discounts/{discount_id}/edit?lang=zh")
    form = form_on(page.get_data(as_text=True), f"/sell/discounts/{discount_id}/edit")
    clock.ahead = 3 * HOUR
    response = seller_client.post(
        form.action, data=form_data(form, {"name_zh": "改名"}), follow_redirects=True
    )
    assert "已结束" in response.get_data(as_text=True)
    assert _differences(before, _discount_state(app, discount_id)) == set()


def test_another_sellers_discount_is_not_found(
    app, make_product, make_shop, seller_client, variants
):
    their_shop = make_shop()
    theirs = make_product(shop=their_shop, price_fen=4000)
    with app.app_context():
        their_variant = db.session.scalar(select(Variant.id).where(Variant.product_id == theirs.id))
    their_discount = _discount(app, their_shop, [their_variant], SCHEDULED)
    before = _discount_state(app, their_discount)
    assert seller_client.get(f"/sell/discounts/{their_discount}/edit").status_code == 404
    token_page = seller_client.get("/sell/discounts/new?lang=en").get_data(as_text=True)
    form = form_on(token_page, "/sell/discounts/new")
    response = seller_client.post(
        f"/sell/discounts/{their_discount}/edit?lang=en",
        data=form_data(form, {"name_en": "Mine now", "variants": [str(variants[0])]}),
    )
    assert response.status_code == 404
    assert _differences(before, _discount_state(app, their_discount)) == set()


def test_another_sellers_variant_in_the_edit_form_is_not_found(
    app, make_product, make_shop, seller_shop, seller_client, variants
):
    theirs = make_product(shop=make_shop(), price_fen=4000)
    with app.app_context():
        their_variant = db.session.scalar(select(Variant.id).where(Variant.product_id == theirs.id))
    discount_id = _discount(app, seller_shop, variants[:1], SCHEDULED)
    before = _discount_state(app, discount_id)
    response = submit(
        seller_client,
        f"/sell/discounts/{discount_id}/edit?lang=en",
        changes={"variants": [str(variants[0]), str(their_variant)]},
    )
    assert response.status_code == 404
    assert _differences(before, _discount_state(app, discount_id)) == set()


@pytest.mark.parametrize(
    ("lang", "changes", "message"),
    [
        ("en", {"ends_at": "before start"}, "The end must be after the start."),
        ("en", {"percent_off": "150"}, "Enter a percentage from 1 to 99."),
        ("zh", {"zhe": "85"}, "85折请填 8.5"),
        (
            "en",
            {"kind": "fixed_price", "fixed_price": "40"},
            "The discount price must be below the regular price",
        ),
        ("en", {"quantity_cap": "0"}, "Enter a whole number of at least 1."),
        ("en", {"starts_at": "tomorrow"}, "Not a valid datetime value."),
        ("en", {"variants": None}, "Choose at least one variant."),
    ],
)
def test_bad_input_in_the_edit_form_keeps_what_was_typed_and_changes_nothing(
    app, seller_shop, seller_client, variants, lang, changes, message
):
    discount_id = _discount(app, seller_shop, variants[:2], SCHEDULED)
    before = _discount_state(app, discount_id)
    if changes.get("ends_at") == "before start":
        start = before["discount"]["starts_at"].replace(tzinfo=UTC)
        changes = {"ends_at": _local(start - HOUR)}
    changes = {**changes, "name_en": "Typed name"}
    response = submit(
        _reading(seller_client, lang), f"/sell/discounts/{discount_id}/edit", changes=changes
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:3000]
    assert message in html
    assert 'value="Typed name"' in html
    for name, value in changes.items():
        if isinstance(value, str) and name != "kind":
            assert f'value="{value}"' in html, name
    assert _differences(before, _discount_state(app, discount_id)) == set()


def test_a_change_that_overlaps_another_discount_is_refused(
    app, seller_shop, seller_client, variants
):
    discount_id = _discount(app, seller_shop, variants[:1], SCHEDULED)
    _discount(app, seller_shop, variants[2:], (6 * HOUR, 8 * HOUR))
    before = _discount_state(app, discount_id)
    response = submit(
        _reading(seller_client, "en"),
        f"/sell/discounts/{discount_id}/edit",
        changes={
            "variants": [str(variants[0]), str(variants[2])],
            "ends_at": _local(datetime.now(UTC) + 7 * HOUR),
        },
    )
    assert response.status_code == 422
    assert "A variant can have only one discount at a time" in response.get_data(as_text=True)
    assert _differences(before, _discount_state(app, discount_id)) == set()


def test_the_list_links_to_editing_running_and_scheduled_discounts(
    app, seller_shop, seller_client, variants
):
    running = _discount(app, seller_shop, variants[:1], RUNNING)
    scheduled = _discount(app, seller_shop, variants[1:2], SCHEDULED)
    for lang, text in (("en", "Edit Live sale"), ("zh", "编辑 直播秒杀")):
        html = seller_client.get(f"/sell/discounts?lang={lang}").get_data(as_text=True)
        for discount_id in (running, scheduled):
            assert f'href="/sell/discounts/{discount_id}/edit">{text}</a>' in html


# --- Cohorts -----------------------------------------------------------------------------------


@pytest.fixture
def region(make_region):
    return make_region(slug="lingshou-test", name_zh="灵寿县", name_en="Lingshou County")


@pytest.fixture
def trainer(make_user):
    return make_user("trainer", language="en")


def _cohort(app, trainer, region) -> int:
    with app.app_context():
        cohort = cohorts.create_cohort(
            db.session.get(User, trainer.id),
            "灵寿 2026 春季班",
            region.id,
            date(2026, 3, 2),
            date(2026, 5, 29),
        )
        db.session.commit()
        return cohort.id


def _cohort_state(app, cohort_id: int) -> dict:
    with app.app_context():
        return {"cohort": _row(db.session.get(Cohort, cohort_id))}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_cohort_form_submitted_unchanged_changes_nothing(
    app, login_as, trainer, region, make_region, lang
):
    make_region(slug="yanan-test")  # another region is offered: the cohort's stays chosen
    cohort_id = _cohort(app, trainer, region)
    before = _cohort_state(app, cohort_id)
    response = submit(login_as(trainer), f"/train/cohorts/{cohort_id}/edit?lang={lang}")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert response.headers["Location"].endswith(f"/train/cohorts/{cohort_id}")
    assert _differences(before, _cohort_state(app, cohort_id)) == set()


@pytest.mark.parametrize(
    ("changes", "column", "value"),
    [
        ({"name": "灵寿 2026 秋季班"}, "name", "灵寿 2026 秋季班"),
        ({"ends_on": "2026-06-12"}, "ends_on", date(2026, 6, 12)),
        ({"region": "other"}, "region_id", "other"),
    ],
)
def test_one_change_in_the_cohort_form_changes_only_that(
    app, login_as, trainer, region, make_region, changes, column, value
):
    other = make_region(slug="yanan-test")
    if value == "other":
        changes, value = {"region": str(other.id)}, other.id
    cohort_id = _cohort(app, trainer, region)
    before = _cohort_state(app, cohort_id)
    response = submit(
        login_as(trainer), f"/train/cohorts/{cohort_id}/edit?lang=en", changes=changes
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    after = _cohort_state(app, cohort_id)
    assert _differences(before, after) == {f"cohort.{column}"}
    assert after["cohort"][column] == value


def test_the_cohort_page_links_to_its_edit_page(app, login_as, trainer, region):
    cohort_id = _cohort(app, trainer, region)
    client = login_as(trainer)
    for lang, text in (("en", "Edit the cohort"), ("zh", "修改班级信息")):
        html = client.get(f"/train/cohorts/{cohort_id}?lang={lang}").get_data(as_text=True)
        assert f'<a href="/train/cohorts/{cohort_id}/edit">{text}</a>' in html


def test_a_region_no_longer_offered_stays_the_cohorts_but_cannot_be_chosen(
    app, login_as, trainer, region, make_region
):
    laos = make_region(slug="laos", name_en="Laos", coming_soon=True)
    cohort_id = _cohort(app, trainer, region)
    with app.app_context():
        db.session.get(Cohort, cohort_id).region.coming_soon = True
        db.session.commit()
    before = _cohort_state(app, cohort_id)
    client = login_as(trainer)
    assert submit(client, f"/train/cohorts/{cohort_id}/edit?lang=en").status_code == 302
    assert _differences(before, _cohort_state(app, cohort_id)) == set()
    edit = f"/train/cohorts/{cohort_id}/edit"
    form = form_on(client.get(edit).get_data(as_text=True), edit, edit)
    response = client.post(edit, data=form_data(form, {"region": str(laos.id)}))
    assert response.status_code == 422
    assert _differences(before, _cohort_state(app, cohort_id)) == set()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_on": "2026-02-28"}, "The end date cannot be before the start date."),
        ({"name": "   "}, "Give the cohort a name."),
        ({"starts_on": "2026-13-45"}, "Not a valid date value."),
        ({"region": "999999"}, "Not a valid choice."),
    ],
)
def test_bad_input_in_the_cohort_form_keeps_what_was_typed_and_changes_nothing(
    app, login_as, trainer, region, changes, message
):
    cohort_id = _cohort(app, trainer, region)
    before = _cohort_state(app, cohort_id)
    response = submit(
        login_as(trainer), f"/train/cohorts/{cohort_id}/edit?lang=en", changes=changes
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    for name, value in changes.items():
        if name != "region" and value.strip():
            assert f'value="{value}"' in html, name
    assert _differences(before, _cohort_state(app, cohort_id)) == set()


def test_another_trainers_cohort_is_not_found(app, login_as, make_user, trainer, region):
    cohort_id = _cohort(app, trainer, region)
    before = _cohort_state(app, cohort_id)
    other = login_as(make_user("trainer"))
    assert other.get(f"/train/cohorts/{cohort_id}/edit").status_code == 404
    own_form = form_on(
        other.get("/train/cohorts/new?lang=en").get_data(as_text=True),
        "/train/cohorts/new",
        "/train/cohorts/new",
    )
    response = other.post(
        f"/train/cohorts/{cohort_id}/edit",
        data=form_data(own_form, {"name": "Taken over", "region": str(region.id)}),
    )
    assert response.status_code == 404
    assert _differences(before, _cohort_state(app, cohort_id)) == set()


def test_an_organizer_may_correct_any_cohort(app, login_as, make_user, trainer, region):
    cohort_id = _cohort(app, trainer, region)
    before = _cohort_state(app, cohort_id)
    organizer = login_as(make_user("organizer"))
    response = submit(
        organizer, f"/train/cohorts/{cohort_id}/edit?lang=en", changes={"name": "灵寿 春季班"}
    )
    assert response.status_code == 302
    after = _cohort_state(app, cohort_id)
    assert _differences(before, after) == {"cohort.name"}
    assert after["cohort"]["trainer_id"] == trainer.id


@pytest.mark.parametrize("role", ["trainee", "customer", "exhibitor"])
def test_other_roles_may_not_edit_a_cohort(app, login_as, make_user, trainer, region, role):
    cohort_id = _cohort(app, trainer, region)
    assert login_as(make_user(role)).get(f"/train/cohorts/{cohort_id}/edit").status_code == 403


# --- Both pages ----------------------------------------------------------------------------------


def test_the_edit_pages_have_no_html_errors(
    app, tmp_path, login_as, seller_shop, seller_client, variants, trainer, region
):
    scheduled = _discount(app, seller_shop, variants[:2], SCHEDULED, kind="fixed_price")
    running = _discount(app, seller_shop, variants[2:], RUNNING)
    cohort_id = _cohort(app, trainer, region)
    pages = {}
    for lang in ("zh", "en"):
        for client, url in (
            (seller_client, f"/sell/discounts/{scheduled}/edit"),
            (seller_client, f"/sell/discounts/{running}/edit"),
            (seller_client, "/sell/discounts"),
            (login_as(trainer), f"/train/cohorts/{cohort_id}/edit"),
        ):
            pages[f"{url} ({lang})"] = client.get(f"{url}?lang={lang}").data
        # A refused save, with its messages next to the fields.
        refused = submit(
            _reading(seller_client, lang),
            f"/sell/discounts/{running}/edit",
            changes={"quantity_cap": "0", "ends_at": _local(datetime.now(UTC) - 2 * HOUR)},
        )
        assert refused.status_code == 422
        pages[f"refused running discount ({lang})"] = refused.data
    assert html_errors(tmp_path, pages) == []
