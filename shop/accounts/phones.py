"""Mainland mobile numbers as people type them, read into one stored form: "+8613812345678".

People write 138 1234 5678, 138-1234-5678, +86 138..., 86138... or full-width １３８… from a
Chinese input method. Only ASCII digits count after full-width ones are mapped: "²".isdigit()
is true and NFKC would turn it into 2, so neither is used; superscripts and other scripts' digits
are refused.
"""

import re

#: What the stored form starts with: every number here is a mainland one.
COUNTRY_PREFIX = "+86"
#: Anything longer is not a phone number however it is spaced; checked before any regex runs.
MAX_INPUT_LENGTH = 40
#: Full-width digits, plus and dash (a Chinese input method's) to their ASCII twins; the
#: ideographic space to a space.
_FULL_WIDTH = str.maketrans(
    {**{0xFF10 + n: str(n) for n in range(10)}, 0xFF0B: "+", 0xFF0D: "-", 0x3000: " "}
)
_SEPARATORS = re.compile(r"[ \t\-]")
_MAINLAND = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")


def normalize_phone(text: str | None) -> str | None:
    """The number as "+8613812345678", or None when `text` is not a mainland mobile number."""
    if not text or len(text) > MAX_INPUT_LENGTH:
        return None
    compact = _SEPARATORS.sub("", text.translate(_FULL_WIDTH).strip())
    match = _MAINLAND.fullmatch(compact)
    return COUNTRY_PREFIX + match[1] if match else None


def looks_like_email(text: str | None) -> bool:
    """True when the text is meant as an email (it has an @); else it is read as a phone."""
    return "@" in (text or "")


def display_phone(phone: str | None) -> str:
    """ "+8613812345678" as people read it: "138 1234 5678"."""
    digits = (phone or "").removeprefix(COUNTRY_PREFIX)
    if len(digits) != 11:
        return digits
    return f"{digits[:3]} {digits[3:7]} {digits[7:]}"


def masked_phone(phone: str | None) -> str:
    """ "+8613812345678" as shown to someone who may not own it: "138****5678"."""
    digits = (phone or "").removeprefix(COUNTRY_PREFIX)
    if len(digits) != 11:
        return ""
    return f"{digits[:3]}****{digits[7:]}"
