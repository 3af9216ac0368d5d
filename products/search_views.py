"""The search page (/search); products.search.service reads the request and loads the results."""

from flask import Blueprint, render_template, request

from products import search
from products.search.service import BadSearch, SearchPage, featured_products, find, parse_search

bp = Blueprint("search", __name__)


@bp.get("/search")
def results():
    """Search results for ?q= with facets, sorting and pages; featured products when none match."""
    try:
        query = parse_search(request.args)
    except BadSearch as error:
        page = SearchPage(query=search.SearchQuery(), featured=featured_products())
        return render_template("search/results.html", page=page, error=str(error)), 400
    page = find(query)
    html = render_template("search/results.html", page=page, error=None)
    if page.unavailable:
        return html, 503, {"Retry-After": str(search.RETRY_AFTER_SECONDS)}
    return html
