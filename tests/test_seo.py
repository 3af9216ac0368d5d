"""What search engines and link previews read: titles, descriptions, canonical and hreflang links,
Open Graph cards, the sitemap and robots.txt."""

import html
import re
import xml.etree.ElementTree as ET

import pytest

PAGES = [
    "/",
    "/regions/dangshan",
    "/regions/dangshan?sort=price_asc",
    "/regions/yanan",
    "/categories/fresh-fruit",
    "/shops/dangshan-pear-orchard",
    "/products/4-dangshan-crisp-pears",
    "/products/5-dangshan-pear-syrup",
]


def _head(page: str) -> str:
    return page[: page.index("</head>")]


def _meta(head: str, attribute: str, name: str) -> str:
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', head)
    assert match, f"no {name}"
    return match.group(1)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_page_has_unique_title_description_canonical_hreflang_and_card(seeded, language):
    client = seeded.test_client()
    titles = set()
    for url in PAGES:
        joiner = "&" if "?" in url else "?"
        response = client.get(f"{url}{joiner}lang={language}")
        assert response.status_code == 200, url
        head = _head(response.get_data(as_text=True))
        title = re.search(r"<title>(.*?)</title>", head, re.S).group(1)
        titles.add(title)
        assert _meta(head, "name", "description").strip()
        canonical = re.search(r'<link rel="canonical" href="([^"]+)">', head).group(1)
        assert canonical.startswith("http://localhost/") and f"lang={language}" in canonical
        alternates = dict(
            re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', head)
        )
        assert set(alternates) == {"zh-Hans", "en", "x-default"}
        assert alternates["zh-Hans"].endswith("lang=zh") and alternates["en"].endswith("lang=en")
        assert alternates["zh-Hans" if language == "zh" else "en"] == canonical
        assert _meta(head, "property", "og:title")
        assert _meta(head, "property", "og:description")
        assert _meta(head, "property", "og:url") == canonical
        assert _meta(head, "property", "og:image").startswith("http://localhost/media/")
        assert _meta(head, "property", "og:locale") == ("zh_CN" if language == "zh" else "en_US")
    assert len(titles) == len(PAGES)


def test_canonical_ignores_tracking_parameters(seeded):
    page = (
        seeded.test_client()
        .get("/regions/dangshan?lang=en&utm_source=wechat&from=singlemessage")
        .get_data(as_text=True)
    )
    assert '<link rel="canonical" href="http://localhost/regions/dangshan?lang=en">' in page


def test_absolute_links_use_site_url_when_configured(seeded):
    seeded.config["SITE_URL"] = "https://market.example"
    page = seeded.test_client().get("/?lang=en").get_data(as_text=True)
    assert '<link rel="canonical" href="https://market.example/?lang=en">' in page


def test_sitemap_lists_every_public_page_in_both_languages(seeded):
    response = seeded.test_client().get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.data)  # noqa: S314  (our own sitemap)
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = {loc.text for loc in root.findall("s:url/s:loc", namespace)}
    for path in (
        "/",
        "/regions/dangshan",
        "/regions/chengdu",
        "/categories/crafts",
        "/shops/dangshan-pear-orchard",
        "/products/4-dangshan-crisp-pears",
    ):
        for language in ("zh", "en"):
            assert f"http://localhost{path}?lang={language}" in locations, path
    assert not any("/regions/cambodia" in location for location in locations)
    products = [location for location in locations if "/products/" in location]
    assert len(products) == 22 * 2


def test_robots_txt_points_to_the_sitemap(seeded):
    response = seeded.test_client().get("/robots.txt")
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in text
    assert "Disallow: /organize/" in text


def test_lazy_loading_only_below_the_fold_on_the_home_page(seeded):
    page = seeded.test_client().get("/").get_data(as_text=True)
    images = re.findall(r'<img src="/media/[^>]+>', page)
    assert len(images) > 6
    # The first two rows of cards fill a phone's first screen (and hold its largest paint).
    assert all("loading=" not in image for image in images[:4])
    assert all('loading="lazy"' in image for image in images[4:])
    assert all(re.search(r'width="\d+" height="\d+"', image) for image in images)


def _canonical_and_alternates(page: str) -> tuple[str, dict[str, str]]:
    head = _head(page)
    canonical = html.unescape(re.search(r'<link rel="canonical" href="([^"]+)">', head).group(1))
    alternates = {
        language: html.unescape(address)
        for language, address in re.findall(
            r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', head
        )
    }
    return canonical, alternates


@pytest.mark.parametrize("language", ["zh", "en", None])
def test_every_address_is_its_own_canonical_and_one_of_its_alternates(seeded, language):
    # A canonical naming another of the hreflang versions tells search engines that the versions
    # are copies of that one (Lighthouse: "points to another hreflang location").
    client = seeded.test_client()
    for url in PAGES:
        address = url if language is None else f"{url}{'&' if '?' in url else '?'}lang={language}"
        page = client.get(address).get_data(as_text=True)
        canonical, alternates = _canonical_and_alternates(page)
        assert canonical == f"http://localhost{address}"
        assert canonical in alternates.values(), address


@pytest.mark.parametrize(
    ("header", "cookie", "shown"),
    [
        ({}, None, "zh-Hans"),
        ({"Accept-Language": "en-US,en;q=0.9"}, None, "en"),
        ({}, "en", "en"),
        ({"Accept-Language": "en-US,en;q=0.9"}, "zh", "zh-Hans"),
    ],
)
def test_an_address_without_a_language_is_its_own_canonical_in_either_language(
    seeded, header, cookie, shown
):
    client = seeded.test_client()
    if cookie:
        client.set_cookie("lang", cookie)
    for url in ("/", "/regions/dangshan", "/products/4-dangshan-crisp-pears"):
        # The language versions first: their cached head must not be lent to the x-default.
        client.get(f"{url}?lang=zh")
        client.get(f"{url}?lang=en")
        page = client.get(url, headers=header).get_data(as_text=True)
        assert f'<html lang="{shown}">' in page
        canonical, alternates = _canonical_and_alternates(page)
        assert canonical == alternates["x-default"] == f"http://localhost{url}"
        assert _meta(_head(page), "property", "og:url") == canonical
        # ... nor the other way round.
        english = client.get(f"{url}?lang=en").get_data(as_text=True)
        assert _canonical_and_alternates(english)[0] == f"http://localhost{url}?lang=en"
