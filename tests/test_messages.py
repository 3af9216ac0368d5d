"""Customers' messages: buyers write on their orders, sellers answer and settle requests."""

import html
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from shop import signals
from shop.accounts.models import OutboxMessage
from shop.extensions import db
from shop.messages import services
from shop.messages.models import Message, MessageKind, RequestState, Thread
from shop.orders.models import Order
from tests.shopping import buy, form_token, orders_of, variant_id

NEW_ADDRESS = {
    "contact_name": "李四",
    "phone": "13900001111",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "文三路 100 号 5 楼",
    "postal_code": "310012",
}


@pytest.fixture
def seller(make_user):
    return make_user("exhibitor", email="seller@example.test")


@pytest.fixture
def shop(make_shop, seller):
    return make_shop(owner=seller)


@pytest.fixture
def seller_client(login_as, seller):
    return login_as(seller)


@pytest.fixture
def buyer(make_user):
    return make_user("customer", email="buyer-account@example.test")


@pytest.fixture
def buyer_client(login_as, buyer):
    return login_as(buyer)


@pytest.fixture
def paid_order(app, make_product, shop, buyer_client):
    """A paid order of the shop, bought by the logged-in buyer."""
    return orders_of(app, buy(buyer_client, variant_id(app, make_product(shop=shop))))[0]


def _post(client, path: str, **data):
    return client.post(path, data={"csrf_token": form_token(client), **data})


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _thread(app, number: str) -> Thread | None:
    """The order's thread and its messages, fresh from the database."""
    with app.app_context():
        thread = db.session.scalar(
            select(Thread)
            .join(Order, Order.id == Thread.order_id)
            .where(Order.number == number)
            .options(selectinload(Thread.messages))
        )
        if thread is not None:
            db.session.expunge_all()
        return thread


def _order(app, number: str) -> Order:
    with app.app_context():
        order = db.session.scalar(
            select(Order).where(Order.number == number).options(selectinload(Order.events))
        )
        db.session.expunge_all()
        return order


def _buyer_request(app, number: str, body: str, kind: str, data: dict | None = None) -> int:
    """A request as a simulated customer sends it (through post_buyer_message); its id."""
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == number))
        message = services.post_buyer_message(order, body, kind, data)
        db.session.commit()
        return message.id


@contextmanager
def _received(signal):
    """Record what a signal announces while the block runs (ids and text, read at the time)."""
    calls = []

    def remember(sender, thread, message, **_extra):
        calls.append(
            {
                "shop_id": sender.id,
                "order_id": thread.order_id,
                "message_id": message.id,
                "body": message.body,
            }
        )

    signal.connect(remember)
    try:
        yield calls
    finally:
        signal.disconnect(remember)


def _nav_badge(page: str) -> str | None:
    match = re.search(r'class="badge inbox-badge">(\d+)<', page)
    return match.group(1) if match else None


def test_a_buyer_writes_the_seller_answers_and_the_buyer_reads_the_reply(
    app, paid_order, buyer_client, seller_client
):
    number = paid_order.number
    sent = _post(buyer_client, f"/orders/{number}/messages", **{"message-body": "能发顺丰吗?"})
    assert sent.status_code == 303
    assert "能发顺丰吗?" in _text(buyer_client.get(f"/orders/{number}"))

    inbox = _text(seller_client.get("/sell/inbox?lang=en"))
    assert number in inbox and "能发顺丰吗?" in inbox
    assert _nav_badge(inbox) == "1"
    assert number in _text(seller_client.get("/sell/inbox?show=waiting"))

    page = _text(seller_client.get(f"/sell/inbox/{number}?lang=en"))
    assert "能发顺丰吗?" in page and f'href="/sell/orders/{number}"' in page
    assert _thread(app, number).seller_unread == 0
    # Read, but still waiting for a reply: the badge stays until the seller answers.
    assert _nav_badge(page) == "1"

    replied = _post(seller_client, f"/sell/inbox/{number}/reply", **{"reply-body": "可以,顺丰包邮"})
    assert replied.status_code == 303
    thread = _thread(app, number)
    question, reply = thread.messages
    assert question.answered_at is not None and reply.author == "seller"
    assert not thread.awaiting_seller and thread.buyer_unread == 1
    assert number not in _text(seller_client.get("/sell/inbox?show=waiting"))
    assert _nav_badge(_text(seller_client.get("/sell/inbox"))) is None

    order_page = _text(buyer_client.get(f"/orders/{number}"))
    assert "可以,顺丰包邮" in order_page
    assert _thread(app, number).buyer_unread == 0


