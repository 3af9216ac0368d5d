"""What a phone shows: a page that scrolls sideways fails, naming the elements that are too wide."""

#: The first few elements reaching past the window's right edge, so a failure says what to fix.
_TOO_WIDE = """() => [...document.querySelectorAll('body *')]
    .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(0, 3).map((element) => element.tagName + '.' + element.className)"""


def assert_fits_the_phone(page, note: str = "") -> None:
    """Nothing on the page scrolls sideways at the window's width (in either language).

    Measured on the settled page (everything loaded), which is what the person scrolls.
    """
    page.wait_for_load_state("load")
    fits = page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    assert fits, (note or page.url, page.evaluate(_TOO_WIDE))
