"""Partner countries not open yet: their page, the "tell me when it opens" form, and the
organizer's list and CSV of the people waiting."""

import csv
import io

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.openings.models import OpeningSignup
from shop.openings.views import SIGNUP_LIMIT
from tests.forms import form_data, form_on
from tests.helpers import csrf_token

COUNTRIES = {
    "cambodia": ("柬埔寨", "Cambodia"),
    "laos": ("老挝", "Laos"),
    "azerbaijan": ("阿塞拜疆", "Azerbaijan"),
    "turkmenistan": ("土库曼斯坦", "Turkmenistan"),
}


def _signups(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(
                OpeningSignup.region_id,
                OpeningSignup.contact,
                OpeningSignup.contact_kind,
                OpeningSignup.name,
                OpeningSignup.language,
            ).order_by(OpeningSignup.id)
        )
        return [tuple(row) for row in rows]


def _sign_up(client, slug: str = "cambodia", language: str = "en", **fields):
    page = client.get(f"/regions/{slug}?lang={language}").get_data(as_text=True)
    form = form_on(page, f"/regions/{slug}/notify")
    return client.post(form.action, data=form_data(form, fields))


@pytest.mark.parametrize("slug", COUNTRIES)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_each_partner_country_has_a_page_with_the_plan_and_the_form(seeded, slug, language):
    response = seeded.test_client().get(f"/regions/{slug}?lang={language}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    name = COUNTRIES[slug][0 if language == "zh" else 1]
    assert f"<h1>{name} <small>" in page
    button = "开放时通知我" if language == "zh" else "Tell me when it opens"
    assert f'<button type="submit">{button}</button>' in page
    assert f'action="/regions/{slug}/notify?lang={language}"' in page
    plan = "项目计划以后把这项培训带到" if language == "zh" else "plans to bring this training to"
    assert plan in page
    # Nothing is for sale there: no product cards, no listing.
    assert 'class="card"' not in page


def test_a_shared_link_with_tracking_words_still_opens_the_page(seeded):
    response = seeded.test_client().get("/regions/laos?utm_source=wechat&sort=nonsense")
    assert response.status_code == 200


def test_signing_up_keeps_the_contact_once_with_the_language(seeded):
    client = seeded.test_client()
    response = _sign_up(client, contact="  Mei@Example.COM ", name="梅 🍐")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/regions/cambodia?lang=en")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you. We will tell mei@example.com when Cambodia opens." in page
    region_id = _region_id(seeded, "cambodia")
    assert _signups(seeded) == [(region_id, "mei@example.com", "email", "梅 🍐", "en")]


def _region_id(app, slug: str) -> int:
    from products.models import Region

    with app.app_context():
        return db.session.scalar(select(Region.id).where(Region.slug == slug))


def test_the_same_contact_twice_is_stored_once_with_a_clear_message(seeded):
    client = seeded.test_client()
    _sign_up(client, language="zh", contact="+86 138-1234-5678")
    response = _sign_up(client, language="zh", contact="13812345678")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "13812345678 已经在柬埔寨的通知名单上，无需再次登记。" in page
    assert _signups(seeded) == [(_region_id(seeded, "cambodia"), "13812345678", "phone", "", "zh")]
    # Another country is another wish.
    _sign_up(client, slug="laos", contact="13812345678")
    assert len(_signups(seeded)) == 2


@pytest.mark.parametrize(
    ("contact", "name", "problem"),
    [
        ("", "", "Enter an email address"),
        ("not an address", "", "Enter an email address"),
        ("¹³⁸¹²³⁴⁵⁶⁷⁸", "", "Enter an email address"),
        ("１３８１２３４５６７８", "", "Enter an email address"),
        ("99999999999999999999999999999", "", "Enter an email address"),
        ("a" * 10_240 + "@example.com", "", "Enter an email address"),
        ("mei@example.com", "名" * 10_240, "at most 80 characters"),
    ],
)
def test_bad_contacts_and_names_are_refused_with_a_message_keeping_what_was_typed(
    seeded, contact, name, problem
):
    client = seeded.test_client()
    response = _sign_up(client, contact=contact, name=name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert problem in page
    assert 'aria-invalid="true"' in page
    if contact:
        assert f'value="{contact}"' in page
    assert _signups(seeded) == []


def test_a_nul_byte_is_refused_before_anything_is_saved(seeded):
    response = _sign_up(seeded.test_client(), contact="mei@example.com\x00")
    assert response.status_code == 400
    assert _signups(seeded) == []


def test_the_form_needs_its_csrf_token(seeded):
    response = seeded.test_client().post(
        "/regions/cambodia/notify", data={"contact": "mei@example.com"}
    )
    assert response.status_code == 400
    assert _signups(seeded) == []


@pytest.mark.parametrize("slug", ["dangshan", "no-such-place", "x" * 10_000])
def test_only_partner_countries_take_sign_ups(seeded, slug):
    client = seeded.test_client()
    # Forged on purpose: no page shows this form for these regions.
    token = csrf_token(client.get("/regions/cambodia").get_data(as_text=True))
    response = client.post(
        f"/regions/{slug}/notify", data={"csrf_token": token, "contact": "mei@example.com"}
    )
    assert response.status_code == 404
    assert _signups(seeded) == []


def test_sign_ups_are_rate_limited_per_address(seeded):
    allowed = int(SIGNUP_LIMIT.split()[0])
    client = seeded.test_client()
    form = form_on(
        client.get("/regions/cambodia").get_data(as_text=True), "/regions/cambodia/notify"
    )
    statuses = [
        client.post(
            form.action, data=form_data(form, {"contact": f"person{number}@example.com"})
        ).status_code
        for number in range(allowed + 1)
    ]
    assert statuses == [303] * allowed + [429]
    assert len(_signups(seeded)) == allowed


@pytest.fixture
def organizer(seeded, make_user, login_as):
    return login_as(make_user("organizer"))


def test_organizers_see_the_sign_ups_per_country(seeded, organizer):
    visitor = seeded.test_client()
    _sign_up(visitor, contact="mei@example.com", name="Mei")
    _sign_up(visitor, slug="laos", language="zh", contact="13812345678")
    page = organizer.get("/organize/openings?lang=en").get_data(as_text=True)
    cambodia = page[page.index('id="signups-cambodia"') : page.index('id="signups-laos"')]
    assert "mei@example.com" in cambodia and "1 waiting" in cambodia
    laos = page[page.index('id="signups-laos"') : page.index('id="signups-azerbaijan"')]
    assert "13812345678" in laos and "中文" in laos
    assert "Nobody has signed up for Azerbaijan yet." in page


def test_organizers_export_the_sign_ups_as_csv_safe_for_spreadsheets(seeded, organizer):
    visitor = seeded.test_client()
    _sign_up(visitor, contact="mei@example.com", name='=HYPERLINK("http://evil.example")')
    _sign_up(visitor, slug="laos", language="zh", contact="13812345678", name="李")
    response = organizer.get("/organize/openings/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "no-store" in response.headers["Cache-Control"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["country", "contact", "kind", "name", "language", "signed_up"]
    assert rows[1][:5] == [
        "柬埔寨 Cambodia",
        "mei@example.com",
        "email",
        '\'=HYPERLINK("http://evil.example")',
        "en",
    ]
    assert rows[2][:5] == ["老挝 Laos", "13812345678", "phone", "李", "zh"]
    one = organizer.get("/organize/openings/export.csv?region=laos")
    assert "signups-laos.csv" in one.headers["Content-Disposition"]
    assert [row[1] for row in csv.reader(io.StringIO(one.get_data(as_text=True)))][1:] == [
        "13812345678"
    ]
    assert organizer.get("/organize/openings/export.csv?region=dangshan").status_code == 404


@pytest.mark.parametrize("role", ["customer", "exhibitor", "trainee", "trainer"])
@pytest.mark.parametrize("path", ["/organize/openings", "/organize/openings/export.csv"])
def test_only_organizers_see_the_sign_ups(seeded, make_user, login_as, role, path):
    _sign_up(seeded.test_client(), contact="mei@example.com")
    response = login_as(make_user(role)).get(path)
    assert response.status_code == 403
    assert b"mei@example.com" not in response.data


@pytest.mark.parametrize("path", ["/organize/openings", "/organize/openings/export.csv"])
def test_anonymous_visitors_are_sent_to_log_in(seeded, path):
    response = seeded.test_client().get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
