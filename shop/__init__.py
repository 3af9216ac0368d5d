"""Village Market (乡村集市): the application factory."""

import os
import sqlite3

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from shop.config import Config, instance_path
from shop.extensions import babel, compress, csrf, db, limiter, login_manager, migrate
from shop.parsing import IdConverter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI, error pages."""
    config = dict(config or {})
    folder = config.pop("INSTANCE_PATH", None) or instance_path()
    os.makedirs(folder, exist_ok=True)
    app = Flask(
        __name__,
        instance_path=folder,
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    app.config.update(Config(folder).as_dict())
    app.config.update(config)
    # Before any route exists: <int:...> takes ASCII digits that fit an id column, else a 404.
    app.url_map.converters["int"] = IdConverter

    _init_extensions(app)
    _register_blueprints(app)
    _init_features(app)

    from shop import cli, errors, web

    errors.register(app)
    web.register(app)
    cli.register(app)
    _trust_proxies(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the visitor's address and scheme from them.

    Applied last, so it is the outermost layer: everything inside (rate limits, session
    protection, logs) sees the visitor's address rather than the proxy's.
    """
    count = app.config.get("TRUSTED_PROXIES") or 0
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def _init_extensions(app: Flask) -> None:
    from shop import jobs, web

    db.init_app(app)
    jobs.init_app(app)  # jobs enqueued in a transaction wait for its commit
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale)
    limiter.init_app(app)
    compress.init_app(app)
    app.extensions["image_store"] = _image_store(app.config)
    # Importing the models registers them with the metadata (for migrations and create_all).
    import shop.models  # noqa: F401
    from shop.accounts import auth

    auth.init_login(app)
    from products import search

    search.init_app(app)
    # The worker repairs the index of the machine it runs on (SEARCH_INDEX_PATH is per machine).
    jobs.every(app, "ensure-search-index", 300, "products.search.ensure_index")
    from shop.payments import gateway

    # The app chooses its payment gateways: the payment interface knows none of them.
    gateway.init_app(app, {"sandbox": _sandbox_gateway, "stripe": _stripe_gateway})


def _image_store(config):
    """The photo store MEDIA_STORAGE names: "local" (UPLOAD_FOLDER) or "s3" (S3_BUCKET)."""
    from products.storage import LocalImageStore, S3ImageStore

    kind = (config.get("MEDIA_STORAGE") or "local").strip().lower()
    if kind == "local":
        return LocalImageStore(config["UPLOAD_FOLDER"])
    if kind == "s3":
        return S3ImageStore.from_config(config)  # loads boto3: a local shop never does
    raise ValueError(f'MEDIA_STORAGE must be "local" or "s3", not {kind!r}')


def _sandbox_gateway(config):
    from shop.payments.sandbox_gateway import SandboxGateway

    return SandboxGateway()


def _stripe_gateway(config):
    # Imported on first use: the Stripe library is loaded only by shops that pay through it.
    from shop.payments.stripe_gateway import StripeGateway

    return StripeGateway(config)


def _init_features(app: Flask) -> None:
    """Every template helper, and each feature's own helpers and receivers, by one call each."""
    from shop import accounts, cart, messages, orders, sellers, templating, training

    templating.register(app)  # the catalogue's and the site's: shop.templating
    accounts.init_app(app)
    orders.init_app(app)  # and the guest orders an account adopts
    cart.init_app(app)  # the cart count, and the merge at log-in
    messages.init_app(app)  # the inbox badge, and refund requests closed by a refund
    sellers.init_app(app)  # photos whose renditions job was lost are queued again
    training.init_app(app)  # share links, the lesson checks, join codes at sign-up


def _register_blueprints(app: Flask) -> None:
    from products.search_views import bp as search_pages
    from products.views import bp as catalogue
    from shop.accounts.views import bp as accounts
    from shop.api import bp as api
    from shop.api import catalogue as _api_catalogue  # noqa: F401  (its routes join api)
    from shop.api import search as _api_search  # noqa: F401  (its routes join api)
    from shop.cart.views import bp as cart
    from shop.checkout.payment_views import bp as payments
    from shop.checkout.views import bp as checkout
    from shop.curation import bp as curation
    from shop.messages.views import bp as inbox
    from shop.openings import bp as openings
    from shop.orders import cli as orders_cli
    from shop.orders.views import bp as orders
    from shop.sellers import home_views as _home_views  # noqa: F401  (adds /sell/ to sellers)
    from shop.sellers import views as _seller_views  # noqa: F401  (the workspace's routes)
    from shop.sellers.blueprint import bp as sellers
    from shop.sellers.discount_views import bp as discounts
    from shop.sellers.order_views import bp as seller_orders
    from shop.training.customer_views import bp as practice_customers
    from shop.training.preview_views import bp as practice_preview
    from shop.training.share import bp as share_kit
    from shop.training.trainer_views import bp as trainer
    from shop.training.views import bp as training
    from shop.web import bp as site

    app.register_blueprint(site)
    app.register_blueprint(catalogue)
    app.register_blueprint(search_pages)
    app.register_blueprint(api)
    app.register_blueprint(curation)
    app.register_blueprint(openings)
    app.register_blueprint(cart)
    app.register_blueprint(checkout)
    app.register_blueprint(orders)
    app.register_blueprint(seller_orders)
    app.register_blueprint(payments)
    orders_cli.register(app)  # flask expire-orders
    app.register_blueprint(accounts)
    app.register_blueprint(sellers)
    app.register_blueprint(discounts)
    app.register_blueprint(inbox)
    app.register_blueprint(training)
    app.register_blueprint(trainer)
    app.register_blueprint(practice_customers)
    app.register_blueprint(practice_preview)
    app.register_blueprint(share_kit)


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, _record) -> None:
    """WAL so readers never wait for a writer; enforce foreign keys; wait rather than fail on locks."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
