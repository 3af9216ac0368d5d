"""The trainee's side of the sandbox: joining a cohort, the checklist ticked by real actions,
the private preview storefront and resetting the practice shop."""

import io
import re
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from products.models import Category, Product, Shop, Variant
from shop.accounts.models import OutboxMessage, User
from shop.extensions import db
from shop.messages import services as inbox
from shop.messages.models import Message, MessageKind, Thread
from shop.models_base import utcnow
from shop.orders.models import Order
from shop.payments.models import Payment
from shop.training import lessons, services
from shop.training.models import Cohort, CohortMember, LessonCompletion
from tests.forms import form_data, form_on, submit
from tests.helpers import (
    create_listing,
    done_lessons,
    first_variant_id,
    jpeg,
    open_shop,
    place_practice_order,
    publish,
    save_listing,
    shop_of,
    upload_photos,
)
from tests.html_check import html_errors
from tests.shopping import form_token

PASSWORD = "a new and long passphrase"

# --- Helpers of this file (those shared with other files are in tests/helpers.py) ---------------


def post_without_form(client, url, data=None, **kwargs):
    """POST to an address whose page this person cannot open (it answers 404), as a script would."""
    return client.post(url, data={"csrf_token": form_token(client), **(data or {})}, **kwargs)


def ship(client, number: str, changes: dict):
    """The ship form of the seller's order page."""
    page = f"/sell/orders/{number}"
    return submit(client, f"{page}?lang=en", f"{page}/ship", changes)


def refund(client, number: str, changes: dict):
    """The refund form of the seller's order page, then the confirm button of its review page."""
    page, action = f"/sell/orders/{number}", f"/sell/orders/{number}/refund"
    review = submit(client, f"{page}?lang=en", action, changes)
    assert review.status_code == 200, review.status_code
    form = form_on(review.get_data(as_text=True), action)
    return client.post(action, data=form_data(form))


def join(client, code: str, lang="en"):
    """The join form of /train/join."""
    return submit(client, f"/train/join?lang={lang}", "/train/join", {"code": code})


def reset(client):
    """The button of /train/reset."""
    return submit(client, "/train/reset?lang=en", "/train/reset")


def add_variant(client, product_id: int, price="69", stock="5"):
    """Fill in the listing page's "Add a variant" fields and save."""
    return save_listing(
        client,
        product_id,
        {
            "new-spec_zh": "一箱 10 斤",
            "new-spec_en": "10 jin box",
            "new-price": price,
            "new-stock": stock,
            "new-weight_g": "5200",
            "new-sku": "",
        },
    )


def make_cohort(app, trainer, region, name="灵寿 2026 春季班", code="LS26SP") -> Cohort:
    with app.app_context():
        cohort = Cohort(
            name=name,
            region_id=region.id,
            starts_on=date(2026, 3, 1),
            ends_on=date(2026, 6, 30),
            trainer_id=trainer.id,
            join_code=code,
        )
        db.session.add(cohort)
        db.session.commit()
        db.session.refresh(cohort)
        db.session.expunge(cohort)
        return cohort


def sign_up(client, **fields):
    data = {
        "email": "xiaohua@example.test",
        "display_name": "小花",
        "password": PASSWORD,
        "language": "en",
        "role": "customer",
        "join_code": "",
    }
    data.update(fields)
    return submit(client, "/signup?lang=en", "/signup", data)


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def region(make_region):
    return make_region(name_zh="砀山县", name_en="Dangshan County")


@pytest.fixture
def category_id(app):
    with app.app_context():
        category = Category(slug="fresh-fruit", name_zh="鲜果", name_en="Fresh fruit")
        db.session.add(category)
        db.session.commit()
        return category.id


@pytest.fixture
def trainee(app, make_user, region, login_as):
    """A logged-in trainee who opened a practice shop (a story, no logo yet)."""
    user = make_user("trainee", language="en")
    client = login_as(user)
    assert open_shop(client, region.id, story_zh="我们家三代人种梨。").status_code == 302
    return SimpleNamespace(user=user, client=client, shop=shop_of(app, user.id), region=region)


