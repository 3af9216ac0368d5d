"""Mobile numbers: sign-up confirmed by an SMS code, log-in by number or by code, reset by code,
and the SMS sent through the outbox or an SMS provider's HTTP API."""

import http.server
import json
import re
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from shop.accounts.models import OutboxMessage, PhoneCode, User
from shop.accounts.phones import normalize_phone
from shop.extensions import db
from shop.models_base import utcnow
from tests.forms import form_data, form_on
from tests.helpers import build_app, csrf_token, reset_database

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a new and long passphrase"
PHONE = "+8613812345678"


def post_form(client, url, data, page=None, **kwargs):
    """Open the page (`url` itself unless `page` is named) and send its form for `url`'s path,
    changed by `data`. It goes to `url`, whose ?lang= picks the answer's language."""
    page = page or url
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    form = form_on(response.get_data(as_text=True), urlsplit(url).path, urlsplit(page).path)
    return client.post(url, data=form_data(form, data), **kwargs)


def sign_up(client, phone="138 1234 5678", email="", headers=None, **extra):
    data = {
        "email": email,
        "phone": phone,
        "display_name": "阿梅",
        "password": PASSWORD,
        "language": "zh",
        "role": "customer",
        **extra,
    }
    return post_form(client, "/signup", data, headers=headers or {})


def log_in(client, account, password=PASSWORD, **kwargs):
    return post_form(client, "/login", {"email": account, "password": password}, **kwargs)


def sms_messages(app):
    with app.app_context():
        return db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_phone.is_not(None))
            .order_by(OutboxMessage.id)
        ).all()


def last_code(app) -> str:
    """The six digits of the newest SMS in the outbox, as the person reads them on the phone."""
    return re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", sms_messages(app)[-1].body).group(1)


def enter_code(client, url, code, environ_base=None, **extra):
    return post_form(client, url, {"code": code, **extra}, environ_base=environ_base or {})


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.fixture
def phone_user(app):
    """A customer with a confirmed mobile number 138 1234 5678 and no email."""
    with app.app_context():
        user = User(phone=PHONE, phone_confirmed_at=utcnow(), display_name="阿梅", language="zh")
        user.set_password(PASSWORD)
        user.add_role("customer")
        db.session.add(user)
        db.session.commit()
        return user.id


def ask_login_code(client, phone="138 1234 5678", **kwargs):
    return post_form(client, "/login/code", {"phone": phone}, **kwargs)


# --- Reading numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "8613812345678",
        "0086 13812345678",
        "１３８１２３４５６７８",
        "＋８６　１３８－１２３４－５６７８",
    ],
)
def test_every_usual_spelling_of_a_number_is_one_stored_form(typed):
    assert normalize_phone(typed) == PHONE


@pytest.mark.parametrize(
    "typed",
    [
        "12812345678",  # no mainland mobile starts 12
        "1381234567",
        "138123456789",
        "¹³⁸¹²³⁴⁵⁶⁷⁸",
        "13⁸12345678",
        "١٣٨١٢٣٤٥٦٧٨",
        "99999999999999999999999",
        "138 1234 5678 📱",
        "+1 138 1234 5678",
        "",
        "1" * 10_000,
    ],
)
def test_what_is_not_a_mainland_mobile_number_is_refused(typed):
    assert normalize_phone(typed) is None


# --- Sign-up with a number, confirmed by the SMS code ---------------------------------------


def test_signup_with_a_number_waits_for_the_texted_code_then_logs_in(app, client):
    response = sign_up(client, phone="+86 138-1234-5678")
    assert response.status_code == 302 and response.headers["Location"] == "/signup/confirm"
    assert client.get("/account").status_code == 302, "not logged in before the code"
    (sms,) = sms_messages(app)
    assert sms.to_phone == PHONE and sms.to_email is None and sms.kind == "sms_signup"
    assert "验证码" in sms.body, "the SMS speaks the chosen language"
    code = last_code(app)
    with app.app_context():
        stored = db.session.scalars(select(PhoneCode)).one()
        assert code not in stored.code_hash, "only a keyed hash of the code is kept"
        user = db.session.scalar(select(User).where(User.phone == PHONE))
        assert user.email is None and user.phone_confirmed_at is None
    page = client.get("/signup/confirm?lang=en").get_data(as_text=True)
    assert "138****5678" in page and "Confirm your mobile number" in page

    wrong = enter_code(client, "/signup/confirm?lang=en", other_code(code))
    assert wrong.status_code == 422
    assert "That code is not right. Tries left: 4." in wrong.get_data(as_text=True)

    right = enter_code(client, "/signup/confirm", code)
    assert right.status_code == 302
    account = client.get("/account?lang=en")
    assert account.status_code == 200
    assert "138 1234 5678" in account.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.phone_confirmed_at)) is not None


