"""联系卖家: a signed-in buyer asks a shop about a product before buying. One conversation per
(product, buyer), in the seller's inbox beside the order threads, under the same message rules."""

import html
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from bench.http_buyer import Browser
from shop.accounts.models import OutboxMessage
from shop.extensions import db
from shop.messages.models import Message, Thread
from shop.messages.services import MAX_BODY_LENGTH
from tests.forms import form_data, form_on, submit
from tests.live_http import running_server

PASSWORD = "correct horse battery"


@pytest.fixture
def seller(make_user):
    return make_user("exhibitor", email="presale-seller@example.test", language="en")


@pytest.fixture
def shop(make_shop, seller):
    return make_shop(owner=seller)


@pytest.fixture
def product(make_product, shop):
    return make_product(shop=shop, title_zh="砀山酥梨", title_en="Crisp pears", slug="pears")


@pytest.fixture
def buyer(make_user):
    return make_user("customer", email="presale-buyer@example.test")


@pytest.fixture
def buyer_client(login_as, buyer):
    return login_as(buyer)


@pytest.fixture
def seller_client(login_as, seller):
    return login_as(seller)


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def _ask(client, product_id: int, body: str, lang: str = "en"):
    """Send the ask page's form; ?lang= (not in its action) picks the answer's language."""
    page = client.get(f"/products/{product_id}/ask").get_data(as_text=True)
    form = form_on(page, f"/products/{product_id}/ask")
    return client.post(f"{form.action}?lang={lang}", data=form_data(form, {"ask-body": body}))


def _threads(app) -> list[tuple]:
    with app.app_context():
        return [
            (t.order_id, t.product_id, t.buyer_id, t.seller_unread, t.buyer_unread, len(t.messages))
            for t in db.session.scalars(select(Thread).order_by(Thread.id))
        ]


def _only_thread_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Thread.id))


# --- Who may ask ----------------------------------------------------------------------------


def test_the_product_page_links_to_contact_the_seller(client, product):
    page = client.get(f"/products/{product.id}-pears?lang=zh").get_data(as_text=True)
    assert f'href="/products/{product.id}/ask"' in page and "联系卖家" in page


def test_signed_out_visitors_log_in_first_and_come_back(app, client, product, buyer):
    response = client.get(f"/products/{product.id}/ask")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert (
        location.startswith("/login") and quote(f"/products/{product.id}/ask", safe="") in location
    )
    logged_in = submit(client, location, "/login", {"email": buyer.email, "password": PASSWORD})
    assert logged_in.headers["Location"] == f"/products/{product.id}/ask"
    assert "Crisp pears" in _text(client.get(f"/products/{product.id}/ask?lang=en"))


def test_signed_out_visitors_cannot_send(app, client, product):
    response = client.post(f"/products/{product.id}/ask", data={"ask-body": "Hello?"})
    assert response.status_code in (302, 400)
    assert _threads(app) == []


def test_a_seller_cannot_contact_their_own_product(app, seller_client, product):
    response = seller_client.get(f"/products/{product.id}/ask?lang=en")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/products/{product.id}-pears")
    assert "your own shop" in _text(seller_client.get(response.headers["Location"]))
    # No form is shown to the seller: a forged post must not open a thread either.
    token = seller_client.get("/cart/form-token").get_json()["csrf_token"]
    seller_client.post(
        f"/products/{product.id}/ask", data={"ask-body": "Talking to myself", "csrf_token": token}
    )
    assert _threads(app) == []


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_no_conversation_about_a_product_nobody_can_see(
    app, buyer_client, make_product, shop, status
):
    hidden = make_product(shop=shop, status=status, slug="hidden")
    assert buyer_client.get(f"/products/{hidden.id}/ask").status_code == 404
    # No form is shown for a hidden product: a forged post with a valid token.
    token = buyer_client.get("/cart/form-token").get_json()["csrf_token"]
    response = buyer_client.post(
        f"/products/{hidden.id}/ask", data={"ask-body": "Hello?", "csrf_token": token}
    )
    assert response.status_code == 404
    assert _threads(app) == []


@pytest.mark.parametrize(
    "product_part",
    ["999999", "99999999999999999999", "²", "0", "-1", "1%00", "%F0%9F%8D%90", "x" * 2000],
)
def test_hostile_product_ids_are_not_found(app, buyer_client, product_part):
    # Not a product id at all: no route (404, 405 for a POST), or NUL refused up front (400).
    assert buyer_client.get(f"/products/{product_part}/ask").status_code in (400, 404)
    token = buyer_client.get("/cart/form-token").get_json()["csrf_token"]
    response = buyer_client.post(
        f"/products/{product_part}/ask", data={"ask-body": "hi", "csrf_token": token}
    )
    assert response.status_code in (400, 404, 405)
    assert _threads(app) == []


