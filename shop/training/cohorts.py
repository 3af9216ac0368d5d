"""Cohorts seen from the trainer's side: who may follow whom, the cohorts one may see, opening a
cohort, its progress matrix, and graduating a trainee's practice shop to a real exhibitor shop.

Functions add and flush but never commit; the view commits once.
"""

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from products.models import Product, Region, Shop, ShopKind
from shop.accounts.models import Role, User
from shop.extensions import db
from shop.messages.models import Message, MessageAuthor, Thread
from shop.models_base import as_utc, utcnow
from shop.orders.models import Order, OrderEvent
from shop.sellers.services import shop_of
from shop.training.lessons import LESSON_KEYS, LESSONS, Lesson
from shop.training.models import Cohort, CohortMember, LessonCompletion

log = logging.getLogger(__name__)

#: Characters of a join code: capitals and digits without the look-alikes 0/O, 1/I/L, so a code
#: read aloud in a classroom or copied from a projector is typed right the first time.
JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
JOIN_CODE_LENGTH = 8
#: 31^8 codes: a collision is rare and ten in a row never happens unless something is broken.
JOIN_CODE_ATTEMPTS = 10

#: Sort keys of the progress matrix besides one per lesson ("lesson-<key>").
SORT_KEYS = ("name", "progress", "joined", "orders", "reply", "active")
LESSON_SORT_PREFIX = "lesson-"
DIRECTIONS = ("asc", "desc")


class CohortError(ValueError):
    """A cohort rule was not met; the message is for the trainer (already translated)."""


class CannotGraduate(CohortError):
    """The trainee has no practice shop, or it already sells publicly."""


# --- Who sees what -----------------------------------------------------------------------------


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


def cohort_for(viewer: User, cohort_id: int) -> Cohort | None:
    """The cohort when the viewer may open it, else None (the view answers 404)."""
    return db.session.scalar(
        cohorts_visible_to(viewer)
        .where(Cohort.id == cohort_id)
        .options(joinedload(Cohort.region), joinedload(Cohort.trainer))
    )


def cohort_summaries(viewer: User) -> list[tuple[Cohort, int]]:
    """The cohorts the viewer may open, newest first, each with its number of trainees."""
    members = (
        select(CohortMember.cohort_id, func.count().label("count"))
        .group_by(CohortMember.cohort_id)
        .subquery()
    )
    statement = (
        cohorts_visible_to(viewer)
        .add_columns(func.coalesce(members.c.count, 0))
        .outerjoin(members, members.c.cohort_id == Cohort.id)
        .options(joinedload(Cohort.region), joinedload(Cohort.trainer))
    )
    return [(cohort, count) for cohort, count in db.session.execute(statement)]


def member_of(cohort: Cohort, user_id: int) -> CohortMember | None:
    """The cohort's membership of this trainee, or None when they are not in it."""
    return db.session.scalar(
        select(CohortMember)
        .where(CohortMember.cohort_id == cohort.id, CohortMember.user_id == user_id)
        .options(joinedload(CohortMember.user))
    )


# --- Opening a cohort --------------------------------------------------------------------------


def new_join_code() -> str:
    """A random join code of JOIN_CODE_LENGTH characters from JOIN_CODE_ALPHABET."""
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _position in range(JOIN_CODE_LENGTH))


def unused_join_code(make_code: Callable[[], str] = new_join_code) -> str:
    """A join code no cohort has yet, drawing again on the rare collision.

    :raises RuntimeError: when JOIN_CODE_ATTEMPTS draws in a row were all taken.
    """
    for _attempt in range(JOIN_CODE_ATTEMPTS):
        code = make_code()
        if not db.session.scalar(select(exists().where(Cohort.join_code == code))):
            return code
    raise RuntimeError("no unused join code found; is the random source broken?")


def _checked(
    name: str, region_id: int, starts_on: date, ends_on: date, current_region: int | None = None
) -> tuple[str, Region]:
    """The name trimmed and the region, once they and the dates pass a cohort's rules.

    A region no longer offered (now coming soon) may stay a cohort's region, but not be chosen.
    """
    name = (name or "").strip()
    if not name:
        raise CohortError(_("Give the cohort a name."))
    region = db.session.get(Region, region_id)
    if region is None or (region.coming_soon and region.id != current_region):
        raise CohortError(_("Choose one of the programme's regions."))
    if ends_on < starts_on:
        raise CohortError(_("The end date cannot be before the start date."))
    return name, region


