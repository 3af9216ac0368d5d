"""Configuration: safe embedded defaults; secrets and deployment choices only from the environment."""

import os
import secrets
from pathlib import Path

from shop.parsing import NotAWholeNumber, whole_number

#: Where the database, uploads, search index and generated secret live unless INSTANCE_PATH says otherwise.
DEFAULT_INSTANCE_PATH = Path(__file__).resolve().parent.parent / "instance"


def instance_path() -> str:
    """The instance folder chosen by INSTANCE_PATH, else ./instance next to the code."""
    return str(Path(os.environ.get("INSTANCE_PATH") or DEFAULT_INSTANCE_PATH).resolve())


def proxy_count(value: str | None) -> int:
    """TRUSTED_PROXIES as a number: how many reverse proxies stand in front of the app."""
    value = (value or "0").strip()
    try:
        return whole_number(value)
    except NotAWholeNumber:
        raise ValueError(
            f"TRUSTED_PROXIES must be a whole number such as 0 or 1, not {value!r}"
        ) from None


def load_or_create_secret_key(folder: str) -> str:
    """Return a random key kept in the instance folder, creating it once (never a key in the source)."""
    path = Path(folder) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two gunicorn workers starting together must end up with the same key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip()


class Config:
    """Defaults for one laptop: SQLite, local files, sandbox payments. Override by environment."""

    def __init__(self, folder: str):
        env = os.environ.get
        self.SECRET_KEY = env("SECRET_KEY") or load_or_create_secret_key(folder)
        self.SQLALCHEMY_DATABASE_URI = env("DATABASE_URL") or (
            "sqlite:///" + os.path.join(folder, "village-market.db")
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.UPLOAD_FOLDER = env("UPLOAD_FOLDER") or os.path.join(folder, "uploads")
        self.SEARCH_INDEX_PATH = env("SEARCH_INDEX_PATH") or os.path.join(folder, "search-index")
        #: The search engine: "whoosh" (files at SEARCH_INDEX_PATH) or "postgresql" (a tsvector
        #: per product, PostgreSQL only). Unset: "postgresql" on a PostgreSQL database (several
        #: app servers then search alike), else "whoosh" (products.search.init_app decides, once
        #: the database URL is final).
        self.SEARCH_BACKEND = env("SEARCH_BACKEND") or None
        #: Where photos are kept: "local" (UPLOAD_FOLDER) or "s3" (the bucket S3_BUCKET of an
        #: S3-compatible store, reached with boto3's standard AWS_* variables; products.storage).
        self.MEDIA_STORAGE = env("MEDIA_STORAGE") or "local"
        self.S3_BUCKET = env("S3_BUCKET")
        self.AWS_ENDPOINT_URL = env("AWS_ENDPOINT_URL")
        self.AWS_DEFAULT_REGION = env("AWS_DEFAULT_REGION")
        self.AWS_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID")
        self.AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY")
        #: The public address of the stored files (a CDN or the bucket): /media/<name> then
        #: redirects there instead of answering with the bytes itself.
        self.MEDIA_URL = (env("MEDIA_URL") or "").rstrip("/")
        self.MAX_CONTENT_LENGTH = 16 * 1024 * 1024
        #: Images above this many bytes are refused with a 413 before Pillow sees them.
        self.MAX_IMAGE_BYTES = 15 * 1024 * 1024
        self.BABEL_DEFAULT_LOCALE = "zh"
        self.BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).parent / "translations")
        self.LANGUAGES = ("zh", "en")
        self.RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI") or "memory://"
        #: While that Redis does not answer, count in this process's memory (and go back to it
        #: when it answers) rather than fail every log-in and checkout with an error page.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        #: Text responses are compressed by the app (make run has no proxy in front); shop.web
        #: picks which ones. Brotli or gzip only: every phone browser reads both.
        self.COMPRESS_REGISTER = False
        self.COMPRESS_ALGORITHM = ["br", "gzip"]
        self.COMPRESS_ALGORITHM_STREAMING = ["br", "deflate"]
        self.COMPRESS_MIMETYPES = [
            "text/html",
            "text/css",
            "text/plain",
            "text/csv",
            "application/javascript",
            "text/javascript",
            "application/json",
            "application/xml",
            "image/svg+xml",
        ]
        self.RATELIMIT_HEADERS_ENABLED = True
        #: Failed log-ins allowed per address, e.g. "30 per 15 minutes" for a class behind one NAT.
        self.LOGIN_ADDRESS_LIMIT = env("LOGIN_ADDRESS_LIMIT") or None
        #: Reverse proxies in front of the app whose X-Forwarded-For and X-Forwarded-Proto are
        #: believed (1 behind one nginx). 0, the default, ignores those headers: a visitor
        #: talking to the app directly could otherwise pick any address for the rate limits.
        self.TRUSTED_PROXIES = proxy_count(env("TRUSTED_PROXIES"))
        #: Checkouts one address may place, e.g. "20 per 10 minutes" (each holds stock unpaid).
        self.CHECKOUT_LIMIT = env("CHECKOUT_LIMIT") or "20 per 10 minutes"
        #: Unpaid checkouts one cart keeps open; placing one more cancels the oldest.
        self.OPEN_CHECKOUTS_PER_VISITOR = int(env("OPEN_CHECKOUTS_PER_VISITOR") or 2)
        #: Unpaid checkouts one address keeps open (raise it for a class behind one address).
        self.OPEN_CHECKOUTS_PER_ADDRESS = int(env("OPEN_CHECKOUTS_PER_ADDRESS") or 10)
        #: A trainee with no lesson done for this many days shows in their cohort's "stuck" list.
        self.TRAINEE_STUCK_DAYS = int(env("TRAINEE_STUCK_DAYS") or 7)
        self.PAYMENT_GATEWAY = "stripe" if env("STRIPE_SECRET_KEY") else "sandbox"
        self.STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
        self.STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
        self.STRIPE_PAYMENT_METHODS = (env("STRIPE_PAYMENT_METHODS") or "card").split(",")
        self.MAIL_URL = env("MAIL_URL")
        #: Redis for background jobs (shop.jobs, `flask worker`); without it jobs run in-process.
        self.REDIS_URL = env("REDIS_URL")
        #: The RQ queue the app sends jobs to and `flask worker` takes them from.
        self.JOBS_QUEUE = env("JOBS_QUEUE") or "village-market"
        #: How one-time SMS codes leave: "outbox" (stay in the outbox for organizers to read) or
        #: "http" (an SMS provider's HTTP API at SMS_API_URL, key SMS_API_KEY; shop.accounts.sms).
        self.SMS_BACKEND = env("SMS_BACKEND") or "outbox"
        self.SMS_API_URL = env("SMS_API_URL")
        self.SMS_API_KEY = env("SMS_API_KEY")
        self.PREFERRED_URL_SCHEME = env("PREFERRED_URL_SCHEME") or "http"
        #: Public site address used in sitemaps, canonical links and QR codes when set, and
        #: always in links sent by mail (shop.web.site_url): never the request's Host header.
        self.SITE_URL = (env("SITE_URL") or "").rstrip("/")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.PREFERRED_URL_SCHEME == "https"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.WTF_CSRF_TIME_LIMIT = (
            None  # the token lives as long as the session: rural users are slow
        )
        self.SEED_DATA_PATH = str(Path(__file__).resolve().parent.parent / "seed_data")

    def as_dict(self) -> dict:
        """The settings as a mapping for app.config.update()."""
        return {key: value for key, value in vars(self).items() if key.isupper()}
