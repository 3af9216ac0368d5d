"""The home page: products first, category links, the tile map of China and its places, and a
page light enough for a slow phone connection."""

import gzip
import re

import pytest

from products.tile_map import COLUMNS, DIVISIONS, ROWS

#: Tiles as the page draws them: (class, link or None, label or None, the visible text).
TILE = re.compile(
    r'<(?:a href="(?P<href>[^"]+)" class="tile tile-on" aria-label="(?P<label>[^"]+)"|g class="tile"[^>]*)>'
    r".*?<text[^>]*>(?P<text>[^<]+)</text>",
    re.DOTALL,
)

#: Where the tile map starts (the header has small icons drawn as SVG too).
MAP = '<figure class="tile-map">'


def _map(page: str) -> str:
    """The tile map's SVG of a home page."""
    start = page.index(MAP)
    return page[start : page.index("</svg>", start)]


def _home(client, language: str) -> str:
    response = client.get(f"/?lang={language}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _tiles(page: str) -> list[dict]:
    svg = _map(page)
    return [match.groupdict() for match in TILE.finditer(svg)]


def test_the_grid_has_one_place_per_division_in_its_rough_geographic_place():
    places = {(division.x, division.y) for division in DIVISIONS}
    assert len(DIVISIONS) == 34 and len(places) == 34
    assert len({division.code for division in DIVISIONS}) == 34
    where = {division.name_zh: (division.x, division.y) for division in DIVISIONS}
    # Heilongjiang is the top right, Xinjiang and Tibet the left edge, Hainan the bottom.
    assert where["黑龙江"] == (COLUMNS - 1, 0)
    assert where["新疆"][0] == where["西藏"][0] == 0
    assert where["海南"][1] == ROWS - 1
    # Neighbours keep their sides: Beijing above Hebei, Sichuan west of Chongqing, Fujian west
    # of Taiwan, Zhejiang south of Shanghai.
    assert where["北京"][1] < where["河北"][1]
    assert where["四川"][0] < where["重庆"][0]
    assert where["福建"][0] < where["台湾"][0]
    assert where["上海"][1] < where["浙江"][1]


@pytest.mark.parametrize(
    ("language", "anhui", "hebei"),
    [
        ("zh", "安徽：砀山县", "河北：灵寿县"),
        ("en", "Anhui: Dangshan County", "Hebei: Lingshou County"),
    ],
)
def test_every_division_is_a_tile_and_the_programme_provinces_link_to_their_region(
    seeded, language, anhui, hebei
):
    tiles = _tiles(_home(seeded.test_client(), language))
    assert len(tiles) == 34
    linked = {tile["label"]: tile["href"] for tile in tiles if tile["href"]}
    assert len(linked) == 5  # Hebei, Shaanxi, Zhejiang, Anhui and Sichuan
    assert linked[anhui] == "/regions/dangshan"
    assert linked[hebei] == "/regions/lingshou"
    # Sichuan has two places; its tile opens the first in display order.
    sichuan = "四川：德格县" if language == "zh" else "Sichuan: Dege County"
    assert linked[sichuan] == "/regions/dege"
    if language == "zh":
        shown = {tile["text"] for tile in tiles}
        assert {"黑龙江", "新疆", "西藏", "海南", "台湾", "香港", "澳门", "河北"} <= shown


def test_a_region_in_another_province_lights_up_that_province(
    seeded, make_region, make_shop, make_product
):
    region = make_region(slug="conghua", name_zh="从化区", name_en="Conghua", province_zh="广东省")
    make_product(shop=make_shop(region=region), featured=True)
    tiles = _tiles(_home(seeded.test_client(), "zh"))
    assert {"href": "/regions/conghua", "label": "广东：从化区", "text": "广东"} in tiles


def test_the_map_has_a_title_and_the_places_are_also_a_plain_list(seeded):
    page = _home(seeded.test_client(), "en")
    svg = _map(page)
    assert 'aria-labelledby="tile-map-title"' in svg
    assert '<title id="tile-map-title">Tile map of China' in svg
    places = page[page.index('<ul class="place-list">') :]
    places = places[: places.index("</ul>")]
    names = re.findall(r'<a href="/regions/([a-z]+)">([^<]+)</a>', places)
    assert names == [
        ("lingshou", "Lingshou County"),
        ("yanan", "Yan&#39;an"),
        ("yiwu", "Yiwu"),
        ("dangshan", "Dangshan County"),
        ("dege", "Dege County"),
        ("chengdu", "Chengdu"),
    ]
    # Each place shows a picture of its first featured product.
    assert places.count("<img") == 6


def test_products_come_before_the_map_and_categories_are_one_tap_away(seeded):
    page = _home(seeded.test_client(), "zh")
    first_card = page.index('<article class="card">')
    assert first_card < page.index(MAP)
    chips = page[page.index('class="category-chips"') : first_card]
    for slug in ("fresh-fruit", "grains", "crafts"):
        assert f'href="/categories/{slug}"' in chips
    highlights = page[page.index('id="highlights-title"') : page.index(MAP)]
    # One product from each place, in the places' order.
    titles = re.findall(r"<h3>([^<]+)</h3>", highlights)
    assert len(titles) == 6
    assert titles.index("洛川苹果") < titles.index("砀山酥梨")


def test_home_page_is_light_on_a_slow_connection(seeded):
    """Under 60 KB compressed for the page, its style sheet and scripts (pictures aside)."""
    client = seeded.test_client()
    for language in ("zh", "en"):
        page = client.get(f"/?lang={language}").get_data()
        assets = re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))', page)
        total = len(gzip.compress(page))
        for asset in assets:
            response = client.get(asset.decode())
            assert response.status_code == 200
            total += len(gzip.compress(response.get_data()))
            response.close()
        assert total < 60_000, (language, total)
