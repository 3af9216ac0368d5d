"""Cohorts of trainees, their membership, and the lessons each trainee has done."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from products.models import Region
from shop.accounts.models import User
from shop.extensions import db
from shop.models_base import Timestamped, utcnow


class Cohort(Timestamped, db.Model):
    """One class of the programme (e.g. "灵寿 2026 春季班"), run by one trainer."""

    __tablename__ = "cohort"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: What trainees type (or scan as a QR code) to join: short, unambiguous characters.
    join_code: Mapped[str] = mapped_column(String(12), unique=True)

    region: Mapped["Region"] = relationship()
    trainer: Mapped["User"] = relationship()
    members: Mapped[list["CohortMember"]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", order_by="CohortMember.id"
    )

    def __repr__(self) -> str:
        return f"<Cohort {self.id} {self.join_code}>"


class CohortMember(db.Model):
    """A trainee in a cohort."""

    __tablename__ = "cohort_member"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id", name="uq_cohort_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: When the trainer promoted this trainee's practice shop to a real exhibitor shop.
    graduated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    cohort: Mapped["Cohort"] = relationship(back_populates="members")
    user: Mapped["User"] = relationship()

    def __repr__(self) -> str:
        return f"<CohortMember cohort={self.cohort_id} user={self.user_id}>"


class LessonCompletion(db.Model):
    """A lesson of the practice checklist that a trainee has done, and when (first time)."""

    __tablename__ = "lesson_completion"
    __table_args__ = (UniqueConstraint("user_id", "lesson", name="uq_lesson_completion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    #: A key of shop.training.lessons.LESSONS.
    lesson: Mapped[str] = mapped_column(String(40))
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<LessonCompletion user={self.user_id} {self.lesson}>"
