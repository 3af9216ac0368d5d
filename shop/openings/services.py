"""Sign-ups for partner countries: record one (once per contact and country), list them."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from products.models import Region
from shop.extensions import db
from shop.openings.models import OpeningSignup


class NotOpeningSoon(Exception):
    """The region is not a partner country waiting to open (its shop is open already)."""


def sign_up(region: Region, kind: str, contact: str, name: str, language: str) -> bool:
    """Record that `contact` wants to hear when `region` opens; False if it already had.

    Safe to repeat: a double tap or a second visit finds the row the first made (the unique
    constraint decides, also between two requests at the same moment).

    :raises NotOpeningSoon: for a region that is not coming soon.
    """
    if not region.coming_soon:
        raise NotOpeningSoon(region.slug)
    if _exists(region, contact):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(
                OpeningSignup(
                    region_id=region.id,
                    contact=contact,
                    contact_kind=kind,
                    name=name,
                    language=language,
                )
            )
    except IntegrityError:
        return False
    return True


def _exists(region: Region, contact: str) -> bool:
    return (
        db.session.scalar(
            select(OpeningSignup.id).where(
                OpeningSignup.region_id == region.id, OpeningSignup.contact == contact
            )
        )
        is not None
    )


def coming_soon_regions() -> list[Region]:
    """The partner countries, in display order."""
    return list(
        db.session.scalars(
            select(Region).where(Region.coming_soon.is_(True)).order_by(Region.position, Region.id)
        )
    )


def counts() -> dict[int, int]:
    """How many sign-ups each region has (regions without any are absent)."""
    rows = db.session.execute(
        select(OpeningSignup.region_id, func.count()).group_by(OpeningSignup.region_id)
    )
    return dict(rows.tuples().all())


def signups(region: Region | None = None) -> list[OpeningSignup]:
    """Sign-ups of one region (or all), newest first within each region."""
    statement = select(OpeningSignup).join(OpeningSignup.region)
    if region is not None:
        statement = statement.where(OpeningSignup.region_id == region.id)
    return list(
        db.session.scalars(
            statement.order_by(Region.position, OpeningSignup.created_at.desc(), OpeningSignup.id)
        )
    )