def update_cohort(
    cohort: Cohort, name: str, region_id: int, starts_on: date, ends_on: date
) -> None:
    """Correct a cohort's name, region or dates; its trainer, join code and trainees stay. Flushes.

    :raises CohortError: as for create_cohort.
    """
    name, region = _checked(name, region_id, starts_on, ends_on, current_region=cohort.region_id)
    cohort.name = name
    cohort.region_id = region.id
    cohort.starts_on = starts_on
    cohort.ends_on = ends_on
    db.session.flush()


def create_cohort(
    trainer: User, name: str, region_id: int, starts_on: date, ends_on: date
) -> Cohort:
    """Open a cohort run by this trainer, with a fresh join code.

    :raises CohortError: for an empty name, a region outside the programme, or dates out of order.
    """
    name, region = _checked(name, region_id, starts_on, ends_on)
    cohort = Cohort(
        name=name,
        region_id=region.id,
        starts_on=starts_on,
        ends_on=ends_on,
        trainer_id=trainer.id,
        join_code=unused_join_code(),
    )
    db.session.add(cohort)
    db.session.flush()
    return cohort


# --- Progress ----------------------------------------------------------------------------------


@dataclass
class TraineeProgress:
    """One row of the progress matrix: a trainee, their practice shop and what they have done."""

    member: CohortMember
    shop: Shop | None
    #: Lesson key -> when the trainee first did it (aware UTC).
    completions: dict[str, datetime] = field(default_factory=dict)
    #: Orders the trainee moved on as the seller (see progress()).
    orders_handled: int = 0
    #: Mean seconds from a buyer's message to the seller's first reply; None with no answer yet.
    reply_seconds: float | None = None
    last_activity: datetime | None = None

    @property
    def user(self) -> User:
        """The trainee."""
        return self.member.user

    @property
    def done(self) -> int:
        """How many lessons of the checklist the trainee has done."""
        return len(self.completions)

    @property
    def graduated(self) -> bool:
        """True once the trainer promoted this trainee's shop to an exhibitor shop."""
        return self.member.graduated_at is not None


@dataclass(frozen=True)
class LessonRate:
    """How many trainees of a cohort have done one lesson."""

    lesson: Lesson
    done: int
    trainees: int

    @property
    def percent(self) -> int:
        """The share of the cohort's trainees who did it, 0-100 (0 for an empty cohort)."""
        return round(100 * self.done / self.trainees) if self.trainees else 0


@dataclass
class CohortProgress:
    """A cohort's matrix rows (in joining order) and its completion per lesson."""

    rows: list[TraineeProgress]
    lessons: list[LessonRate]


def _latest(*moments: datetime | None) -> datetime | None:
    known = [as_utc(moment) for moment in moments if moment is not None]
    return max(known) if known else None


def progress(cohort: Cohort) -> CohortProgress:
    """Every trainee's lessons, shop, orders handled and reply time, in a fixed number of queries.

    "Orders handled" counts the orders of the trainee's shop that its owner moved on at least once
    as the seller (shipped, marked delivered, cancelled or refunded: an OrderEvent with actor_kind
    'seller'); orders only placed and paid by the customer do not count. Practice and real orders
    both count: this is the trainee's record, not a sales figure. The average reply time is the
    mean of answered_at - created_at over the shop's buyer messages that have an answer. Last
    activity is the latest of a lesson done, a seller action on an order, a seller message, a
    listing change and the shop's opening.
    """
    members = list(
        db.session.scalars(
            select(CohortMember)
            .where(CohortMember.cohort_id == cohort.id)
            .options(joinedload(CohortMember.user))
            .order_by(CohortMember.joined_at, CohortMember.id)
        )
    )
    user_ids = [member.user_id for member in members]
    shops: dict[int, Shop] = {}
    completions: dict[int, dict[str, datetime]] = {user_id: {} for user_id in user_ids}
    if user_ids:
        # A seller has one shop for now; like shop_of(), the first one counts.
        for shop in db.session.scalars(
            select(Shop).where(Shop.owner_id.in_(user_ids)).order_by(Shop.id.desc())
        ):
            shops[shop.owner_id] = shop
        for user_id, lesson, completed_at in db.session.execute(
            select(
                LessonCompletion.user_id, LessonCompletion.lesson, LessonCompletion.completed_at
            ).where(LessonCompletion.user_id.in_(user_ids))
        ):
            if lesson in LESSON_KEYS:
                completions[user_id][lesson] = as_utc(completed_at)
    figures = _shop_figures([shop.id for shop in shops.values()])
    rows = []
    for member in members:
        shop = shops.get(member.user_id)
        shop_figures = figures.get(shop.id, _ShopFigures()) if shop else _ShopFigures()
        done = completions[member.user_id]
        rows.append(
            TraineeProgress(
                member=member,
                shop=shop,
                completions=done,
                orders_handled=shop_figures.orders_handled,
                reply_seconds=shop_figures.reply_seconds,
                last_activity=_latest(
                    *done.values(),
                    shop_figures.last_order_action,
                    shop_figures.last_seller_message,
                    shop_figures.last_listing_change,
                    shop.created_at if shop else None,
                ),
            )
        )
    rates = [
        LessonRate(lesson, sum(1 for row in rows if lesson.key in row.completions), len(rows))
        for lesson in LESSONS
    ]
    return CohortProgress(rows, rates)


