"""Sign-up, log-in, log-out, remember me, password change and the one-time reset link."""

import logging
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select, update

from shop.accounts.models import OutboxMessage, PasswordResetToken, User
from shop.extensions import db
from shop.models_base import utcnow
from tests.forms import form_data, form_on, submit
from tests.helpers import build_app, reset_database

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a new and long passphrase"


def post_form(client, url, data, **kwargs):
    """GET the page, then POST its form as a browser would, with `data` typed in."""
    return submit(client, url, changes=data, **kwargs)


def from_another_host(client, data):
    """The reset form read and sent through a forged Host header."""
    page = client.get("/reset", base_url="http://evil.example").get_data(as_text=True)
    form = form_on(page, "/reset", "/reset")
    return client.post("/reset", base_url="http://evil.example", data=form_data(form, data))


def sign_up(
    client, email="amei@example.test", password=NEW_PASSWORD, role="customer", headers=None, **extra
):
    data = {
        "email": email,
        "display_name": "阿梅",
        "password": password,
        "language": "zh",
        "role": role,
        **extra,
    }
    return post_form(client, "/signup", data, headers=headers or {})


def log_in(client, email, password=PASSWORD, remember=False, url="/login"):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return post_form(client, url, data)


def user_by_email(app, email):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


# --- Sign-up -------------------------------------------------------------------------------


def test_signup_creates_an_account_with_a_hashed_password_and_logs_in(app, client):
    response = sign_up(client, email="Amei@Example.test", language="en")
    assert response.status_code == 302
    user = user_by_email(app, "amei@example.test")
    assert user is not None, "the email is stored lower-cased"
    assert user.display_name == "阿梅" and user.language == "en" and user.roles == {"customer"}
    assert NEW_PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    account = client.get("/account", headers={"Accept-Language": "en"})
    assert account.status_code == 200
    assert "amei@example.test" in account.get_data(as_text=True)


def test_signup_chooses_the_language_at_once(client):
    response = sign_up(client, language="en")
    landing = client.get(response.headers["Location"], follow_redirects=True)
    assert 'lang="en"' in landing.get_data(as_text=True)


@pytest.mark.parametrize(
    # A trainee opens the practice shop from the checklist, where every lesson is done in it.
    ("role", "landing"),
    [("exhibitor", "/sell/shop"), ("trainee", "/train")],
)
def test_a_new_seller_is_sent_to_open_a_shop(client, role, landing):
    response = sign_up(client, role=role)
    final = client.get(response.headers["Location"], follow_redirects=True)
    assert final.request.path == landing
    assert final.status_code == 200


