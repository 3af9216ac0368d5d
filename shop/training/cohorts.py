"""Cohorts seen from the trainer's side: who may follow whom, and the cohorts one may see."""

from sqlalchemy import Select, exists, select

from shop.accounts.models import Role, User
from shop.extensions import db
from shop.training.models import Cohort, CohortMember


def cohorts_visible_to(user: User) -> Select:
    """Cohorts a person may open: organizers see all, a trainer only their own."""
    statement = select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id.desc())
    if user.has_role(Role.ORGANIZER):
        return statement
    return statement.where(Cohort.trainer_id == user.id)


def can_follow(viewer: User, trainee_id: int) -> bool:
    """True when the viewer may see and act on this trainee's practice shop.

    Organizers may follow every trainee; a trainer only the members of their own cohorts.
    """
    if viewer.has_role(Role.ORGANIZER):
        return True
    if not viewer.has_role(Role.TRAINER):
        return False
    return bool(
        db.session.scalar(
            select(
                exists()
                .where(CohortMember.user_id == trainee_id)
                .where(CohortMember.cohort_id == Cohort.id)
                .where(Cohort.trainer_id == viewer.id)
            )
        )
    )
