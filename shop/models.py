"""Every model module, imported in one place so the metadata knows all tables.

create_app(), migrations and the tests import this; a new model module is added here.
"""

import products.models  # noqa: F401
import shop.accounts.models  # noqa: F401
import shop.cart.models  # noqa: F401
import shop.messages.models  # noqa: F401
import shop.openings.models  # noqa: F401
import shop.orders.models  # noqa: F401
import shop.payments.models  # noqa: F401
import shop.training.models  # noqa: F401