def test_each_side_is_told_by_email_when_the_other_writes(
    app, paid_order, buyer_client, seller_client
):
    number = paid_order.number
    _post(buyer_client, f"/orders/{number}/messages", **{"message-body": "什么时候发货?"})
    _post(seller_client, f"/sell/inbox/{number}/reply", **{"reply-body": "明天上午发"})
    with app.app_context():
        notices = {
            notice.kind: notice
            for notice in db.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.kind.in_(["buyer_message", "seller_reply"])
                )
            )
        }
    to_seller, to_buyer = notices["buyer_message"], notices["seller_reply"]
    assert to_seller.to_email == "seller@example.test"
    assert number in to_seller.subject and "什么时候发货?" in to_seller.body
    assert f"/sell/inbox/{number}" in to_seller.body
    assert to_buyer.to_email == "buyer@example.test" and "明天上午发" in to_buyer.body


def test_a_reply_announces_that_a_customer_was_answered(
    app, paid_order, buyer_client, seller_client, shop
):
    _post(buyer_client, f"/orders/{paid_order.number}/messages", **{"message-body": "在吗?"})
    with _received(signals.customer_answered) as calls:
        _post(seller_client, f"/sell/inbox/{paid_order.number}/reply", **{"reply-body": "在的"})
    assert len(calls) == 1
    assert calls[0]["shop_id"] == shop.id
    assert calls[0]["body"] == "在的" and calls[0]["order_id"] == paid_order.id


def test_another_seller_cannot_see_or_answer_the_thread(
    app, paid_order, buyer_client, make_user, make_shop, login_as
):
    number = paid_order.number
    _post(buyer_client, f"/orders/{number}/messages", **{"message-body": "你好"})
    other_seller = make_user("exhibitor")
    make_shop(owner=other_seller)
    other = login_as(other_seller)
    assert number not in _text(other.get("/sell/inbox"))
    assert other.get(f"/sell/inbox/{number}").status_code == 404
    assert _post(other, f"/sell/inbox/{number}/reply", **{"reply-body": "x"}).status_code == 404
    assert [message.author for message in _thread(app, number).messages] == ["buyer"]


@pytest.mark.parametrize("role", ["customer", "trainer", "organizer"])
def test_people_without_a_shop_role_have_no_inbox(make_user, login_as, role):
    assert login_as(make_user(role)).get("/sell/inbox").status_code == 403


def test_a_guest_without_the_phone_digits_cannot_write(
    app, paid_order, make_user, login_as, client
):
    number = paid_order.number
    assert _post(client, f"/orders/{number}/messages", **{"message-body": "hi"}).status_code == 404
    stranger = login_as(make_user("customer"))
    assert (
        _post(stranger, f"/orders/{number}/messages", **{"message-body": "hi"}).status_code == 404
    )
    assert _thread(app, number) is None


def test_a_guest_who_proved_the_phone_digits_can_write(app, paid_order, client):
    number = paid_order.number
    page = client.get(f"/orders/{number}")
    client.post(
        f"/orders/{number}",
        data={
            "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)[
                1
            ],
            "number": number,
            "last4": "5678",
        },
    )
    sent = _post(client, f"/orders/{number}/messages", **{"message-body": "我是买家"})
    assert sent.status_code == 303
    assert "我是买家" in _text(client.get(f"/orders/{number}"))