def test_signup_cannot_make_an_organizer(app, client):
    response = sign_up(client, role="organizer")
    assert response.status_code == 200
    assert user_by_email(app, "amei@example.test") is None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 10 characters"),
        ("password123", "most common"),
        ("1qaz2wsx3edc", "most common"),
    ],
)
def test_signup_refuses_weak_passwords(app, client, password, message):
    response = sign_up(client, password=password, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert user_by_email(app, "amei@example.test") is None


def test_signup_with_a_registered_email_does_not_say_so_and_tells_its_owner(app, client, make_user):
    make_user(email="taken@example.test", language="en")
    response = sign_up(client, email="TAKEN@example.test", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "already" not in page and "exists" not in page
    assert "Check your messages" in page
    assert client.get("/account").status_code == 302, "nobody is logged in"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 1
    (message,) = outbox(app)
    assert message.to_email == "taken@example.test" and message.kind == "signup_attempt"
    assert "http://127.0.0.1:5000/login" in message.body
    assert "http://127.0.0.1:5000/reset" in message.body
    # Trying again does not fill the owner's mailbox.
    sign_up(app.test_client(), email="taken@example.test")
    assert len(outbox(app)) == 1


def test_signup_with_a_registered_email_looks_like_the_reset_answer_in_chinese_too(
    client, make_user
):
    make_user(email="taken@example.test")
    page = sign_up(client, email="taken@example.test").get_data(as_text=True)
    assert "请查看您的消息" in page and "已经注册" not in page


# --- Log-in and log-out ----------------------------------------------------------------------


def test_login_with_the_right_password_reaches_the_account(client, make_user):
    user = make_user(email="lin@example.test")
    response = log_in(client, "LIN@example.test ")
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert user.display_name in client.get("/account").get_data(as_text=True)


def test_login_with_a_wrong_password_says_so_without_naming_the_cause(client, make_user):
    make_user(email="lin@example.test")
    wrong_password = log_in(client, "lin@example.test", "not the password at all")
    no_account = log_in(client, "nobody@example.test", "not the password at all")
    no_phone_account = log_in(client, "138 1234 5678", "not the password at all")
    for response in (wrong_password, no_account, no_phone_account):
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "账号或密码不正确" in page and "邮箱和密码不匹配" not in page
    # Same words for all: the page does not tell which emails or numbers have an account.
    assert client.get("/account").status_code == 302


def test_login_goes_back_to_the_page_asked_for_but_never_to_another_site(client, make_user):
    make_user("exhibitor", email="lin@example.test")
    assert (
        log_in(client, "lin@example.test", url="/login?next=/account")
        .headers["Location"]
        .endswith("/account")
    )
    log_out(client)
    response = log_in(client, "lin@example.test", url="/login?next=//evil.example/steal")
    assert "evil.example" not in response.headers["Location"]


def test_login_starts_a_new_session(client, make_user):
    make_user(email="lin@example.test")
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    log_in(client, "lin@example.test")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"]


def test_a_deactivated_account_cannot_log_in(app, client, make_user):
    user = make_user(email="gone@example.test")
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(active=False))
        db.session.commit()
    response = log_in(client, "gone@example.test")
    assert "已停用" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_remember_me_sets_a_long_lived_http_only_cookie(client, make_user):
    make_user(email="lin@example.test")
    response = log_in(client, "lin@example.test", remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = [cookie for cookie in cookies if cookie.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "Expires=" in remember[0]


def test_without_remember_me_no_remember_cookie(client, make_user):
    make_user(email="lin@example.test")
    response = log_in(client, "lin@example.test")
    assert not [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    ]


def test_logout_is_a_post_and_ends_the_session(client, make_user):
    make_user(email="lin@example.test")
    log_in(client, "lin@example.test")
    assert client.get("/logout").status_code == 405
    response = log_out(client)
    assert response.status_code == 302
    assert client.get("/account").status_code == 302


def log_out(client):
    return submit(client, "/account", "/logout")


def cookie_values(client, *names) -> dict[str, str]:
    """The values of a browser's cookies, as someone copying them would take them."""
    cookies = {name: client.get_cookie(name) for name in names}
    assert all(cookies.values()), f"missing cookies: {cookies}"
    return {name: cookie.value for name, cookie in cookies.items()}


def second_browser(app, cookies: dict[str, str]):
    """Another browser holding copied cookies."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def test_a_session_cookie_copied_before_log_out_is_refused_after_it(app, client, make_user):
    make_user(email="lin@example.test")
    log_in(client, "lin@example.test")
    copied = cookie_values(client, "session")
    assert second_browser(app, copied).get("/account").status_code == 200, "the copy works now"
    log_out(client)
    assert second_browser(app, copied).get("/account").status_code == 302


def test_a_remember_cookie_copied_before_log_out_is_refused_after_it(app, client, make_user):
    make_user(email="lin@example.test")
    log_in(client, "lin@example.test", remember=True)
    copied = cookie_values(client, "remember_token")
    assert second_browser(app, copied).get("/account").status_code == 200, "the copy works now"
    log_out(client)
    assert second_browser(app, copied).get("/account").status_code == 302


def test_log_out_expires_the_remember_cookie_in_its_response(client, make_user):
    make_user(email="lin@example.test")
    log_in(client, "lin@example.test", remember=True)
    response = log_out(client)
    (expired,) = [
        cookie
        for cookie in response.headers.getlist("Set-Cookie")
        if cookie.startswith("remember_token=")
    ]
    assert "Expires=Thu, 01 Jan 1970" in expired
    assert client.get_cookie("remember_token") is None
    assert client.get("/account").status_code == 302


def test_a_password_change_ends_every_other_session_and_keeps_this_one(app, client, make_user):
    make_user(email="lin@example.test")
    elsewhere = app.test_client()
    log_in(elsewhere, "lin@example.test", remember=True)
    copied = cookie_values(elsewhere, "session", "remember_token")
    log_in(client, "lin@example.test")
    assert change_password(client, PASSWORD, NEW_PASSWORD).status_code == 302
    assert client.get("/account").status_code == 200, "the browser that changed it stays in"
    assert elsewhere.get("/account").status_code == 302
    for name, value in copied.items():
        assert second_browser(app, {name: value}).get("/account").status_code == 302, name


def test_a_password_reset_ends_every_session_and_remember_cookie(app, client, make_user):
    make_user(email="lin@example.test")
    log_in(client, "lin@example.test", remember=True)
    copied = cookie_values(client, "session", "remember_token")
    owner = app.test_client()
    request_reset(owner, "lin@example.test")
    link = reset_link(outbox(app)[0])
    assert post_form(owner, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code
    assert client.get("/account").status_code == 302
    for name, value in copied.items():
        assert second_browser(app, {name: value}).get("/account").status_code == 302, name


def test_withdrawing_a_role_ends_the_accounts_sessions(app, client, make_user):
    make_user("customer", "exhibitor", email="lin@example.test")
    log_in(client, "lin@example.test", remember=True)
    copied = cookie_values(client, "remember_token")
    assert client.get("/sell/").status_code in (200, 302)
    result = app.test_cli_runner().invoke(args=["remove-role", "lin@example.test", "exhibitor"])
    assert result.exit_code == 0, result.output
    assert "customer" in result.output and "exhibitor" not in result.output
    assert client.get("/account").status_code == 302
    assert second_browser(app, copied).get("/account").status_code == 302
    log_in(client, "lin@example.test")
    assert client.get("/sell/").status_code == 403


def test_header_offers_log_in_and_sign_up_then_my_shop_and_log_out(client, make_user):
    anonymous = client.get("/login").get_data(as_text=True)
    assert 'href="/signup"' in anonymous and 'href="/login"' in anonymous
    make_user("exhibitor", email="lin@example.test")
    log_in(client, "lin@example.test")
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/sell/"' in page and 'action="/logout"' in page


# --- Changing the password -----------------------------------------------------------------


def change_password(client, current, new, confirm=None):
    return post_form(
        client,
        "/account/password?lang=en",
        {"current_password": current, "new_password": new, "confirm": confirm or new},
    )


def test_change_password_needs_the_current_one(client, make_user):
    make_user(email="lin@example.test")
    log_in(client, "lin@example.test")
    response = change_password(client, "a wrong guess here", NEW_PASSWORD)
    assert "current password is not right" in response.get_data(as_text=True)
    log_out(client)
    assert log_in(client, "lin@example.test").status_code == 302


def test_change_password_then_only_the_new_one_works(client, make_user):
    make_user(email="lin@example.test")
    log_in(client, "lin@example.test")
    assert change_password(client, PASSWORD, NEW_PASSWORD).status_code == 302
    log_out(client)
    assert log_in(client, "lin@example.test", PASSWORD).status_code == 200
    assert log_in(client, "lin@example.test", NEW_PASSWORD).status_code == 302


def test_change_password_refuses_a_common_one(client, make_user):
    make_user(email="lin@example.test")
    log_in(client, "lin@example.test")
    response = change_password(client, PASSWORD, "qwertyuiop")
    assert response.status_code == 200
    assert "most common" in response.get_data(as_text=True)


# --- Password reset --------------------------------------------------------------------------


def request_reset(client, email):
    return post_form(client, "/reset", {"email": email}, headers={"Accept-Language": "en"})


def outbox(app):
    with app.app_context():
        return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def reset_link(message) -> str:
    # Without SITE_URL, links in messages point where `make run` serves by default.
    return re.search(r"http://127\.0\.0\.1:5000(/reset/\S+)", message.body).group(1)


def test_reset_writes_a_one_time_link_to_the_outbox_and_the_log(app, client, make_user, caplog):
    make_user(email="lin@example.test", language="zh")
    with caplog.at_level(logging.INFO):
        response = request_reset(client, "Lin@example.test")
    assert response.status_code == 200
    (message,) = outbox(app)
    assert message.to_email == "lin@example.test" and message.kind == "password_reset"
    assert "重设" in message.subject, "the message speaks the account's language"
    link = reset_link(message)
    assert link in caplog.text
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalars(select(PasswordResetToken)).one()
        assert token not in stored.token_hash, "only a hash of the token is kept"


def without_values(html: str) -> str:
    return re.sub(r'value="[^"]+"', "", html)


def test_reset_answers_the_same_for_an_unknown_email(app, client, make_user):
    make_user(email="lin@example.test")
    known = request_reset(client, "lin@example.test").get_data(as_text=True)
    unknown = request_reset(client, "nobody@example.test").get_data(as_text=True)
    # Identical apart from the form's fresh CSRF token.
    assert without_values(known) == without_values(unknown)
    assert [message.to_email for message in outbox(app)] == ["lin@example.test"]


def test_reset_link_sets_a_new_password_and_works_once(app, client, make_user):
    make_user(email="lin@example.test")
    request_reset(client, "lin@example.test")
    link = reset_link(outbox(app)[0])
    response = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert log_in(client, "lin@example.test", NEW_PASSWORD).status_code == 302
    again = client.get(link + "?lang=en")
    assert again.status_code == 410
    assert "expired or was already used" in again.get_data(as_text=True)


def test_reset_link_expires_after_an_hour(app, client, make_user):
    make_user(email="lin@example.test")
    request_reset(client, "lin@example.test")
    link = reset_link(outbox(app)[0])
    # The page was opened in time; the form is sent after the hour is over.
    form = form_on(client.get(link).get_data(as_text=True), link, link)
    with app.app_context():
        db.session.execute(
            update(PasswordResetToken).values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    assert client.get(link).status_code == 410
    response = client.post(
        form.action or link,
        data=form_data(form, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    )
    assert response.status_code == 410
    assert log_in(client, "lin@example.test", NEW_PASSWORD).status_code == 200


def test_a_made_up_reset_link_does_nothing(client):
    assert client.get("/reset/not-a-real-token").status_code == 410


def test_the_reset_link_never_comes_from_the_host_header(app, make_user):
    make_user(email="lin@example.test")
    response = from_another_host(app.test_client(), {"email": "lin@example.test"})
    assert response.status_code == 200
    (message,) = outbox(app)
    assert "evil.example" not in message.body
    assert reset_link(message).startswith("/reset/")


def add_lin(app):
    """An empty database with one English-speaking account, lin@example.test."""
    with app.app_context():
        reset_database()
        user = User(email="lin@example.test", display_name="Lin", language="en")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()


def test_with_site_url_the_reset_link_is_on_the_public_address(tmp_path, postgres_schema):
    app = build_app(tmp_path / "public", SITE_URL="https://market.example.org")
    add_lin(app)
    from_another_host(app.test_client(), {"email": "lin@example.test"})
    (message,) = outbox(app)
    assert re.search(r"https://market\.example\.org/reset/[\w-]+", message.body)
    assert "evil.example" not in message.body
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_organizer_reads_the_outbox_others_cannot(app, make_user, login_as):
    make_user(email="lin@example.test")
    anonymous = app.test_client()
    request_reset(anonymous, "lin@example.test")
    link = reset_link(outbox(app)[0])
    organizer = login_as(make_user("organizer"))
    page = organizer.get("/account/outbox")
    assert page.status_code == 200
    assert link in page.get_data(as_text=True)
    assert login_as(make_user("customer")).get("/account/outbox").status_code == 403
    assert login_as(make_user("exhibitor")).get("/account/outbox").status_code == 403
    assert anonymous.get("/account/outbox").status_code == 302


# --- Mail through SMTP when MAIL_URL is set -------------------------------------------------


def test_with_mail_url_the_reset_link_is_mailed_too(tmp_path, smtp_server, postgres_schema):
    app = build_app(
        tmp_path / "mailing",
        MAIL_URL=f"smtp://127.0.0.1:{smtp_server.server_address[1]}?from=market@example.test",
    )
    add_lin(app)
    client = app.test_client()
    request_reset(client, "lin@example.test")
    (mail,) = smtp_server.messages
    assert "To: lin@example.test" in mail and "From: market@example.test" in mail
    assert "/reset/" in mail
    (message,) = outbox(app)
    assert message.sent_at is not None, "the outbox keeps the message and notes it was mailed"
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(
    "target", ["/\\evil.example/steal", "/\t/evil.example/steal", "\\\\evil.example"]
)
def test_login_never_goes_to_another_site_spelt_with_backslashes_or_tabs(client, make_user, target):
    make_user("customer", email="lin@example.test")
    response = log_in(client, "lin@example.test", url="/login?" + urlencode({"next": target}))
    assert "evil.example" not in response.headers["Location"]