def test_signup_with_email_and_number_keeps_both(app, client):
    sign_up(client, phone="13812345678", email="Amei@Example.test")
    enter_code(client, "/signup/confirm", last_code(app))
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert (user.email, user.phone) == ("amei@example.test", PHONE)


def test_signup_needs_an_email_or_a_number_and_keeps_what_was_typed(app, client):
    response = sign_up(client, phone="", email="", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "Enter an email or a mobile number." in response.get_data(as_text=True)
    bad = sign_up(client, phone="138 1234 567", headers={"Accept-Language": "en"})
    page = bad.get_data(as_text=True)
    assert "Enter an 11-digit mainland mobile number" in page
    assert 'value="138 1234 567"' in page and 'value="阿梅"' in page
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_a_number_that_has_an_account_is_refused_clearly(app, client, phone_user):
    response = sign_up(client, phone="138-1234-5678", headers={"Accept-Language": "en"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This mobile number already has an account" in page
    assert 'value="138-1234-5678"' in page
    chinese = sign_up(client, phone="13812345678").get_data(as_text=True)
    assert "该手机号已注册" in chinese
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


def test_a_number_taken_by_a_racing_signup_is_refused_not_a_500(app, client):
    """Another sign-up commits the same number between our check and our insert."""
    with app.app_context():
        engine = db.engine

    raced = []

    def other_request_wins(session, _context, _instances):
        if not raced and any(isinstance(obj, User) for obj in session.new):
            raced.append(True)
            with engine.begin() as connection:
                connection.execute(
                    insert(User.__table__).values(
                        phone=PHONE,
                        password_hash="x",
                        display_name="Quick",
                        language="zh",
                        active=True,
                        session_version=1,
                        created_at=utcnow(),
                        updated_at=utcnow(),
                    )
                )

    event.listen(Session, "before_flush", other_request_wins)
    try:
        response = sign_up(client, phone="13812345678", headers={"Accept-Language": "en"})
    finally:
        event.remove(Session, "before_flush", other_request_wins)
    assert raced, "the other sign-up ran"
    assert response.status_code == 422
    assert "This mobile number already has an account" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(User.display_name)).all() == ["Quick"]


# --- Log-in with the number and the password -------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["13812345678", "+86 138 1234 5678", "86-138-1234-5678", "１３８ １２３４ ５６７８"],
)
def test_log_in_with_the_number_however_it_is_written(client, phone_user, typed):
    response = log_in(client, typed)
    assert response.status_code == 302
    assert client.get("/account").status_code == 200


def test_log_in_by_number_with_a_wrong_password_says_account_or_password(client, phone_user):
    for language, words in (("zh", "账号或密码不正确"), ("en", "or the password is not right")):
        response = log_in(
            client, "13812345678", "not the password at all", headers={"Accept-Language": language}
        )
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert words in page and "邮箱和密码不匹配" not in page
        assert 'value="13812345678"' in page, "the number stays in the field"
    assert client.get("/account").status_code == 302


def test_an_unconfirmed_number_cannot_log_in_with_the_password(app, client):
    sign_up(client, phone="13812345678")
    response = log_in(app.test_client(), "13812345678")
    assert response.status_code == 200


def test_log_in_page_asks_for_email_or_mobile_number(client):
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert "Email or mobile number" in page and "Log in with an SMS code" in page
    assert "邮箱或手机号" in client.get("/login?lang=zh").get_data(as_text=True)


# --- Log-in with a texted code ---------------------------------------------------------------


def test_log_in_with_a_texted_code(app, client, phone_user):
    response = ask_login_code(client, "+86 13812345678")
    assert response.status_code == 302 and response.headers["Location"] == "/login/code/enter"
    (sms,) = sms_messages(app)
    assert sms.kind == "sms_login" and sms.to_phone == PHONE
    assert enter_code(client, "/login/code/enter", last_code(app)).status_code == 302
    assert client.get("/account").status_code == 200


def test_asking_for_a_code_for_an_unknown_number_looks_the_same_and_texts_nobody(app, client):
    response = ask_login_code(client, "13912345678")
    assert response.status_code == 302
    page = client.get("/login/code/enter?lang=en").get_data(as_text=True)
    assert "If 139****5678 belongs to an account" in page
    assert sms_messages(app) == []


def test_a_code_works_once(app, client, phone_user):
    ask_login_code(client)
    code = last_code(app)
    assert enter_code(client, "/login/code/enter", code).status_code == 302
    post_form(client, "/logout", {}, page="/account")
    thief = app.test_client()
    with thief.session_transaction() as session:
        session["code_phone"], session["code_purpose"] = PHONE, "login"
    again = enter_code(thief, "/login/code/enter?lang=en", code)
    assert again.status_code == 422
    assert "expired or was used up" in again.get_data(as_text=True)
    assert thief.get("/account").status_code == 302


def test_a_code_expires_after_ten_minutes(app, client, phone_user, clock):
    ask_login_code(client)
    code = last_code(app)
    clock.advance(timedelta(minutes=10, seconds=1))
    response = enter_code(client, "/login/code/enter?lang=en", code)
    assert response.status_code == 422
    assert "expired or was used up" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_five_tries_use_a_code_up_even_the_right_one_after(app, phone_user):
    # Each try from another address: the code's own limit, not the address limit, stops it.
    client = app.test_client()
    ask_login_code(client)
    code = last_code(app)
    for number in range(4):
        response = enter_code(
            client,
            "/login/code/enter?lang=en",
            other_code(code),
            environ_base={"REMOTE_ADDR": f"10.9.0.{number}"},
        )
        assert f"Tries left: {4 - number}." in response.get_data(as_text=True)
    fifth = enter_code(
        client,
        "/login/code/enter?lang=en",
        other_code(code),
        environ_base={"REMOTE_ADDR": "10.9.1.1"},
    )
    assert "expired or was used up" in fifth.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(PhoneCode.attempts)).one() == 5