@pytest.mark.parametrize(
    ("typed", "says"),
    [("   ", "Write a message first."), ("长" * 1001, "at most 1000 characters")],
)
def test_an_empty_or_too_long_message_is_refused_and_kept(
    app, paid_order, buyer_client, seller_client, typed, says
):
    number = paid_order.number
    response = _post(buyer_client, f"/orders/{number}/messages?lang=en", **{"message-body": typed})
    assert response.status_code == 422
    page = _text(response)
    assert says in page
    if typed.strip():
        assert typed in page  # what the buyer typed is still in the box
    assert _thread(app, number) is None

    reply = _post(seller_client, f"/sell/inbox/{number}/reply?lang=en", **{"reply-body": typed})
    assert reply.status_code == 422 and says in _text(reply)
    assert _thread(app, number) is None


def test_an_address_change_is_applied_to_a_paid_order(app, paid_order, seller_client, buyer_client):
    number = paid_order.number
    request_id = _buyer_request(
        app, number, "地址写错了,请改成杭州", MessageKind.ADDRESS_CHANGE, NEW_ADDRESS
    )
    page = _text(seller_client.get(f"/sell/inbox/{number}?lang=en"))
    assert "Apply the new address" in page
    assert "中关村大街 1 号 2 单元 301" in page and "文三路 100 号 5 楼" in page  # old → new

    applied = _post(seller_client, f"/sell/inbox/{number}/requests/{request_id}/apply")
    assert applied.status_code == 303
    order = _order(app, number)
    assert (order.contact_name, order.phone, order.city, order.street) == (
        "李四",
        "13900001111",
        "杭州市",
        "文三路 100 号 5 楼",
    )
    assert order.status == "paid"
    assert [event.reason_code for event in order.events][-1] == "address_changed"
    history = _text(seller_client.get(f"/sell/orders/{number}?lang=en"))
    assert "The delivery address was changed" in history

    thread = _thread(app, number)
    request, reply = thread.messages
    assert request.request_state == RequestState.DONE and request.answered_at is not None
    assert "文三路 100 号 5 楼" in reply.body and reply.author == "seller"
    assert "文三路 100 号 5 楼" in _text(buyer_client.get(f"/orders/{number}"))


def test_an_address_change_is_refused_once_the_order_shipped(app, paid_order, seller_client):
    number = paid_order.number
    request_id = _buyer_request(app, number, "请改地址", MessageKind.ADDRESS_CHANGE, NEW_ADDRESS)
    _post(
        seller_client,
        f"/sell/orders/{number}/ship",
        carrier="顺丰速运",
        tracking_number="SF1234567890",
    )
    assert "Apply the new address" not in _text(seller_client.get(f"/sell/inbox/{number}?lang=en"))

    refused = _post(seller_client, f"/sell/inbox/{number}/requests/{request_id}/apply?lang=en")
    assert refused.status_code == 303
    shown = _text(seller_client.get(refused.headers["Location"] + "?lang=en"))
    assert "only be changed while the order is paid and not yet shipped" in shown
    order = _order(app, number)
    assert (order.street, order.contact_name) == ("中关村大街 1 号 2 单元 301", "王小明")
    assert "address_changed" not in [event.reason_code for event in order.events]
    assert _thread(app, number).messages[0].request_state == RequestState.OPEN


