"""One buyer over real HTTP, for tests and benchmarks against a running server: a browser that
keeps its own cookies, and an address the checkout form accepts.

It keeps one HTTP/1.1 connection open per thread, as a real browser does, rather than opening one
per request: on a 2-core machine a benchmark's client shares the cores with the server, so what
the client spends per request is taken from what is measured.
"""

import http.client
import json
import re
import threading
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

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


#: Errors that mean a kept-alive connection was closed by the server before it read the request.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class Browser:
    """One buyer's browser: its own cookies, redirects returned rather than followed.

    Several threads may send requests for the same browser at once (a double tap); each gets
    its own connection, and the cookies are shared.
    """

    def __init__(self, base: str):
        self.base = base
        address = urlsplit(base)
        self.host, self.port = address.hostname, address.port or 80
        self.cookies: dict[str, str] = {}
        self._cookie_lock = threading.Lock()
        self._local = threading.local()

    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None or fresh:
            if connection is not None:
                connection.close()
            connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self._local.connection = connection
        return connection

    def _remember(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                gone = morsel["max-age"] == "0" or "1970" in morsel["expires"]
                with self._cookie_lock:
                    if gone:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.coded_value

    def request(self, path: str, data=None) -> tuple[int, str, str]:
        """(status, Location header, body) of a GET, or a POST when data (a dict or a list of
        pairs) is given."""
        body = urlencode(data).encode() if data is not None else None
        headers = {"Accept-Encoding": "identity"}
        with self._cookie_lock:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            connection = self._connection(fresh=attempt == 2)
            reused = connection.sock is not None
            try:
                connection.request("POST" if body is not None else "GET", path, body, headers)
                response = connection.getresponse()
            except _STALE:
                # The server closed an idle connection before reading this request: nothing was
                # done, so sending it again on a new connection is safe.
                if attempt == 2 or not reused:
                    raise
                continue
            text = response.read().decode()
            self._remember(response)
            if response.will_close:
                connection.close()
            return response.status, response.headers.get("Location", ""), text
        raise AssertionError("unreachable")

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
