"""Sign-up with a join code: the new account becomes a trainee's in the class the code opens.

The classes (training cohorts) belong to shop.training, above accounts, so accounts asks through
signals (shop.signals) and shop.training.signup, connected by create_app, answers.
"""

from flask_babel import gettext as _

from shop import signals

#: Longer than any join code with its spaces and dashes: anything longer is not one.
MAX_CODE_INPUT = 40


class UnknownJoinCode(ValueError):
    """No class has this join code; the message is for the person (already translated)."""

    def __init__(self):
        super().__init__(
            _("No cohort has this join code. Check it with your trainer and type it again.")
        )


def class_to_join(code: str):
    """The class this code opens: an object with its name and join_code (a training cohort).

    :raises UnknownJoinCode: when no class has the code.
    """
    for _receiver, found in signals.join_code_asked.send(None, code=code):
        if found is not None:
            return found
    raise UnknownJoinCode()


def join_class(user, code: str) -> None:
    """Make the new account a trainee member of the class this code opens."""
    signals.signed_up_with_join_code.send(user, code=code)