def test_a_new_code_retires_the_old_one(app, client, phone_user):
    ask_login_code(client)
    first = last_code(app)
    ask_login_code(client)
    second = last_code(app)
    if first == second:  # one chance in a million
        return
    assert enter_code(client, "/login/code/enter", first).status_code == 422
    assert enter_code(client, "/login/code/enter", second).status_code == 302


def test_wrong_codes_count_toward_the_log_in_limit(app, client, phone_user):
    for _ in range(3):
        assert log_in(client, "13812345678", "not the password at all").status_code == 200
    ask_login_code(client)
    code = last_code(app)
    for _ in range(2):
        assert enter_code(client, "/login/code/enter", other_code(code)).status_code == 422
    blocked = enter_code(client, "/login/code/enter?lang=en", code)
    assert blocked.status_code == 429
    assert client.get("/account").status_code == 302


def test_codes_for_one_number_are_rate_limited(app, client, phone_user):
    for _ in range(3):
        assert ask_login_code(client).status_code == 302
    blocked = ask_login_code(client, "+86 138 1234 5678", headers={"Accept-Language": "en"})
    assert blocked.status_code == 429
    assert "Too many codes were asked for this mobile number" in blocked.get_data(as_text=True)
    assert len(sms_messages(app)) == 3


def test_a_code_log_in_session_dies_at_log_out_like_any_other(app, client, phone_user):
    ask_login_code(client)
    enter_code(client, "/login/code/enter", last_code(app))
    copied = client.get_cookie("session").value
    post_form(client, "/logout", {}, page="/account")
    other = app.test_client()
    other.set_cookie("session", copied)
    assert other.get("/account").status_code == 302


def test_the_code_pages_need_a_csrf_token(app, client, phone_user):
    client.get("/login/code")
    assert client.post("/login/code", data={"phone": "13812345678"}).status_code == 400
    assert sms_messages(app) == []


# --- Password reset by SMS code --------------------------------------------------------------


def test_reset_by_number_texts_a_code_that_sets_a_new_password(app, client, phone_user):
    logged_in = app.test_client()
    log_in(logged_in, "13812345678")
    response = post_form(client, "/reset", {"email": "138 1234 5678"})
    assert response.status_code == 302 and response.headers["Location"] == "/reset/code"
    (sms,) = sms_messages(app)
    assert sms.kind == "sms_reset"
    done = enter_code(
        client, "/reset/code", last_code(app), password=NEW_PASSWORD, confirm=NEW_PASSWORD
    )
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert logged_in.get("/account").status_code == 302, "every old session ended"
    assert log_in(client, "13812345678", NEW_PASSWORD).status_code == 302


def test_a_weak_new_password_does_not_spend_the_code(app, client, phone_user):
    post_form(client, "/reset", {"email": "13812345678"})
    code = last_code(app)
    weak = enter_code(client, "/reset/code?lang=en", code, password="short", confirm="short")
    assert weak.status_code == 200 and "at least 10 characters" in weak.get_data(as_text=True)
    ok = enter_code(client, "/reset/code", code, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert ok.status_code == 302


# --- The outbox and the SMS provider ---------------------------------------------------------


def test_organizer_reads_texted_codes_in_the_outbox(app, client, phone_user, make_user, login_as):
    ask_login_code(client)
    code = last_code(app)
    page = login_as(make_user("organizer")).get("/account/outbox?lang=en").get_data(as_text=True)
    assert "SMS to 138 1234 5678" in page and code in page and "not texted" in page


class FakeSmsProvider(http.server.BaseHTTPRequestHandler):
    """An SMS provider's HTTP API, on this machine: keeps what it is sent, answers `status`."""

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.server.received.append(
            (self.path, dict(self.headers), json.loads(self.rfile.read(length)))
        )
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args):
        pass


