"""JSON API v1 for mini-program front ends, and its OpenAPI 3.1 document.

Feature modules add their routes to `bp` and describe them in OPENAPI_PATHS / OPENAPI_SCHEMAS, so
that /api/openapi.json always documents exactly the endpoints that exist.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

#: OpenAPI "paths" entries, keyed by path template (e.g. "/v1/regions"), added by feature modules.
OPENAPI_PATHS: dict[str, dict] = {}
#: OpenAPI component schemas shared by the paths, keyed by name.
OPENAPI_SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    }
}


def openapi_document() -> dict:
    """The OpenAPI 3.1 document for every registered endpoint."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Village Market API",
            "version": "1.0.0",
            "description": "Regions, products, shops and search of Village Market (乡村集市). "
            "Prices are integer fen (1 yuan = 100 fen) with a formatted string beside them.",
        },
        "servers": [{"url": "/api"}],
        "paths": dict(sorted(OPENAPI_PATHS.items())),
        "components": {"schemas": OPENAPI_SCHEMAS},
    }


@bp.get("/openapi.json")
def openapi():
    """The API's OpenAPI document."""
    return openapi_document()


# Feature modules add their routes to bp; importing them here registers them with the blueprint.
from shop.api import catalogue  # noqa: E402, F401
