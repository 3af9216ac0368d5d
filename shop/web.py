"""Site-wide plumbing: language choice, security headers, health check."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    has_request_context,
    redirect,
    request,
)
from flask_login import current_user
from sqlalchemy import text

from shop.extensions import compress, db
from shop.parsing import safe_next

bp = Blueprint("site", __name__)

LANGUAGE_COOKIE = "lang"
ONE_YEAR = 365 * 24 * 3600
#: Pages about one person (account, orders, shop, training, cart, checkout, payments, private
#: previews, log-in and reset forms): answered with Cache-Control: no-store, so neither a proxy
#: nor the browser of a shared computer keeps a copy to show the next person.
PRIVATE_PATHS = (
    "/account",
    "/orders",
    "/sell",
    "/train",
    "/organize",
    "/checkout",
    "/cart",
    "/payments",
    "/practice",
    "/login",
    "/signup",
    "/reset",
)


def select_locale() -> str:
    """The visitor's language: ?lang=, then their saved choice, then Accept-Language, else Chinese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # Command-line tasks speak English (their messages are for operators).
        return "en"
    for choice in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if choice in languages:
            return choice
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


@bp.route("/language/<code>", methods=["GET", "POST"])
def switch_language(code: str):
    """Remember the chosen language in a cookie and go back.

    Only a POST (the switcher's form for someone logged in, CSRF-checked) also saves it on the
    account, which the messages to that person are written in: a GET changes no stored state,
    so a link or an image on another site cannot change it.
    """
    if code not in current_app.config["LANGUAGES"]:
        code = current_app.config["BABEL_DEFAULT_LOCALE"]
    response = redirect(safe_next(request.args.get("next")))
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=ONE_YEAR,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    if request.method == "POST" and current_user.is_authenticated and current_user.language != code:
        current_user.language = code
        db.session.commit()
    return response


@bp.get("/healthz")
def healthz():
    """200 when the database answers and search can; 503 otherwise ("error" when the database
    does not answer, "degraded" while the search index is rebuilt)."""
    from products import search

    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    problem = search.health()
    if problem:
        # Not 200: a load balancer sends search elsewhere while this server rebuilds its index.
        body = {"status": "degraded", "database": "ok", "search": problem}
        return body, 503, {"Retry-After": str(search.RETRY_AFTER_SECONDS)}
    return {"status": "ok", "database": "ok", "search": "ok"}


def content_security_policy() -> str:
    """Only our own scripts and styles; no inline script; never framed."""
    return "; ".join(
        [
            "default-src 'self'",
            "img-src 'self' data:" + _media_origin(),
            "script-src 'self'",
            "style-src 'self'",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'"
            + (
                " https://checkout.stripe.com"
                if current_app.config.get("STRIPE_SECRET_KEY")
                else ""
            ),
            "frame-ancestors 'none'",
        ]
    )


def _media_origin() -> str:
    """MEDIA_URL's origin (with a leading space) when /media redirects there, else "".

    A browser checks img-src again after each redirect: without it every picture is blocked.
    """
    parts = urlsplit(current_app.config.get("MEDIA_URL") or "")
    return f" {parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def is_private_path(path: str) -> bool:
    """True for the addresses of PRIVATE_PATHS and everything under them."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PRIVATE_PATHS)


def add_security_headers(response):
    """Security headers on every response; no-store on personal pages."""
    headers = response.headers
    if is_private_path(request.path) and "no-store" not in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = "no-store"
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure or current_app.config["PREFERRED_URL_SCHEME"] == "https":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html":
        # Pages depend on the language and the visitor; shared caches must keep them apart.
        response.vary.add("Cookie")
        response.vary.add("Accept-Language")
    return response


def compress_when_safe(response):
    """Compress text responses that hold no secret an attacker could guess byte by byte.

    Compression plus a reflected value (a search word) leaks a secret on the same page to an
    attacker who can watch sizes (BREACH). Personal pages and any page that rendered a CSRF
    token therefore go uncompressed; the public catalogue, CSS, JS and SVG are compressed.
    """
    carries_secret = is_private_path(request.path) or (
        current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") in g
    )
    if carries_secret:
        return response
    return compress.after_request(response)


def register(app: Flask) -> None:
    """Install the after-request hooks (shop.templating installs the template helpers)."""
    # After-request hooks run last-registered first: compression must see the final headers.
    app.after_request(compress_when_safe)
    app.after_request(add_security_headers)
