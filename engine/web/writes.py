"""The web's writes through the group commit: one writer thread per process, answers after
the commit that holds them (see engine.storage.group)."""

from __future__ import annotations

from ..calendar import Calendar
from ..haocha.intake import Rating, RatingIn, RatingRejected
from ..schema import Policy
from ..storage import Store, StoredResponse
from ..storage.group import GroupCommitter
from ..storage.rating_group import RatingItem, rating_batches_kind, single_ratings_kind
from ..storage.submissions import SubmissionItem, submissions_kind

__all__ = ["Writes"]


class Writes:
    def __init__(self, store: Store, policy: Policy, calendar: Calendar, *, secret: bytes, max_batch: int = 512):
        self.committer = GroupCommitter(store.engine, max_batch=max_batch)
        self._submissions = submissions_kind(store)
        self._single = single_ratings_kind(policy, calendar, secret=secret)
        self._batches = rating_batches_kind(policy, calendar)

    def start(self) -> None:
        self.committer.start()

    def stop(self) -> None:
        self.committer.stop()

    async def submit(self, item: SubmissionItem) -> StoredResponse:
        return await self.committer.write(self._submissions, item)

    async def rate(self, data: RatingIn, probe: Rating) -> tuple[int, int | None]:
        """`probe`: the rating as accepted without today's counts; the writer adds them."""
        return await self.committer.write(self._single, RatingItem(data, probe))

    async def rate_batch(self, ratings: list[Rating]) -> list[tuple[int | None, int | None, str | None] | RatingRejected]:
        """For each rating: (rating id, case id, None), (None, None, why) for a duplicate, or
        the RatingRejected of a velocity limit."""
        return await self.committer.write(self._batches, ratings)
