"""Sign-up with a join code, for shop.accounts: which cohort a code opens, and joining it.

Accounts sits below training and asks through signals; `connect()` (called by create_app) answers.
"""

from shop import signals
from shop.training import services


def cohort_for_code(_sender, code: str, **_kwargs):
    """The cohort a join code typed at sign-up opens, or None."""
    return services.cohort_by_code(code)


def join_at_signup(user, code: str, **_kwargs) -> None:
    """The account just made with a join code becomes a trainee member of its cohort."""
    services.join_cohort(user, code)


def connect() -> None:
    """Answer accounts' sign-up questions about join codes."""
    signals.join_code_asked.connect(cohort_for_code)
    signals.signed_up_with_join_code.connect(join_at_signup)