def test_a_request_can_be_declined_with_a_reply(app, paid_order, seller_client, buyer_client):
    number = paid_order.number
    request_id = _buyer_request(app, number, "请改地址", MessageKind.ADDRESS_CHANGE, NEW_ADDRESS)
    path = f"/sell/inbox/{number}/requests/{request_id}/decline"
    empty = _post(seller_client, path + "?lang=en", **{f"decline{request_id}-body": " "})
    assert empty.status_code == 422 and "Write a message first." in _text(empty)
    assert _thread(app, number).messages[0].request_state == RequestState.OPEN

    declined = _post(seller_client, path, **{f"decline{request_id}-body": "已经打包好了,改不了"})
    assert declined.status_code == 303
    request, reply = _thread(app, number).messages
    assert request.request_state == RequestState.DECLINED and request.answered_at is not None
    assert reply.body == "已经打包好了,改不了"
    assert _order(app, number).street == "中关村大街 1 号 2 单元 301"
    assert "已经打包好了,改不了" in _text(buyer_client.get(f"/orders/{number}"))
    # Declined once is declined: a second try changes nothing.
    again = _post(seller_client, path, **{f"decline{request_id}-body": "再说一次"})
    assert again.status_code == 303 and len(_thread(app, number).messages) == 2


def test_declining_a_refund_request_counts_as_handling_it(app, paid_order, seller_client):
    number = paid_order.number
    request_id = _buyer_request(app, number, "我想退款", MessageKind.REFUND_REQUEST)
    with _received(signals.refund_request_handled) as calls:
        _post(
            seller_client,
            f"/sell/inbox/{number}/requests/{request_id}/decline",
            **{f"decline{request_id}-body": "已经发货,请收到后再说"},
        )
    assert [call["message_id"] for call in calls] == [request_id]
    assert _thread(app, number).messages[0].request_state == RequestState.DECLINED


def test_refunding_the_order_settles_the_refund_request(app, paid_order, seller_client):
    number = paid_order.number
    request_id = _buyer_request(app, number, "不想要了,请退款", MessageKind.REFUND_REQUEST)
    page = _text(seller_client.get(f"/sell/inbox/{number}?lang=en"))
    assert f'href="/sell/orders/{number}#refund-title"' in page
    assert "Open request" in _text(seller_client.get("/sell/inbox?lang=en"))

    with _received(signals.refund_request_handled) as calls:
        refunded = _post(
            seller_client,
            f"/sell/orders/{number}/refund",
            **{"refund-reason": "买家要求退款", "refund-confirm": "1", "refund-expected": "0"},
        )
    assert refunded.status_code == 302
    assert _order(app, number).status == "refunded"
    assert [call["message_id"] for call in calls] == [request_id]
    thread = _thread(app, number)
    assert thread.messages[0].request_state == RequestState.DONE
    assert not thread.awaiting_seller
    assert "Open request" not in _text(seller_client.get("/sell/inbox?lang=en"))


def test_a_real_buyer_asks_for_a_refund_after_shipping_and_the_seller_settles_it(
    app, paid_order, seller_client, buyer_client
):
    number = paid_order.number
    _post(seller_client, f"/sell/orders/{number}/ship", carrier="顺丰速运", tracking_number="SF1")
    page = _text(buyer_client.get(f"/orders/{number}?lang=en"))
    assert "I am asking for a refund of this order" in page
    sent = _post(
        buyer_client,
        f"/orders/{number}/messages",
        **{"message-body": "梨有几个磕坏了，可以退款吗?", "message-refund": "y"},
    )
    assert sent.status_code == 303
    (request,) = _thread(app, number).messages
    assert (request.kind, request.request_state) == (MessageKind.REFUND_REQUEST, RequestState.OPEN)
    assert "Open request" in _text(seller_client.get("/sell/inbox?lang=en"))

    with _received(signals.refund_request_handled) as calls:
        _post(
            seller_client,
            f"/sell/orders/{number}/refund",
            **{"refund-reason": "破损退款", "refund-confirm": "1", "refund-expected": "0"},
        )
    assert _order(app, number).status == "refunded"
    assert [call["message_id"] for call in calls] == [request.id]
    # Once refunded, the order page no longer offers to ask for a refund, and a forged one is
    # an ordinary message.
    assert "I am asking for a refund" not in _text(buyer_client.get(f"/orders/{number}?lang=en"))
    _post(
        buyer_client,
        f"/orders/{number}/messages",
        **{"message-body": "谢谢", "message-refund": "y"},
    )
    assert _thread(app, number).messages[-1].kind == MessageKind.MESSAGE


