"""The organizer's pages: featured products per region, unpublishing with a reason."""

from shop.curation.views import bp

__all__ = ["bp"]