@pytest.fixture
def trainer(make_user):
    return make_user("trainer")


# --- Joining a cohort -------------------------------------------------------------------------


def members_of(app, cohort_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)
            )
        )


def test_the_sign_up_link_of_a_cohort_fills_in_its_code_and_chooses_trainee(
    app, client, trainer, region
):
    make_cohort(app, trainer, region)
    page = client.get("/signup?code=LS26SP&lang=en").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="join_code"[^>]*value="LS26SP"', page)
    assert re.search(r'<input[^>]*checked[^>]*value="trainee"|value="trainee"[^>]*checked', page)


@pytest.mark.parametrize("typed", ["LS26SP", "ls26sp", "ls-26-sp", " LS 26 SP "])
def test_signing_up_with_a_code_makes_a_trainee_member_in_one_go(
    app, client, trainer, region, typed
):
    cohort = make_cohort(app, trainer, region)
    response = sign_up(client, join_code=typed)
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "xiaohua@example.test"))
        assert "trainee" in user.roles
        user_id = user.id
    assert members_of(app, cohort.id) == [user_id]
    landing = client.get(response.headers["Location"], follow_redirects=True)
    # The checklist, whose next step opens the practice shop right there.
    assert landing.request.path == "/train"
    page = landing.get_data(as_text=True)
    assert "You joined 灵寿 2026 春季班" in page
    assert '<form method="post" action="/sell/shop" class="open-shop-form"' in page


def test_a_wrong_code_is_an_error_on_its_field_and_keeps_what_was_typed(
    app, client, trainer, region
):
    make_cohort(app, trainer, region)
    response = sign_up(client, join_code="NOPE-42", display_name="小花农场")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "No cohort has this join code" in page
    assert 'value="NOPE-42"' in page
    assert 'value="xiaohua@example.test"' in page and 'value="小花农场"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1  # the trainer


def test_signing_up_without_a_code_stays_as_it_was(app, client):
    assert sign_up(client, role="customer").status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "xiaohua@example.test"))
        assert user.roles == {"customer"}
        assert db.session.scalar(select(func.count()).select_from(CohortMember)) == 0


def test_signing_up_with_a_code_and_a_registered_email_mails_how_to_join(
    app, client, make_user, trainer, region
):
    cohort = make_cohort(app, trainer, region)
    make_user("customer", email="xiaohua@example.test", language="en")
    response = sign_up(client, join_code="ls 26 sp")
    assert response.status_code == 200
    assert "already" not in response.get_data(as_text=True)
    assert members_of(app, cohort.id) == []
    with app.app_context():
        (message,) = db.session.scalars(select(OutboxMessage)).all()
    assert message.to_email == "xiaohua@example.test"
    link = re.search(r"http://127\.0\.0\.1:5000(/train/join\S*)", message.body).group(1)
    assert "LS26SP" in message.body
    # The owner follows the mail: logs in, opens the link and joins with the code filled in.
    page = submit(
        client,
        "/login?next=" + quote(link),
        "/login",
        {"email": "xiaohua@example.test", "password": "correct horse battery"},
    )
    assert page.headers["Location"] == link
    form = client.get(link).get_data(as_text=True)
    assert re.search(r'name="code"[^>]*value="LS26SP"|value="LS26SP"[^>]*name="code"', form)


