"""What a rendered page showed of the numbers buyers move: stock and units sold under a cap.

Why: checkouts move stock and discount counters all day. If each of those moves bumped the
catalogue version, every checkout would lock one shared row (a queue, and a deadlock with a
seller's save) and empty every cached page of every worker. Instead they move only their own
rows, and a cached page remembers the stock and counters it was drawn from: serving it again
costs one read of those rows, and a page whose numbers moved is drawn again. So a sale makes
stale only the pages that show the product sold.

purchase_info() notes what it reads while a recording is open; the caches open one around each
rendering and keep the snapshot with what they rendered.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import select

from products.models import Discount, Variant

#: Variant id -> stock and discount id -> units sold, read by the rendering now being recorded.
_reading: ContextVar[tuple[dict[int, int], dict[int, int]] | None] = ContextVar(
    "vm_volatile_reads", default=None
)


@dataclass(frozen=True)
class Snapshot:
    """The stock of each variant and the units sold of each capped discount a page showed."""

    stock: tuple[tuple[int, int], ...] = ()
    sold: tuple[tuple[int, int], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.stock or self.sold)

    def holds(self, connection) -> bool:
        """True when the database still has these numbers (at most two indexed reads)."""
        for pairs, key, value in (
            (self.stock, Variant.id, Variant.stock),
            (self.sold, Discount.id, Discount.quantity_sold),
        ):
            if pairs:
                wanted = dict(pairs)
                rows = connection.execute(select(key, value).where(key.in_(wanted))).all()
                if dict(rows) != wanted:
                    return False
        return True


#: A part that shows no stock or counters.
NOTHING = Snapshot()


def note_stock(variant_id: int, stock: int) -> None:
    """Record that the page being rendered shows this variant's stock."""
    reading = _reading.get()
    if reading is not None:
        reading[0][variant_id] = stock


def note_sold(discount_id: int, quantity_sold: int) -> None:
    """Record that the page being rendered depends on a capped discount's units sold."""
    reading = _reading.get()
    if reading is not None:
        reading[1][discount_id] = quantity_sold


def note_snapshot(snapshot: Snapshot) -> None:
    """A cached part served inside a larger rendering counts as read by it."""
    reading = _reading.get()
    if reading is not None:
        reading[0].update(snapshot.stock)
        reading[1].update(snapshot.sold)


@contextmanager
def recording() -> Iterator[list[Snapshot]]:
    """Record what the block renders; the list yielded holds its Snapshot afterwards.

    Recordings nest: what an inner one read counts for the outer one too.
    """
    reading: tuple[dict[int, int], dict[int, int]] = ({}, {})
    token = _reading.set(reading)
    result: list[Snapshot] = []
    try:
        yield result
    finally:
        _reading.reset(token)
        snapshot = Snapshot(
            stock=tuple(sorted(reading[0].items())), sold=tuple(sorted(reading[1].items()))
        )
        result.append(snapshot)
        note_snapshot(snapshot)