@pytest.mark.parametrize("thread_part", ["999999", "99999999999999999999", "²", "0", "abc"])
def test_hostile_thread_ids_in_the_inbox_are_not_found(seller_client, thread_part):
    assert seller_client.get(f"/sell/inbox/ask/{thread_part}").status_code == 404
    token = seller_client.get("/cart/form-token").get_json()["csrf_token"]
    response = seller_client.post(
        f"/sell/inbox/ask/{thread_part}/reply", data={"reply-body": "hi", "csrf_token": token}
    )
    assert response.status_code in (404, 405)


# --- Create and reuse -------------------------------------------------------------------------


def test_the_first_question_opens_a_thread_in_the_sellers_inbox(
    app, buyer_client, seller_client, product, buyer
):
    response = _ask(buyer_client, product.id, "  请问十斤箱有几个梨？  ")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/products/{product.id}/ask#messages")
    assert _threads(app) == [(None, product.id, buyer.id, 1, 0, 1)]
    assert "请问十斤箱有几个梨？" in _text(buyer_client.get(f"/products/{product.id}/ask"))

    inbox = _text(seller_client.get("/sell/inbox?lang=en"))
    thread_id = _only_thread_id(app)
    assert f'href="/sell/inbox/ask/{thread_id}"' in inbox
    assert "Crisp pears" in inbox and "Before buying" in inbox and buyer.display_name in inbox
    assert "Waiting for your reply" in inbox
    assert "Waiting for your reply" in _text(seller_client.get("/sell/inbox?show=waiting&lang=en"))
    # The seller was told by mail, with a link to the conversation.
    with app.app_context():
        notice = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.to_email == "presale-seller@example.test")
        )
        assert notice is not None and f"/sell/inbox/ask/{thread_id}" in notice.body


def test_the_seller_reads_and_answers_and_the_buyer_sees_the_reply(
    app, buyer_client, seller_client, product, buyer
):
    _ask(buyer_client, product.id, "Can you ship to Xinjiang?")
    thread_id = _only_thread_id(app)
    page = seller_client.get(f"/sell/inbox/ask/{thread_id}?lang=en")
    assert page.status_code == 200
    text = _text(page)
    assert "Question before buying" in text and "Can you ship to Xinjiang?" in text
    assert _threads(app)[0][3] == 0  # opening it marked it read
    form = form_on(page.get_data(as_text=True), f"/sell/inbox/ask/{thread_id}/reply")
    # "Send" (unnamed) is pressed, not the quick-reply picker's "Insert" before it.
    data = form_data(form, {"reply-body": "Yes, shipping is extra."}, button=("", ""))
    reply = seller_client.post(form.action, data=data)
    assert reply.status_code == 303
    assert _threads(app)[0][4:] == (1, 2)  # one unread for the buyer, two messages
    answer = _text(buyer_client.get(f"/products/{product.id}/ask?lang=en"))
    assert "Yes, shipping is extra." in answer
    assert _threads(app)[0][4] == 0  # the buyer has read it now
    assert "Crisp pears" in _text(buyer_client.get("/messages?lang=en"))
    with app.app_context():
        notice = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.to_email == "presale-buyer@example.test")
        )
        assert notice is not None and "Yes, shipping is extra." in notice.body


def test_asking_again_reuses_the_same_thread(app, buyer_client, product):
    _ask(buyer_client, product.id, "First question")
    _ask(buyer_client, product.id, "Second question")
    threads = _threads(app)
    assert len(threads) == 1 and threads[0][5] == 2


def test_each_buyer_and_each_product_has_its_own_thread(
    app, buyer_client, product, make_product, shop, make_user, login_as
):
    other_product = make_product(shop=shop, slug="honey")
    other_buyer = login_as(make_user("customer"))
    _ask(buyer_client, product.id, "A")
    _ask(buyer_client, other_product.id, "B")
    _ask(other_buyer, product.id, "C")
    assert len(_threads(app)) == 3
    # Nobody sees another buyer's conversation: their own page is empty of it.
    assert "A" not in re.findall(
        r'class="message-body">([^<]*)<',
        other_buyer.get(f"/products/{product.id}/ask").get_data(as_text=True),
    )