def test_a_logged_in_person_joins_with_the_code(app, make_user, login_as, trainer, region):
    cohort = make_cohort(app, trainer, region)
    customer = make_user("customer", language="en")
    client = login_as(customer)
    # Scanning the sign-up QR code while logged in leads to the join page, code filled in.
    redirected = client.get("/signup?code=ls26sp")
    assert redirected.status_code == 302
    page = client.get(redirected.headers["Location"]).get_data(as_text=True)
    assert 'value="ls26sp"' in page
    response = join(client, "ls-26-sp")
    assert response.status_code == 302 and response.headers["Location"] == "/train"
    assert members_of(app, cohort.id) == [customer.id]
    with app.app_context():
        assert db.session.get(User, customer.id).roles == {"customer", "trainee"}
    # Joining again changes nothing.
    again = join(client, "LS26SP")
    assert again.status_code == 302
    assert members_of(app, cohort.id) == [customer.id]
    assert "You are already in" in client.get("/train/join?lang=en").get_data(as_text=True)


def test_joining_with_an_unknown_code_says_so(app, make_user, login_as, trainer, region):
    make_cohort(app, trainer, region)
    client = login_as(make_user("customer", language="en"))
    response = join(client, "XXXXXX")
    assert response.status_code == 422
    assert "No cohort has this join code" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CohortMember)) == 0


def test_the_join_page_needs_a_log_in(client):
    response = client.get("/train/join?code=LS26SP")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- Access to /train -------------------------------------------------------------------------


def test_train_pages_need_log_in_and_the_trainee_role(client, make_user, login_as):
    assert "/login" in client.get("/train").headers["Location"]
    for role in ("customer", "exhibitor", "trainer"):
        client = login_as(make_user(role, language="en"))
        for url in ("/train", "/train/share", "/train/reset"):
            response = client.get(url)
            assert response.status_code == 302, (role, url)
            assert response.headers["Location"] == "/train/join"


def test_a_trainee_without_a_shop_sees_the_plan_and_opening_the_shop_as_the_next_step(
    make_user, login_as, tmp_path
):
    client = login_as(make_user("trainee", language="en"))
    response = client.get("/train")
    assert html_errors(tmp_path, {"checklist before the shop": response.data}) == []
    page = response.get_data(as_text=True)
    next_step = re.search(r'<section class="next-step".*?</section>', page, re.S).group(0)
    assert "Open your practice shop" in next_step and 'href="/sell/shop"' in next_step
    # The whole plan is there before the shop is opened.
    assert all(f'id="lesson-{lesson.key}"' in page for lesson in lessons.LESSONS)
    assert "0 / 10 lessons done" in page
    # What needs the practice shop still sends the trainee to open it.
    for url in ("/train/share", "/train/reset"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/sell/shop"


# --- Lessons ticked by real actions -----------------------------------------------------------


def test_profile_is_ticked_once_the_profile_has_a_logo_and_a_story(
    app, make_user, login_as, region
):
    user = make_user("trainee", language="en")
    client = login_as(user)
    open_shop(client, region.id, story_zh="")
    open_shop(client, region.id, story_zh="", logo=(io.BytesIO(jpeg(400, 400)), "logo.jpg"))
    assert lessons.PROFILE not in done_lessons(app, user.id), "a logo without a story"
    response = open_shop(client, region.id, story_en="Three generations of pear growers.")
    assert response.status_code == 302
    assert lessons.PROFILE in done_lessons(app, user.id)


def test_publishing_ticks_first_product(app, trainee):
    product_id = create_listing(trainee.client)
    assert lessons.FIRST_PRODUCT not in done_lessons(app, trainee.user.id), "a draft is not enough"
    publish(trainee.client, product_id)
    assert lessons.FIRST_PRODUCT in done_lessons(app, trainee.user.id)


def test_quality_80_is_ticked_when_photos_lift_the_score(app, trainee, category_id):
    product_id = create_listing(
        trainee.client,
        category=str(category_id),
        description_zh="砀山酥梨皮薄多汁，甜脆爽口，从树上摘下当天发货。" * 3,
    )
    # Title, description, stock, weight and category: 5 of 7 is 71, not yet 80.
    assert lessons.QUALITY_80 not in done_lessons(app, trainee.user.id)
    upload_photos(trainee.client, product_id, jpeg(), jpeg(colour=(1, 2, 3)), jpeg(640, 480))
    assert lessons.QUALITY_80 in done_lessons(app, trainee.user.id)


def test_a_second_variant_ticks_its_lesson(app, trainee):
    product_id = create_listing(trainee.client)
    assert lessons.SECOND_VARIANT not in done_lessons(app, trainee.user.id)
    assert add_variant(trainee.client, product_id).status_code == 302
    assert lessons.SECOND_VARIANT in done_lessons(app, trainee.user.id)


def test_opening_the_share_kit_ticks_share(app, trainee):
    assert lessons.SHARE_KIT not in done_lessons(app, trainee.user.id)
    assert trainee.client.get("/train/share").status_code == 200
    assert lessons.SHARE_KIT in done_lessons(app, trainee.user.id)


def _published_product(trainee) -> int:
    product_id = create_listing(trainee.client)
    publish(trainee.client, product_id)
    return product_id


def test_a_paid_practice_order_ticks_first_order(app, trainee):
    variant = first_variant_id(app, _published_product(trainee))
    place_practice_order(app, trainee.shop.id, variant, pay=False)
    assert lessons.FIRST_ORDER not in done_lessons(app, trainee.user.id), "unpaid is not yet"
    place_practice_order(app, trainee.shop.id, variant)
    assert lessons.FIRST_ORDER in done_lessons(app, trainee.user.id)


def test_shipping_with_a_tracking_number_ticks_shipped(app, trainee):
    variant = first_variant_id(app, _published_product(trainee))
    number = place_practice_order(app, trainee.shop.id, variant)
    missing = ship(trainee.client, number, {"carrier": "顺丰"})
    assert missing.status_code == 422
    assert lessons.SHIPPED not in done_lessons(app, trainee.user.id)
    shipped = ship(trainee.client, number, {"carrier": "顺丰", "tracking_number": "SF1234567890"})
    assert shipped.status_code == 302
    assert lessons.SHIPPED in done_lessons(app, trainee.user.id)


def _thread_message(app, number: str, kind: str):
    """A buyer's message on the order (posted with the inbox's service), with its thread."""
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == number))
        message = inbox.post_buyer_message(order, "请问什么时候发货？", kind)
        db.session.commit()
        return message.thread_id, message.id


