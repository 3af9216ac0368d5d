"""The cart: lines of variants for anonymous visitors and customers, merged at log-in."""
