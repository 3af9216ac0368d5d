"""Friendly error pages in the visitor's language, JSON for the API."""

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from shop.extensions import db


def _messages() -> dict[int, tuple[str, str]]:
    """Title and advice per status code, translated at request time."""
    return {
        400: (
            _("Something in that request was not right"),
            _("Go back, check what you entered and try again."),
        ),
        403: (
            _("This page is not open to you"),
            _("Log in with an account that may see it, or go back to the market."),
        ),
        404: (
            _("We could not find that page"),
            _(
                "The link may be old, or the product is no longer listed. Try the search or the home page."
            ),
        ),
        405: (_("That action is not possible here"), _("Go back and use the buttons on the page.")),
        413: (
            _("That file is too large"),
            _("Choose a smaller file (at most 15 MB) and try again."),
        ),
        429: (_("Too many tries"), _("Please wait a few minutes before trying again.")),
        500: (
            _("Something went wrong on our side"),
            _(
                "Nothing was changed. Please try again in a moment; if it keeps happening, tell the organizers."
            ),
        ),
    }


def render_error(code: int, detail: str | None = None):
    """The error page (or JSON body for /api/) for a status code."""
    messages = _messages()
    title, advice = messages.get(code, messages[500] if code >= 500 else messages[400])
    if request.path.startswith("/api/"):
        # The documented Error body (shop.api): a machine-readable word, e.g. "not_found".
        name = HTTP_STATUS_CODES.get(code, "error").lower().replace(" ", "_").replace("-", "_")
        return {"error": {"code": name, "message": detail or title}}, code
    return render_template(
        "errors/error.html", code=code, title=title, advice=detail or advice
    ), code


def _holds_nul(values) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def refuse_nul_bytes():
    """A 400 page for a NUL byte anywhere in the address or a form, before any view reads it.

    No text column can keep one (PostgreSQL refuses it outright), no person types one, and
    checking once here spares every form and every URL part from checking it again.
    """
    if (
        "\x00" in request.path
        or _holds_nul(request.args)
        or _holds_nul(request.form)
        or any(
            "\x00" in key or "\x00" in (upload.filename or "")
            for key, upload in request.files.items(multi=True)
        )
    ):
        return render_error(
            400,
            _(
                "Your request contains a character that cannot be saved (a NUL byte). Nothing was saved: go back, remove it and try again."
            ),
        )
    return None


def register(app: Flask) -> None:
    """Route every HTTP error and unexpected exception to a friendly page; refuse NUL bytes."""
    app.before_request(refuse_nul_bytes)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400,
            _(
                "This form has expired or was sent from another page. Nothing was saved: reload the page and send it again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        body, code = render_error(error.code)
        # Keep the headers the status needs besides its body, e.g. Allow on a 405.
        headers = [(name, value) for name, value in error.get_headers() if name != "Content-Type"]
        return body, code, headers

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        # Undo anything half-done in this request before showing the page.
        db.session.rollback()
        app.logger.exception("Unhandled error on %s", request.path)
        return render_error(InternalServerError.code)