def test_answering_a_customer_ticks_answered_question(app, trainee):
    variant = first_variant_id(app, _published_product(trainee))
    thread_id, _message_id = _thread_message(
        app, place_practice_order(app, trainee.shop.id, variant), MessageKind.QUESTION
    )
    assert lessons.ANSWERED_QUESTION not in done_lessons(app, trainee.user.id)
    with app.test_request_context():
        thread = db.session.get(Thread, thread_id)
        inbox.post_seller_reply(thread, db.session.get(User, trainee.user.id), "明天发货。")
        db.session.commit()
    assert lessons.ANSWERED_QUESTION in done_lessons(app, trainee.user.id)


def test_declining_a_refund_request_is_not_the_partial_refund_lesson(app, trainee):
    variant = first_variant_id(app, _published_product(trainee))
    _thread_id, message_id = _thread_message(
        app, place_practice_order(app, trainee.shop.id, variant), MessageKind.REFUND_REQUEST
    )
    with app.test_request_context():
        request_message = db.session.get(Message, message_id)
        seller = db.session.get(User, trainee.user.id)
        inbox.decline_request(request_message, seller, "梨已经发出，收到后有问题请联系我们。")
        db.session.commit()
    assert lessons.REFUND_REQUEST not in done_lessons(app, trainee.user.id)


