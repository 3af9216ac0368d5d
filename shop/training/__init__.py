"""The training sandbox: cohorts, lessons and their checks, simulated customers, share kit."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Tick lessons on what trainees do; give listing pages their share links.

    Also answer sign-up about join codes (accounts may not import training).
    """
    from shop.training import checks, sharing, signup

    checks.connect()
    signup.connect()
    app.add_template_global(sharing.share_links)
