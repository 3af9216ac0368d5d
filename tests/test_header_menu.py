"""The header's menu: the categories and regions of the market, and the account links."""

from sqlalchemy import select

from products.models import Category
from shop.extensions import db


def _menu(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return page[page.index('<details class="site-menu"') : page.index("</header>")]


def test_the_menu_lists_every_category_and_the_open_regions_in_the_pages_language(seeded):
    menu = _menu(seeded.test_client(), "/cart?lang=en")
    assert '<a href="/categories/fresh-fruit">Fresh fruit</a>' in menu
    assert '<a href="/regions/dangshan">Dangshan County</a>' in menu
    # Partner countries are not open yet: they are on the home page, not in the menu.
    assert "/regions/cambodia" not in menu
    chinese = _menu(seeded.test_client(), "/cart?lang=zh")
    assert '<a href="/categories/fresh-fruit">鲜果</a>' in chinese


def test_a_renamed_category_shows_at_once_in_the_menu(seeded):
    client = seeded.test_client()
    assert "Fresh fruit" in _menu(client, "/?lang=en")
    with seeded.app_context():
        category = db.session.scalar(select(Category).where(Category.slug == "fresh-fruit"))
        category.name_en = "Fruit, picked this week"
        db.session.commit()
    menu = _menu(client, "/?lang=en")
    assert "Fruit, picked this week" in menu and "Fresh fruit" not in menu


def test_a_visitor_finds_orders_and_log_in_in_the_menu(seeded):
    menu = _menu(seeded.test_client(), "/?lang=en")
    for link in ('href="/orders/find"', 'href="/login"', 'href="/signup"', 'hreflang="zh-Hans"'):
        assert link in menu
