"""JSON API v1 for mini-program front ends, and its OpenAPI 3.1 document.

The endpoints are in shop.api.catalogue and shop.api.search, which add their routes to `bp`
(create_app imports both before registering it); shop.api.openapi describes them.
"""

from flask import Blueprint

from products import services
from shop.api.openapi import openapi_document
from shop.api.shapes import ApiError

bp = Blueprint("api", __name__, url_prefix="/api")


def _api_error(error: ApiError):
    return {"error": {"code": error.code, "message": error.message}}, error.status, error.headers


def _bad_parameter(error: services.BadParameter):
    return {"error": {"code": "bad_parameter", "message": str(error)}}, 400


bp.register_error_handler(ApiError, _api_error)
bp.register_error_handler(services.BadParameter, _bad_parameter)


@bp.get("/openapi.json")
def openapi():
    """The API's OpenAPI document."""
    return openapi_document()
