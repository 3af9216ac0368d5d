"""A visitor's request to hear when a partner country's shop opens."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from products.models import Region
from shop.extensions import db
from shop.models_base import utcnow


class ContactKind:
    """How a sign-up is reached: by email or by mobile number."""

    EMAIL = "email"
    PHONE = "phone"
    ALL = (EMAIL, PHONE)


class OpeningSignup(db.Model):
    """One contact's wish to be told when one partner country opens (each pair once).

    Not a catalogue table: a sign-up changes no public page, so it does not move the
    catalogue version that the storefront cache follows.
    """

    __tablename__ = "opening_signup"
    __table_args__ = (
        UniqueConstraint("region_id", "contact"),
        CheckConstraint("contact_kind IN ('email', 'phone')", name="contact_kind"),
        CheckConstraint("language IN ('zh', 'en')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), index=True)
    #: A lower-cased email address, or a mobile number without spaces (mainland numbers without
    #: +86), so that the same contact typed twice is one row.
    contact: Mapped[str] = mapped_column(String(254))
    contact_kind: Mapped[str] = mapped_column(String(10))
    #: What the visitor would like to be called (optional).
    name: Mapped[str] = mapped_column(String(80), default="")
    #: The language the page was read in: the one to write to them in.
    language: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    region: Mapped[Region] = relationship()

    def __repr__(self) -> str:
        return f"<OpeningSignup {self.id} region={self.region_id}>"
