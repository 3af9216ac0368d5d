"""What a screen reader announces on the storefront: every picture has an alt, and no picture
repeats the words beside it (a product card's photo is named by the title in the same link).

The rules are those of Lighthouse's accessibility audit (axe's image-alt, image-redundant-alt and
role-img-alt), checked on the rendered HTML so that the suite needs no browser or npm.
"""

from html.parser import HTMLParser

import pytest

PAGES = [
    "/",
    "/regions/dangshan",
    "/categories/fresh-fruit",
    "/shops/dangshan-pear-orchard",
    "/products/4-dangshan-crisp-pears",
    "/search?q=梨",
]
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
#: The elements whose text a picture's alt must not repeat (axe's duplicate-img-label).
TEXT_PARENTS = frozenset({"button", "p", "li", "td", "th"})


class Node:
    """An element of a parsed page, with its parent and children (elements and text)."""

    def __init__(self, tag: str, attrs, parent=None):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children: list = []

    def walk(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.walk()

    def text(self) -> str:
        """The text inside, whitespace collapsed and lowercased, as axe compares it."""
        parts = [child if isinstance(child, str) else child.text() for child in self.children]
        return " ".join("".join(parts).split()).lower()

    def closest(self, test):
        node = self.parent
        while node is not None and not test(node):
            node = node.parent
        return node


class Page(HTMLParser):
    """A page parsed into Nodes (the storefront's HTML is valid, so end tags match)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#document", [])
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def _text_parent(node: Node) -> bool:
    return node.tag in TEXT_PARENTS or (node.tag == "a" and "href" in node.attrs)


def _pages(client, urls=PAGES):
    for url in urls:
        for language in ("zh", "en"):
            address = f"{url}{'&' if '?' in url else '?'}lang={language}"
            response = client.get(address)
            assert response.status_code == 200, address
            yield address, Page(response.get_data(as_text=True)).root


def _cards(root: Node):
    return [node for node in root.walk() if "card" in node.attrs.get("class", "").split()]


def test_no_picture_repeats_the_text_of_the_link_around_it(seeded):
    repeated = []
    for address, root in _pages(seeded.test_client()):
        for image in (node for node in root.walk() if node.tag == "img"):
            assert "alt" in image.attrs, (address, image.attrs.get("src"))
            alt = " ".join(image.attrs["alt"].split()).lower()
            parent = image.closest(_text_parent)
            if alt and parent is not None and parent.text() == alt:
                repeated.append((address, alt))
    assert repeated == []


def test_card_pictures_are_left_unnamed_beside_the_title_in_their_link(seeded):
    checked = 0
    for address, root in _pages(seeded.test_client(), PAGES[:4]):
        for card in _cards(root):
            link = next(node for node in card.walk() if node.tag == "a")
            assert link.text(), address  # the title names the link ...
            images = [node for node in link.walk() if node.tag == "img"]
            assert images and all(image.attrs["alt"] == "" for image in images), address
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_missing_picture_is_hidden_in_its_card_and_named_on_its_page(
    app, make_region, make_shop, make_product, language
):
    region = make_region(slug="nowhere")
    product = make_product(
        shop=make_shop(region=region), title_zh="土蜂蜜", title_en="Plain honey", photo=False
    )
    title = "土蜂蜜" if language == "zh" else "Plain honey"
    client = app.test_client()

    listing = Page(client.get(f"/regions/nowhere?lang={language}").get_data(as_text=True)).root
    [card] = _cards(listing)
    [hidden] = [node for node in card.walk() if "no-picture" in node.attrs.get("class", "")]
    assert hidden.attrs.get("aria-hidden") == "true" and "role" not in hidden.attrs
    assert card.text().startswith(title.lower())

    address = f"/products/{product.id}-{product.slug}?lang={language}"
    page = Page(client.get(address).get_data(as_text=True)).root
    [named] = [node for node in page.walk() if "no-picture" in node.attrs.get("class", "")]
    assert named.attrs["role"] == "img" and named.attrs["aria-label"] == title


def test_every_role_img_has_a_name(seeded, make_product):
    # A product without a picture among the search results as well as the catalogue's pages.
    make_product(title_zh="无图梨膏", title_en="Pear paste without a picture", photo=False)
    unnamed = [
        (address, node.attrs.get("class"))
        for address, root in _pages(seeded.test_client(), [*PAGES, "/search?q=pear+paste"])
        for node in root.walk()
        if node.attrs.get("role") == "img"
        and not node.attrs.get("aria-label", "").strip()
        and not node.attrs.get("aria-labelledby")
    ]
    assert unnamed == []