class _ShopFigures(NamedTuple):
    orders_handled: int = 0
    last_order_action: datetime | None = None
    reply_seconds: float | None = None
    last_seller_message: datetime | None = None
    last_listing_change: datetime | None = None


def _shop_figures(shop_ids: list[int]) -> dict[int, _ShopFigures]:
    """What each shop's seller did, in four queries whatever the number of shops."""
    if not shop_ids:
        return {}
    handled: dict[int, tuple[int, datetime | None]] = {
        shop_id: (count, last)
        for shop_id, count, last in db.session.execute(
            select(
                Order.shop_id, func.count(func.distinct(Order.id)), func.max(OrderEvent.created_at)
            )
            .join(OrderEvent, OrderEvent.order_id == Order.id)
            .where(Order.shop_id.in_(shop_ids), OrderEvent.actor_kind == "seller")
            .group_by(Order.shop_id)
        )
    }
    # Pairs rather than AVG() in SQL: subtracting times differs between SQLite and PostgreSQL,
    # and a cohort's answered messages are a few hundred rows at most.
    waits: dict[int, list[float]] = {}
    for shop_id, asked, answered in db.session.execute(
        select(Thread.shop_id, Message.created_at, Message.answered_at)
        .join(Message.thread)
        .where(
            Thread.shop_id.in_(shop_ids),
            Message.author == MessageAuthor.BUYER,
            Message.answered_at.is_not(None),
        )
    ):
        waits.setdefault(shop_id, []).append(
            max((as_utc(answered) - as_utc(asked)).total_seconds(), 0.0)
        )
    last_messages = dict(
        db.session.execute(
            select(Thread.shop_id, func.max(Message.created_at))
            .join(Message.thread)
            .where(Thread.shop_id.in_(shop_ids), Message.author == MessageAuthor.SELLER)
            .group_by(Thread.shop_id)
        ).all()
    )
    last_listings = dict(
        db.session.execute(
            select(Product.shop_id, func.max(Product.updated_at))
            .where(Product.shop_id.in_(shop_ids))
            .group_by(Product.shop_id)
        ).all()
    )
    figures = {}
    for shop_id in shop_ids:
        count, last_order = handled.get(shop_id, (0, None))
        shop_waits = waits.get(shop_id)
        figures[shop_id] = _ShopFigures(
            orders_handled=count,
            last_order_action=last_order,
            reply_seconds=sum(shop_waits) / len(shop_waits) if shop_waits else None,
            last_seller_message=last_messages.get(shop_id),
            last_listing_change=last_listings.get(shop_id),
        )
    return figures


@dataclass(frozen=True)
class StuckTrainee:
    """A trainee the trainer should look in on, and why."""

    row: TraineeProgress
    #: Whole days since their last lesson (since they joined, before a first one); None when
    #: they did one within the window and are listed only for having done the fewest.
    idle_days: int | None
    #: True when no one else in the cohort has done fewer lessons.
    fewest: bool


