"""The page shell: health check, security headers, error pages, languages."""

import html
import re
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import BadRequest

from shop import create_app
from shop.extensions import db
from tests.forms import form_data, form_on
from tests.helpers import build_app


def test_healthz_reports_a_reachable_database(client, runner):
    runner.invoke(args=["ensure-index"])
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "search": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    app = build_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.db")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_every_response_carries_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_is_sent_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_unknown_page_is_a_friendly_404_in_chinese_by_default(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "我们找不到这个页面" in page
    assert 'href="/"' in page


def test_unknown_page_is_a_friendly_404_in_english(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("code", "english", "chinese"),
    [
        (400, "Something in that request was not right", "请求有误"),
        (403, "This page is not open to you", "您无权查看此页面"),
        (413, "That file is too large", "文件太大"),
        (500, "Something went wrong on our side", "我们这边出了问题"),
    ],
)
def test_error_pages_speak_both_languages(tmp_path, code, english, chinese):
    app = build_app(tmp_path)

    @app.get("/boom")
    def boom():
        if code == 400:
            raise BadRequest()
        if code == 500:
            raise RuntimeError("a bug")
        from flask import abort

        abort(code)

    client = app.test_client()
    for language, text in (("en", english), ("zh", chinese)):
        response = client.get(f"/boom?lang={language}")
        assert response.status_code == code
        assert text in response.get_data(as_text=True)


def test_an_oversized_upload_gets_the_413_page(tmp_path):
    app = build_app(tmp_path, MAX_CONTENT_LENGTH=1000, WTF_CSRF_ENABLED=False)

    @app.post("/upload")
    def upload():
        from flask import request

        return str(len(request.form))

    response = app.test_client().post(
        "/upload?lang=en", data={"a": "x" * 5000}, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "That file is too large" in response.get_data(as_text=True)


def test_a_post_without_csrf_token_is_refused_with_an_explanation(tmp_path):
    app = build_app(tmp_path)

    @app.post("/form")
    def form():
        return "accepted"

    response = app.test_client().post("/form?lang=en", data={"name": "x"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_language_defaults_to_chinese(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    assert "乡村集市" in page


def test_accept_language_picks_english(client):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Village Market" in page


def test_language_switch_is_remembered(client):
    response = client.get("/language/en?next=/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    client.get("/language/zh?next=/")
    assert '<html lang="zh-Hans">' in client.get("/").get_data(as_text=True)


def test_language_switch_never_redirects_off_site(client):
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.get("/language/en", query_string={"next": target})
        assert response.headers["Location"] == "/"


def account_language(app, user) -> str:
    from shop.accounts.models import User

    with app.app_context():
        return db.session.get(User, user.id).language


def test_a_language_link_changes_the_cookie_but_never_the_account(app, make_user, login_as):
    user = make_user(language="zh")
    client = login_as(user)
    response = client.get("/language/en?next=/account")
    assert response.status_code == 302
    assert client.get_cookie("lang").value == "en"
    assert account_language(app, user) == "zh"


def test_someone_logged_in_switches_with_a_form_that_saves_the_language(app, make_user, login_as):
    user = make_user(language="zh")
    client = login_as(user)
    page = client.get("/account").get_data(as_text=True)
    form = re.search(r'<form method="post" action="(/language/en[^"]*)">', page)
    assert form, "the switcher is a form for someone logged in"
    action = html.unescape(form.group(1))
    assert client.post(action).status_code == 400, "a POST without the form's token is refused"
    assert account_language(app, user) == "zh"
    switcher = form_on(page, urlsplit(action).path)
    response = client.post(action, data=form_data(switcher))
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert account_language(app, user) == "en"
    assert '<html lang="en">' in client.get("/account").get_data(as_text=True)


def test_the_switch_link_on_every_page_leads_back_to_the_same_page(client):
    page = client.get("/no-such-page?q=pears&lang=zh").get_data(as_text=True)
    # Back without its ?lang=, which would outrank the language just chosen.
    assert 'href="/language/en?next=/no-such-page?q%3Dpears"' in page


def test_the_switch_link_works_on_a_page_whose_address_names_its_language(client):
    # Sort and size forms keep ?lang= in the address; it must not outrank the visitor's choice.
    page = client.get("/?lang=zh").get_data(as_text=True)
    link = html.unescape(re.search(r'href="(/language/en\?[^"]*)"', page).group(1))
    english = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert '<html lang="en">' in english


def test_create_app_reads_the_instance_path_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "elsewhere"))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/elsewhere/village-market.db"
    )
    assert app.config["UPLOAD_FOLDER"] == str(tmp_path / "elsewhere" / "uploads")
