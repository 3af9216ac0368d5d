"""A running server in a thread and a small cookie-keeping HTTP client, for tests with real
concurrent requests (the stock race) and for the checkout benchmark."""

import re
import threading
from contextlib import contextmanager
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

from werkzeug.serving import make_server


@contextmanager
def running_server(app):
    """Serve the app on a free local port with a thread per request; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


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
        import json

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
