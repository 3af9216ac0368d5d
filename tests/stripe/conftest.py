"""Fixtures for the Stripe tests: the app configured for Stripe, talking to recorded answers."""

import pytest

from shop.extensions import db
from tests.helpers import build_app, reset_database
from tests.stripe_fakes import RecordedStripe, recording, stripe_config


@pytest.fixture
def stripe_http():
    http = RecordedStripe()
    http.answer("POST", "/v1/checkout/sessions", recording("checkout_session_created"))
    http.answer("POST", "/v1/refunds", recording("refund_succeeded"))
    return http


@pytest.fixture
def app(tmp_path, postgres_schema, stripe_http):
    """The app with Stripe configured (the builders in conftest use this one)."""
    app = build_app(tmp_path / "instance", **stripe_config(stripe_http))
    with app.app_context():
        reset_database()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