def test_a_double_submit_opens_one_thread(app, product, buyer):
    """Eight taps at the same moment on a real threaded server: one thread, no error page."""
    taps = 8
    with running_server(app) as base:
        phone = Browser(base)
        login = form_on(phone.request("/login")[2], "/login", "/login")
        changes = {"email": buyer.email, "password": PASSWORD}
        status, _, _ = phone.request("/login", list(form_data(login, changes).items(multi=True)))
        assert status == 302
        ask = f"/products/{product.id}/ask"
        form = form_on(phone.request(ask)[2], ask, ask)
        start = threading.Barrier(taps)

        def tap(number: int):
            start.wait()
            data = form_data(form, {"ask-body": f"Hello {number}"})
            return phone.request(ask, list(data.items(multi=True)))[0]

        with ThreadPoolExecutor(max_workers=taps) as pool:
            statuses = list(pool.map(tap, range(taps)))
    assert statuses == [303] * taps
    with app.app_context():
        assert db.session.scalar(select(func.count(Thread.id))) == 1
        assert db.session.scalar(select(func.count(Message.id))) == taps


# --- The same rules as order messages --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "Write a message first."),
        ("   ", "Write a message first."),
        ("梨" * (MAX_BODY_LENGTH + 1), "at most 1000 characters"),
    ],
)
def test_empty_or_too_long_questions_are_refused_and_kept(app, buyer_client, product, body, error):
    response = _ask(buyer_client, product.id, body)
    assert response.status_code == 422
    assert error in _text(response)
    if body.strip():
        assert body in response.get_data(as_text=True)
    assert _threads(app) == []


@pytest.mark.parametrize("body", ["²³ 🍐", "<script>alert(1)</script>", "x" * 10_000, "a\x00b"])
def test_hostile_questions_never_fail(app, buyer_client, product, body):
    response = _ask(buyer_client, product.id, body)
    assert response.status_code in (303, 400, 422)
    page = buyer_client.get(f"/products/{product.id}/ask").get_data(as_text=True)
    assert "<script>alert(1)" not in page


def test_a_question_without_a_valid_token_is_refused(app, buyer_client, product):
    # Forged on purpose: the form's token left out.
    response = buyer_client.post(f"/products/{product.id}/ask", data={"ask-body": "Hi"})
    assert response.status_code in (400, 422)
    assert _threads(app) == []


def test_questions_share_the_buyers_hourly_limit(app, buyer_client, product):
    app.config["RATELIMIT_ENABLED"] = True
    statuses = [_ask(buyer_client, product.id, f"Q{n}").status_code for n in range(31)]
    assert statuses[:30] == [303] * 30 and statuses[30] == 429


def test_a_quick_reply_goes_into_the_reply_box_without_sending(
    app, buyer_client, seller_client, product
):
    _ask(buyer_client, product.id, "Hello?")
    thread_id = _only_thread_id(app)
    page = seller_client.get(f"/sell/inbox/ask/{thread_id}?lang=zh").get_data(as_text=True)
    assert "常用语" in page
    form = form_on(page, f"/sell/inbox/ask/{thread_id}/reply")
    # The "insert" button, not "send": the chosen quick reply lands in the box.
    data = form_data(form, {"reply-body": "", "reply-quick": "0"}, button=("reply-insert", "1"))
    response = seller_client.post(form.action + "?lang=zh", data=data)
    assert response.status_code == 200
    assert "您好，在的！请问有什么可以帮您？" in response.get_data(as_text=True)
    assert _threads(app)[0][5] == 1  # nothing was sent


def test_another_seller_cannot_open_or_answer_the_thread(
    app, buyer_client, product, make_user, login_as
):
    _ask(buyer_client, product.id, "Hello?")
    thread_id = _only_thread_id(app)
    stranger = login_as(make_user("exhibitor"))
    assert stranger.get(f"/sell/inbox/ask/{thread_id}").status_code == 404
    # The stranger is shown no form (404): a forged post with their own valid token.
    token = stranger.get("/cart/form-token").get_json()["csrf_token"]
    response = stranger.post(
        f"/sell/inbox/ask/{thread_id}/reply", data={"reply-body": "Mine!", "csrf_token": token}
    )
    assert response.status_code == 404
    assert _threads(app)[0][5] == 1
    assert buyer_client.get(f"/sell/inbox/ask/{thread_id}").status_code == 403


def test_a_signed_in_buyer_finds_their_conversations_from_the_header_and_account(buyer_client):
    for page in ("/?lang=zh", "/account?lang=zh"):
        html_page = buyer_client.get(page).get_data(as_text=True)
        assert '<a href="/messages">我的消息</a>' in html_page, page
    assert buyer_client.get("/messages?lang=zh").status_code == 200