def test_a_message_of_another_order_is_not_found(
    app, paid_order, seller_client, make_product, shop, make_user, login_as
):
    other_client = login_as(make_user("customer"))
    other = orders_of(app, buy(other_client, variant_id(app, make_product(shop=shop))))[0]
    request_id = _buyer_request(
        app, other.number, "请改地址", MessageKind.ADDRESS_CHANGE, NEW_ADDRESS
    )
    _buyer_request(app, paid_order.number, "你好", MessageKind.QUESTION)
    wrong = f"/sell/inbox/{paid_order.number}/requests/{request_id}/apply"
    assert _post(seller_client, wrong).status_code == 404
    assert _order(app, other.number).street == "中关村大街 1 号 2 单元 301"


def test_practice_orders_are_marked_and_send_no_mail(app, paid_order, buyer_client, seller_client):
    with app.app_context():
        db.session.execute(update(Order).where(Order.id == paid_order.id).values(is_practice=True))
        db.session.commit()
    _post(buyer_client, f"/orders/{paid_order.number}/messages", **{"message-body": "练习"})
    page = _text(seller_client.get("/sell/inbox?lang=en"))
    assert paid_order.number in page and '<span class="badge">Practice</span>' in page
    with app.app_context():
        assert (
            db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "buyer_message"))
            is None
        )


def test_the_inbox_costs_the_same_queries_however_many_threads(
    app, seller_client, make_product, shop, count_queries
):
    variant = variant_id(app, make_product(shop=shop, stock=50))

    def add_threads(count: int) -> None:
        for _ in range(count):
            order = orders_of(app, buy(app.test_client(), variant))[0]
            _buyer_request(app, order.number, "在吗?", MessageKind.QUESTION)
            _buyer_request(app, order.number, "请退款", MessageKind.REFUND_REQUEST)

    add_threads(2)
    few = count_queries(seller_client, "/sell/inbox")
    add_threads(5)
    many = count_queries(seller_client, "/sell/inbox")
    assert many == few
    assert len(re.findall(r'href="/sell/inbox/VM-', seller_client.get("/sell/inbox").text)) == 7
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Message.id))) == 14


# --- The thread as a chat, and quick replies (常用语) ---------------------------------------


def test_the_thread_reads_as_a_chat_oldest_first_the_buyer_left_the_seller_right(
    app, paid_order, seller_client, buyer_client
):
    number = paid_order.number
    _post(buyer_client, f"/orders/{number}/messages", **{"message-body": "第一条：什么时候发货？"})
    _post(seller_client, f"/sell/inbox/{number}/reply", **{"reply-body": "第二条：今天下午。"})
    _post(buyer_client, f"/orders/{number}/messages", **{"message-body": "第三条：谢谢！"})
    page = seller_client.get(f"/sell/inbox/{number}?lang=en").get_data(as_text=True)
    bubbles = re.findall(r'<li class="message message-(\w+) (message-\w+)"', page)
    assert bubbles == [
        ("buyer", "message-theirs"),
        ("seller", "message-mine"),
        ("buyer", "message-theirs"),
    ]
    assert page.index("第一条") < page.index("第二条") < page.index("第三条")
    # On the buyer's page the same thread has the buyer's own messages on the right.
    buyer_page = buyer_client.get(f"/orders/{number}?lang=en").get_data(as_text=True)
    assert re.findall(r'<li class="message message-\w+ (message-\w+)"', buyer_page) == [
        "message-mine",
        "message-theirs",
        "message-mine",
    ]


def test_a_new_seller_starts_with_quick_replies_in_their_language(app, paid_order, seller_client):
    zh = _text(seller_client.get(f"/sell/inbox/{paid_order.number}?lang=zh"))
    assert "您好，在的！请问有什么可以帮您？" in zh and "常用语" in zh
    en = _text(seller_client.get(f"/sell/inbox/{paid_order.number}?lang=en"))
    assert "Hello! How can I help you?" in en