def stuck_trainees(
    rows: list[TraineeProgress], now: datetime, idle_days: int
) -> list[StuckTrainee]:
    """Who is stuck: trainees still learning (not graduated, lessons left) with no lesson done
    in the last `idle_days` days, counted from their last lesson or, before a first one, from
    joining; and those who have done the fewest lessons, when some have done more. Longest idle
    first, then fewest lessons done, then by name.
    """
    learning = [row for row in rows if not row.graduated and row.done < len(LESSONS)]
    fewest = min((row.done for row in learning), default=0)
    # When everyone still learning has done as many lessons, nobody is behind the others.
    someone_ahead = any(row.done > fewest for row in rows)
    stuck = []
    for row in learning:
        since = _latest(*row.completions.values()) or as_utc(row.member.joined_at)
        days = (as_utc(now) - since).days
        idle = days if days >= idle_days else None
        behind = someone_ahead and row.done == fewest
        if idle is not None or behind:
            stuck.append(StuckTrainee(row, idle, behind))
    stuck.sort(
        key=lambda item: (
            -(item.idle_days if item.idle_days is not None else -1),
            item.row.done,
            item.row.user.display_name.casefold(),
            item.row.user.id,
        )
    )
    return stuck


def lesson_sort_key(lesson_key: str) -> str:
    """The ?sort= value that orders the matrix by one lesson's completion time."""
    return LESSON_SORT_PREFIX + lesson_key


def valid_sort(sort: str | None, direction: str | None) -> tuple[str, str]:
    """A known sort key and direction; anything else falls back to name, ascending."""
    lesson_keys = {lesson_sort_key(lesson.key) for lesson in LESSONS}
    if sort not in SORT_KEYS and sort not in lesson_keys:
        sort = "name"
    return sort, direction if direction in DIRECTIONS else "asc"


def _sort_value(row: TraineeProgress, sort: str):
    if sort.startswith(LESSON_SORT_PREFIX):
        return row.completions.get(sort.removeprefix(LESSON_SORT_PREFIX))
    return {
        "name": row.user.display_name.casefold(),
        "progress": row.done,
        "joined": as_utc(row.member.joined_at),
        "orders": row.orders_handled,
        "reply": row.reply_seconds,
        "active": row.last_activity,
    }[sort]


def sorted_rows(rows: list[TraineeProgress], sort: str, direction: str) -> list[TraineeProgress]:
    """The rows ordered by a valid_sort() key; rows without a value (lesson not done, no reply
    yet) come last either way, and ties go by name."""
    by_name = sorted(rows, key=lambda row: (row.user.display_name.casefold(), row.user.id))
    present = [row for row in by_name if _sort_value(row, sort) is not None]
    missing = [row for row in by_name if _sort_value(row, sort) is None]
    # sorted() is stable, so equal values keep the name order in both directions.
    present.sort(key=lambda row: _sort_value(row, sort), reverse=direction == "desc")
    return present + missing


# --- Graduation --------------------------------------------------------------------------------


def graduation_shop(member: CohortMember) -> Shop | None:
    """The trainee's shop with its listings (photos, variants, region) loaded for review."""
    shop = shop_of(member.user)
    if shop is None:
        return None
    return db.session.scalar(
        select(Shop)
        .where(Shop.id == shop.id)
        .options(
            joinedload(Shop.region),
            selectinload(Shop.products).selectinload(Product.images),
            selectinload(Shop.products).selectinload(Product.variants),
            selectinload(Shop.products).joinedload(Product.region),
        )
    )


def graduate(member: CohortMember, actor: User) -> Shop:
    """Promote a trainee's practice shop to a real exhibitor shop after the trainer's review.

    The shop becomes an exhibitor shop, so its published listings join the public catalogue: the
    catalogue version moves and the search index re-reads the shop's products after the commit,
    both from the session events on the Shop change (products.cache, products.search). The owner
    gains the exhibitor role and keeps the trainee one. Practice orders keep is_practice=True.
    The private preview link is dropped: the shop now has its public page.

    :raises CannotGraduate: when the trainee has no shop, or it already sells publicly.
    """
    shop = shop_of(member.user)
    if shop is None:
        raise CannotGraduate(
            _(
                "%(name)s has not opened a practice shop yet, so there is nothing to graduate.",
                name=member.user.display_name,
            )
        )
    if member.graduated_at is not None or shop.kind != ShopKind.PRACTICE:
        raise CannotGraduate(_("This shop already sells publicly."))
    shop.kind = ShopKind.EXHIBITOR
    # The trainer's graduation is the approval: the shop needs no organizer's as well.
    shop.approved_at = utcnow()
    shop.preview_token = None
    member.user.add_role(Role.EXHIBITOR)
    member.graduated_at = utcnow()
    db.session.flush()
    log.info("%s graduated shop %s of user %s", actor.email, shop.slug, member.user_id)
    return shop