def test_refunding_part_of_an_order_with_a_refund_request_ticks_refund_request(app, trainee):
    variant = first_variant_id(app, _published_product(trainee))
    number = place_practice_order(app, trainee.shop.id, variant)
    partial = {"refund-reason": "少了的部分退给您", "refund-amount": "1.00"}
    # A refund without any request from the customer is not this lesson.
    other = place_practice_order(app, trainee.shop.id, variant)
    assert refund(trainee.client, other, partial).status_code == 302
    assert lessons.REFUND_REQUEST not in done_lessons(app, trainee.user.id)
    _thread_message(app, number, MessageKind.REFUND_REQUEST)
    assert refund(trainee.client, number, partial).status_code == 302
    assert lessons.REFUND_REQUEST in done_lessons(app, trainee.user.id)


def test_scheduling_a_discount_ticks_discount(app, trainee):
    from shop.sellers.discounts import DiscountDetails, schedule_discount

    variant = first_variant_id(app, _published_product(trainee))
    assert lessons.DISCOUNT not in done_lessons(app, trainee.user.id)
    with app.test_request_context():
        now = utcnow()
        details = DiscountDetails(
            name_zh="直播秒杀",
            name_en="Live sale",
            kind="percent",
            percent_off=20,
            fixed_price_fen=None,
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=3),
            quantity_cap=None,
            variant_ids=(variant,),
        )
        schedule_discount(db.session.get(Shop, trainee.shop.id), details)
        db.session.commit()
    assert lessons.DISCOUNT in done_lessons(app, trainee.user.id)


def test_nothing_is_ticked_for_an_exhibitor_shop(app, make_user, login_as, region):
    exhibitor = make_user("exhibitor", "trainee", language="en")
    client = login_as(exhibitor)
    open_shop(
        client, region.id, story_zh="我们家种梨。", logo=(io.BytesIO(jpeg(400, 400)), "l.jpg")
    )
    assert shop_of(app, exhibitor.id).kind == "exhibitor"
    product_id = create_listing(client)
    add_variant(client, product_id)
    publish(client, product_id)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LessonCompletion)) == 0


def test_a_tick_is_kept_once_with_the_time_it_was_first_done(app, make_user):
    user = make_user("trainee")
    with app.app_context():
        assert services.tick_lesson(user.id, lessons.DISCOUNT) is True
        db.session.commit()
        first = services.completed_lessons(user.id)[lessons.DISCOUNT]
        assert services.tick_lesson(user.id, lessons.DISCOUNT) is False
        db.session.commit()
        assert services.completed_lessons(user.id) == {lessons.DISCOUNT: first}
        assert abs((utcnow() - first).total_seconds()) < 60
        assert db.session.scalar(select(func.count()).select_from(LessonCompletion)) == 1
        with pytest.raises(ValueError):
            services.tick_lesson(user.id, "not_a_lesson")


# --- The checklist page -----------------------------------------------------------------------


def test_the_checklist_shows_progress_and_each_lessons_state(app, trainee, trainer, region):
    cohort = make_cohort(app, trainer, region)
    join(trainee.client, cohort.join_code)
    product_id = create_listing(trainee.client)
    add_variant(trainee.client, product_id)
    publish(trainee.client, product_id)
    trainee.client.get("/train/share")
    page = trainee.client.get("/train?lang=en").get_data(as_text=True)
    assert "3 / 10 lessons done" in page
    assert re.search(r'<progress[^>]*max="10"[^>]*value="3"', page)
    assert "灵寿 2026 春季班" in page
    done = re.search(r'id="lesson-first_product">(.*?)</li>', page, re.DOTALL).group(1)
    assert "Done on" in done and "Publish your first product" in done
    assert "Why it matters" in done
    todo = re.search(r'id="lesson-discount">(.*?)</li>', page, re.DOTALL).group(1)
    assert "Not done yet" in todo and 'href="/sell/discounts"' in todo
    for key, path in (("first_order", "/train/customers"), ("answered_question", "/sell/inbox")):
        assert f'href="{path}"' in re.search(rf'id="lesson-{key}">(.*?)</li>', page, re.S).group(1)
    assert 'href="/train/share"' in page and 'href="/train/reset"' in page
    assert f"/practice/{shop_of(app, trainee.user.id).preview_token}" in page