def _quick_bodies(client, lang="en") -> list[str]:
    page = client.get(f"/sell/inbox/quick-replies?lang={lang}").get_data(as_text=True)
    return [
        html.unescape(value)
        for value in re.findall(r'name="quick\d+-body"[^>]*value="([^"]*)"', page)
        + re.findall(r'value="([^"]*)"[^>]*name="quick\d+-body"', page)
    ]


def _quick_ids(app, seller) -> list[int]:
    from shop.messages.models import QuickReply

    with app.app_context():
        return list(
            db.session.scalars(
                select(QuickReply.id)
                .where(QuickReply.user_id == seller.id, QuickReply.deleted.is_(False))
                .order_by(QuickReply.position, QuickReply.id)
            )
        )


def test_the_seller_adds_edits_and_deletes_quick_replies(app, seller, seller_client):
    starters = _quick_bodies(seller_client, "zh")
    assert len(starters) == 5 and starters[0] == "您好，在的！请问有什么可以帮您？"
    first, second, *_ = _quick_ids(app, seller)

    added = _post(seller_client, "/sell/inbox/quick-replies", **{"new-body": " 梨是今早现摘的。 "})
    assert added.status_code == 303
    _post(seller_client, f"/sell/inbox/quick-replies/{first}", **{f"quick{first}-body": "您好！"})
    _post(seller_client, f"/sell/inbox/quick-replies/{second}/delete")

    bodies = _quick_bodies(seller_client)
    assert bodies[0] == "您好！" and bodies[-1] == "梨是今早现摘的。"
    assert starters[1] not in bodies and len(bodies) == 5

    # An empty or too long one is refused with a message, keeping what was typed.
    empty = _post(seller_client, "/sell/inbox/quick-replies?lang=en", **{"new-body": "  "})
    assert empty.status_code == 422 and "Write the quick reply first." in _text(empty)
    too_long = _post(
        seller_client,
        f"/sell/inbox/quick-replies/{first}?lang=en",
        **{f"quick{first}-body": "长" * 301},
    )
    assert too_long.status_code == 422 and "at most 300 characters" in _text(too_long)
    assert _quick_bodies(seller_client)[0] == "您好！"


def test_deleting_every_quick_reply_does_not_bring_the_starters_back(app, seller, seller_client):
    _quick_bodies(seller_client)
    for reply_id in _quick_ids(app, seller):
        _post(seller_client, f"/sell/inbox/quick-replies/{reply_id}/delete")
    page = _text(seller_client.get("/sell/inbox/quick-replies?lang=en"))
    assert "No quick replies yet." in page and "Hello! How can I help you?" not in page


def test_another_sellers_quick_reply_cannot_be_touched(
    app, seller, seller_client, make_user, make_shop, login_as
):
    _quick_bodies(seller_client)
    mine = _quick_ids(app, seller)[0]
    other_seller = make_user("exhibitor")
    make_shop(owner=other_seller)
    other = login_as(other_seller)
    assert (
        _post(other, f"/sell/inbox/quick-replies/{mine}", **{f"quick{mine}-body": "x"}).status_code
        == 404
    )
    assert _post(other, f"/sell/inbox/quick-replies/{mine}/delete").status_code == 404
    assert len(_quick_ids(app, seller)) == 5


def test_without_javascript_the_picker_inserts_a_quick_reply_into_the_reply_box(
    app, paid_order, seller_client
):
    number = paid_order.number
    page = _post(
        seller_client,
        f"/sell/inbox/{number}/reply?lang=zh",
        **{"reply-body": "亲，", "reply-quick": "1", "reply-insert": "1"},
    )
    assert page.status_code == 200
    box = re.search(r"<textarea[^>]*>(.*?)</textarea>", page.get_data(as_text=True), re.S)
    assert html.unescape(box.group(1)).strip() == "亲，\n今天下午发货，发出后会把快递单号发给您。"
    # Nothing was sent.
    assert _thread(app, number) is None