@pytest.fixture
def sms_provider():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeSmsProvider)
    server.received, server.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def app_with_sms_provider(tmp_path, provider):
    app = build_app(
        tmp_path / "texting",
        SMS_BACKEND="http",
        SMS_API_URL=f"http://127.0.0.1:{provider.server_address[1]}/v1/sms",
        SMS_API_KEY="test-key",
    )
    with app.app_context():
        reset_database()
        user = User(phone=PHONE, phone_confirmed_at=utcnow(), display_name="Lin", language="en")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    return app


def dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_with_sms_backend_http_the_code_goes_to_the_provider(
    tmp_path, sms_provider, postgres_schema
):
    app = app_with_sms_provider(tmp_path, sms_provider)
    client = app.test_client()
    ask_login_code(client)
    ((path, headers, payload),) = sms_provider.received
    assert path == "/v1/sms" and headers["Authorization"] == "Bearer test-key"
    assert payload["to"] == PHONE
    (sms,) = sms_messages(app)
    assert sms.sent_at is not None, "the outbox keeps the SMS and notes it was sent"
    code = re.search(r"[0-9]{6}", payload["text"]).group(0)
    assert "Your code is" in payload["text"], "the SMS speaks the account's language"
    assert enter_code(client, "/login/code/enter", code).status_code == 302
    dispose(app)


def test_a_provider_that_refuses_leaves_the_sms_unsent_and_the_page_working(
    tmp_path, sms_provider, postgres_schema
):
    sms_provider.status = 503
    app = app_with_sms_provider(tmp_path, sms_provider)
    response = ask_login_code(app.test_client())
    assert response.status_code == 302
    assert len(sms_provider.received) == 1
    (sms,) = sms_messages(app)
    assert sms.sent_at is None, "kept for the next delivery"
    dispose(app)


# --- Hostile values --------------------------------------------------------------------------

HOSTILE = [
    "¹³⁸¹²³⁴⁵⁶⁷⁸",
    "99999999999999999999999999",
    "📱📱📱",
    "x" * 10_000,
    "9" * 10_000,
    "-1",
    "１２３４５６",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_refused_with_a_message_never_a_500(app, client, phone_user, value):
    login = log_in(client, value)
    assert login.status_code == 200
    signup = sign_up(client, phone=value)
    assert signup.status_code == 200 and "手机号" in signup.get_data(as_text=True)
    ask = ask_login_code(client, value)
    assert ask.status_code == 422
    reset = post_form(client, "/reset", {"email": value})
    assert reset.status_code == 200
    ask_login_code(client)
    code = enter_code(client, "/login/code/enter", value)
    if value == "１２３４５６":  # full-width digits read as a (wrong) code
        assert code.status_code == 422
    else:
        assert code.status_code == 200
        assert "6 位验证码" in code.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_a_full_width_code_is_read_as_digits(app, client, phone_user):
    ask_login_code(client)
    full_width = "".join(chr(0xFF10 + int(digit)) for digit in last_code(app))
    assert enter_code(client, "/login/code/enter", full_width).status_code == 302


@pytest.mark.parametrize("url", ["/login/code", "/signup", "/reset"])
def test_a_nul_byte_in_a_number_is_a_400(client, url):
    page = client.get(url).get_data(as_text=True)
    # Hand-made on purpose: hostile values under both names, whichever the page's form has.
    response = client.post(
        url, data={"csrf_token": csrf_token(page), "phone": "138\x0012345678", "email": "1\x00"}
    )
    assert response.status_code == 400


# --- The pages themselves --------------------------------------------------------------------


def test_the_phone_pages_are_valid_html_in_both_languages(
    app, client, phone_user, make_user, login_as, tmp_path
):
    from tests.html_check import html_errors

    pages = {}
    ask_login_code(client)
    for language in ("zh", "en"):
        for url in ("/login", "/login/code", "/signup", "/reset", "/login/code/enter"):
            pages[f"{url} ({language})"] = client.get(f"{url}?lang={language}").data
        pages[f"wrong code ({language})"] = enter_code(
            client, f"/login/code/enter?lang={language}", "12345"
        ).data
    organizer = login_as(make_user("organizer"))
    pages["outbox"] = organizer.get("/account/outbox").data
    signer = app.test_client()
    sign_up(signer, phone="13912345678", email="amei@example.test")
    pages["signup confirm"] = signer.get("/signup/confirm").data
    enter_code(signer, "/signup/confirm", last_code(app))
    pages["account"] = signer.get("/account").data
    post_form(signer, "/logout", {}, page="/account")
    post_form(signer, "/reset", {"email": "13912345678"})
    pages["reset code"] = signer.get("/reset/code?lang=en").data
    assert html_errors(tmp_path, pages) == []
