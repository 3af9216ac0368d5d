"""One buyer over real HTTP, for tests and benchmarks against a running server: a browser that
keeps its own cookies, and an address the checkout form accepts."""

import json
import re
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

#: A mainland address that passes the checkout form.
ADDRESS = {
    "contact_name": "王小明",
    "phone": "138 1234 5678",
    "email": "buyer@example.test",
    "destination": "cn",
    "province": "北京市",
    "city": "北京市",
    "district": "海淀区",
    "street": "中关村大街 1 号 2 单元 301",
    "postal_code": "100080",
    "note": "请放门卫",
}


class _KeepRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One buyer's browser: its own cookies, redirects returned rather than followed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _KeepRedirects())

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """(status, Location header, body) of a GET, or a POST when data is given."""
        body = urlencode(data).encode() if data is not None else None
        request = Request(self.base + path, data=body)
        try:
            with self.opener.open(request, timeout=60) as response:
                return (
                    response.status,
                    response.headers.get("Location", ""),
                    response.read().decode(),
                )
        except HTTPError as error:
            with error:
                return error.code, error.headers.get("Location", ""), error.read().decode()

    def token(self) -> str:
        """This browser's CSRF token (what the add-to-cart script fetches)."""
        return json.loads(self.request("/cart/form-token")[2])["csrf_token"]

    def add_to_cart(self, variant_id: int, quantity: int = 1) -> int:
        return self.request(
            "/cart/add",
            {"variant_id": variant_id, "quantity": quantity, "csrf_token": self.token()},
        )[0]

    def checkout_form(self, address: dict) -> dict:
        """The checkout form's fields as the page gives them, filled in with the address."""
        page = self.request("/checkout")[2]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        quote = re.search(r'name="quote" type="hidden" value="([^"]*)"', page).group(1)
        return {**address, "csrf_token": token, "quote": quote}

    def place_order(self, form: dict) -> tuple[int, str, str]:
        return self.request("/checkout", form)
