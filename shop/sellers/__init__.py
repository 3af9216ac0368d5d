"""The seller workspace: shop profile, listings, photos, stock and CSV, discounts, orders."""
