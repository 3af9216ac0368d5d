"""A running server in a thread, for tests that need real HTTP (concurrent buyers in the stock
race, a headless browser, an API client); bench.http_buyer.Browser is a buyer to send to it."""

import threading
from contextlib import contextmanager

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
