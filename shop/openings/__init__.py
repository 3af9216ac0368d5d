"""Partner countries not open yet: visitors leave an email or mobile number to hear when one opens."""

from shop.openings.views import bp

__all__ = ["bp"]