def test_the_practice_shop_opens_from_the_checklist_in_the_cohorts_region(
    app, make_user, login_as, trainer, region, make_region
):
    make_region(name_zh="别的县", name_en="Another county")
    user = make_user("trainee", language="en")
    client = login_as(user)
    cohort = make_cohort(app, trainer, region)
    join(client, cohort.join_code)
    page = client.get("/train").get_data(as_text=True)
    form = re.search(r'<form[^>]*class="open-shop-form".*?</form>', page, re.S).group(0)
    assert re.search(rf'<option selected value="{region.id}">', form)
    response = submit(
        client,
        "/train",
        "/sell/shop",
        {
            "name_zh": "小华的梨园",
            "region": str(region.id),
            "contact_phone": "138 1234 5678",
            "shipping_fee": "0",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/sell/products/new"
    shop = shop_of(app, user.id)
    assert shop.is_practice and shop.region_id == region.id and shop.name_zh == "小华的梨园"


def test_the_next_step_is_the_first_lesson_not_done_with_its_link(app, trainee):
    page = trainee.client.get("/train?lang=en").get_data(as_text=True)
    next_step = re.search(r'<section class="next-step".*?</section>', page, re.S).group(0)
    assert "Complete your shop profile" in next_step and 'href="/sell/shop"' in next_step
    publish(trainee.client, create_listing(trainee.client))
    with app.app_context():
        db.session.add(LessonCompletion(user_id=trainee.user.id, lesson="profile"))
        db.session.commit()
    page = trainee.client.get("/train?lang=zh").get_data(as_text=True)
    next_step = re.search(r'<section class="next-step".*?</section>', page, re.S).group(0)
    # Profile and first product done: reaching a quality score of 80 is next.
    assert "下一步" in next_step and "让一件商品的质量分达到 80" in next_step
    assert 'href="/sell/products"' in next_step


def test_the_next_step_and_the_shops_tools_come_before_the_lessons(app, trainee):
    page = trainee.client.get("/train?lang=en").get_data(as_text=True)
    lessons_start = page.index('<ol class="lessons">')
    for marker in ('class="next-step"', 'id="preview-address"', 'href="/train/reset"'):
        assert page.index(marker) < lessons_start, marker


def test_with_every_lesson_done_the_next_step_is_the_trainers_review(app, trainee):
    with app.app_context():
        for lesson in lessons.LESSONS:
            db.session.add(LessonCompletion(user_id=trainee.user.id, lesson=lesson.key))
        db.session.commit()
    page = trainee.client.get("/train?lang=en").get_data(as_text=True)
    next_step = re.search(r'<section class="next-step".*?</section>', page, re.S).group(0)
    assert "Every lesson is done" in next_step and "review your shop" in next_step


def test_the_checklist_page_is_in_chinese_too(trainee):
    page = trainee.client.get("/train?lang=zh").get_data(as_text=True)
    assert "0 / 10" in page and "完善店铺资料" in page


# --- The preview storefront -------------------------------------------------------------------


def preview_token(app, trainee) -> str:
    trainee.client.get("/train")  # makes the token on first use
    return shop_of(app, trainee.user.id).preview_token


def test_the_preview_shows_published_listings_marked_as_practice(app, trainee, client):
    published = _published_product(trainee)
    draft = create_listing(trainee.client, title_zh="砀山梨膏 草稿", title_en="Pear syrup draft")
    token = preview_token(app, trainee)
    assert len(token) >= 32
    response = client.get(f"/practice/{token}?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "练习店铺" in page and "Practice shop" in page and "nothing here is for sale" in page
    assert "Dangshan Pear Orchard" in page and "我们家三代人种梨" in page
    assert f"/practice/{token}/products/{published}" in page
    assert "Pear syrup draft" not in page
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert '<meta name="robots" content="noindex' in page
    product_page = client.get(f"/practice/{token}/products/{published}?lang=en")
    assert product_page.status_code == 200
    text = product_page.get_data(as_text=True)
    assert "Dangshan crisp pears, 5 jin" in text and "¥39.90" in text
    assert "Practice shop" in text and product_page.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "/cart/add" not in text
    assert client.get(f"/practice/{token}/products/{draft}").status_code == 404


def test_unknown_tokens_and_exhibitor_shops_have_no_preview(app, client, make_shop, make_product):
    assert client.get("/practice/not-a-token").status_code == 404
    exhibitor = make_shop(preview_token="exhibitor-token-that-should-not-work-123")
    product = make_product(shop=exhibitor)
    assert client.get("/practice/exhibitor-token-that-should-not-work-123").status_code == 404
    url = f"/practice/exhibitor-token-that-should-not-work-123/products/{product.id}"
    assert client.get(url).status_code == 404


def test_another_shops_product_is_not_in_this_preview(app, trainee, make_shop, make_product):
    other = make_product(shop=make_shop(kind="practice"))
    token = preview_token(app, trainee)
    assert trainee.client.get(f"/practice/{token}/products/{other.id}").status_code == 404


# --- Reset ------------------------------------------------------------------------------------


def test_reset_clears_orders_and_messages_returns_stock_and_keeps_listings(app, trainee):
    product_id = _published_product(trainee)
    variant = first_variant_id(app, product_id)
    unpaid = place_practice_order(app, trainee.shop.id, variant, quantity=2, pay=False)
    paid = place_practice_order(app, trainee.shop.id, variant, quantity=3)
    shipped = place_practice_order(app, trainee.shop.id, variant, quantity=4)
    ship(trainee.client, shipped, {"carrier": "顺丰", "tracking_number": "S1"})
    _thread_message(app, paid, MessageKind.QUESTION)
    with app.app_context():
        assert db.session.get(Variant, variant).stock == 20 - 2 - 3 - 4
    page = trainee.client.get("/train/reset?lang=en").get_data(as_text=True)
    assert "3 orders" in page and "1 messages" in page and "1 listings" in page
    response = reset(trainee.client)
    assert response.status_code == 302 and response.headers["Location"] == "/train"
    flashed = trainee.client.get("/train?lang=en").get_data(as_text=True)
    assert "3 orders and 1 messages were cleared" in flashed
    with app.app_context():
        # Stock held by the unpaid and the paid order came back; the shipped parcel left.
        assert db.session.get(Variant, variant).stock == 20 - 4
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0
        assert db.session.scalar(select(func.count()).select_from(Thread)) == 0
        assert db.session.get(Product, product_id).status == "published"
    # The lessons done stay done.
    assert lessons.FIRST_ORDER in done_lessons(app, trainee.user.id)
    assert lessons.SHIPPED in done_lessons(app, trainee.user.id)
    assert unpaid  # placed, then cleared with the others


def test_a_trainee_resets_only_their_own_practice_shop(app, trainee, make_user, login_as, region):
    other = make_user("trainee", language="en")
    other_client = login_as(other)
    open_shop(other_client, region.id, name_zh="另一家店")
    other_product = create_listing(other_client)
    publish(other_client, other_product)
    other_shop = shop_of(app, other.id)
    place_practice_order(app, other_shop.id, first_variant_id(app, other_product))
    assert reset(trainee.client).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_an_exhibitor_shop_cannot_be_reset(app, make_shop, make_user, login_as, make_product):
    graduate = make_user("trainee")
    shop = make_shop(owner=graduate, kind="exhibitor")
    with app.app_context(), pytest.raises(services.NotAPracticeShop):
        services.reset_practice_shop(db.session.get(Shop, shop.id))
    client = login_as(graduate)
    assert client.get("/train/reset").status_code == 404
    assert post_without_form(client, "/train/reset").status_code == 404
