"""The outbox delivery worker: claim due deliveries, send each, record how it went.

Nothing lost, nothing delivered twice. ``claim_due`` leases a delivery to one worker; if that
worker dies mid-send, the lease runs out and another worker claims it again, and if a worker
outlives its lease, the store refuses its ``mark_*`` call (False) and the worker says no more.
A file sent again after a lost lease has one effect because every receiver is idempotent (same
name and bytes: the original receipt). Several workers, in one process or many, may share a store.

Decisions are made by error type (``gateway.transport.base``)::

    sent                         -> mark_delivered (receipt as JSON)   delivery.delivered
    TransientError, or anything  -> mark_retry after tenacity's exponential backoff with jitter,
      unexpected                    at most max_wait
    PermanentError, no partner,  -> mark_dead with the reason          delivery.dead_lettered
      or the last attempt failed

Every try emits ``delivery.attempt``. Try N is the N-th claim of the delivery, so a try cut short
by a dead worker counts too: a file that kills its worker each time is dead-lettered after
``max_attempts`` claims instead of being retried forever.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from tenacity import RetryCallState, Retrying, stop_after_attempt, wait_exponential_jitter

from gateway import log
from gateway.routing.partners import Partner, Registry
from gateway.store import BlobStore, Delivery, Store
from gateway.store.sqlite import utc_now
from gateway.transport.base import Receipt, Transport, TransportError

Outcome = Literal["ok", "retry", "failed"]


class TransportSource(Protocol):
    """Gives the transport that reaches a partner (``TransportFactory`` is the real one)."""

    def for_partner(self, partner: Partner) -> Transport:
        """The partner's transport; a TransportError if none can be built."""
        ...


@dataclass(frozen=True, slots=True)
class _Try:
    """What one try came to: its outcome, the error text, and the receipt of a success."""

    outcome: Outcome
    error: str = ""
    receipt: Receipt | None = None


class DeliveryWorker:
    """Delivers the outbox of ``store``: blobs from ``blobs``, partners from ``registry``.

    ``worker_id`` must be unique among workers sharing the store (it owns the leases); ``node``
    is this gateway's society code for the log. Each claim takes up to ``batch`` deliveries for
    ``lease_seconds``; a failed try waits ``initial_wait * 2**(n-1)`` seconds plus a random jitter
    of up to ``jitter`` (default ``initial_wait``), never more than ``max_wait``; the
    ``max_attempts``-th failed try dead-letters the delivery. ``clock`` gives the aware UTC now.
    ``wake_event``, if given, is the event ``wake`` sets: whoever enqueues may set it directly.
    """

    def __init__(
        self,
        store: Store,
        blobs: BlobStore,
        registry: Registry,
        factory: TransportSource,
        *,
        worker_id: str,
        node: str,
        lease_seconds: float = 60.0,
        max_attempts: int = 8,
        initial_wait: float = 1.0,
        max_wait: float = 300.0,
        jitter: float | None = None,
        batch: int = 10,
        clock: Callable[[], datetime] = utc_now,
        wake_event: asyncio.Event | None = None,
    ) -> None:
        if not worker_id:
            raise ValueError("a delivery worker needs a worker_id")
        if lease_seconds <= 0:
            raise ValueError(f"lease_seconds must be positive, not {lease_seconds}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        if not 0 < initial_wait <= max_wait:
            raise ValueError(f"need 0 < initial_wait <= max_wait, not {initial_wait}, {max_wait}")
        if jitter is not None and jitter < 0:
            raise ValueError(f"jitter must not be negative, not {jitter}")
        if batch < 1:
            raise ValueError(f"batch must be at least 1, not {batch}")
        self.worker_id = worker_id
        self.node = node
        self.max_attempts = max_attempts
        self._store = store
        self._blobs = blobs
        self._registry = registry
        self._factory = factory
        self._lease_seconds = lease_seconds
        self._batch = batch
        self._clock = clock
        self._wait = _exponential_jitter(
            initial_wait, max_wait, initial_wait if jitter is None else jitter
        )
        self._stop = stop_after_attempt(max_attempts)
        # RetryCallState needs the Retrying that owns it; this one only carries the policy.
        self._policy = Retrying(wait=self._wait, stop=self._stop)
        # Shared with whoever enqueues (the pipeline sets it), or this worker's own.
        self._wake = wake_event if wake_event is not None else asyncio.Event()

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed try ``attempt`` (from 1): exponential, jittered, capped."""
        return float(self._wait(self._retry_state(attempt)))

    def wake(self) -> None:
        """Make a running ``run`` look for due deliveries now rather than at its next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, *, poll_interval: float = 0.5) -> None:
        """Deliver until ``stop`` is set, looking again every ``poll_interval`` s or on ``wake``."""
        while not stop.is_set():
            self._wake.clear()  # before claiming: a wake during the claim is not lost
            try:
                handled = await self.run_once()
            except Exception as err:  # noqa: BLE001 - the loop outlives a store outage; logged
                log.emit(
                    "delivery.worker_error",
                    node=self.node,
                    worker=self.worker_id,
                    error=f"claiming due deliveries failed: {_describe(err)}",
                )
                handled = 0
            if not handled:
                await self._idle(stop, poll_interval)

    async def run_once(self) -> int:
        """Claim the due deliveries, try each once, record the results; how many were claimed.

        Deliveries to different recipients are sent concurrently, those to one recipient in turn
        (an SFTP server may cap its connections per user). A failing claim raises its StoreError;
        ``run`` logs it and carries on.
        """
        claimed = await asyncio.to_thread(
            self._store.claim_due, self._clock(), self._lease_seconds, self.worker_id, self._batch
        )
        by_recipient: dict[str, list[Delivery]] = {}
        for delivery in claimed:
            by_recipient.setdefault(delivery.recipient, []).append(delivery)
        await asyncio.gather(*(self._deliver_in_turn(group) for group in by_recipient.values()))
        return len(claimed)

    async def _deliver_in_turn(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            await self._deliver(delivery)

    async def _deliver(self, delivery: Delivery) -> None:
        """One try at one claimed delivery; never raises (but lets cancellation through)."""
        attempt = max(delivery.claims, delivery.attempts + 1)
        partner = self._registry.partner_for(delivery.recipient)
        try:
            if attempt > self.max_attempts:
                # Earlier claims ended with their worker gone; sending again could kill this one.
                lost = attempt - 1 - delivery.attempts
                reason = (
                    f"gave up after {attempt - 1} tries; {lost} ended with their worker lost "
                    f"mid-delivery (last error: {delivery.last_error or 'none'})"
                )
                await self._dead(delivery, attempt - 1, reason)
                return
            started = time.monotonic()
            result = await self._try(delivery, partner)
            if result.outcome == "retry" and self._stop(self._retry_state(attempt)):
                result = _Try(
                    "failed", f"gave up after {attempt} attempts; last error: {result.error}"
                )
            log.emit(
                "delivery.attempt",
                node=self.node,
                delivery_id=delivery.id,
                recipient=delivery.recipient,
                attempt=attempt,
                transport=partner.transport if partner is not None else delivery.transport,
                outcome=result.outcome,
                error=result.error,
                duration_ms=log.monotonic_ms(started),
            )
            await self._record(delivery, attempt, result)
        except Exception as err:  # noqa: BLE001 - one failed write must not stop the others
            # The delivery stays in flight; when its lease runs out it is claimed and tried again.
            log.emit(
                "delivery.worker_error",
                node=self.node,
                worker=self.worker_id,
                error=f"recording delivery {delivery.id} failed: {_describe(err)}",
            )

    async def _try(self, delivery: Delivery, partner: Partner | None) -> _Try:
        if partner is None:
            return _Try("failed", f"no partner in the registry takes society {delivery.recipient}")
        try:
            transport = self._factory.for_partner(partner)
            source = await asyncio.to_thread(self._blobs.local_copy, delivery.sha256)
            try:
                receipt = await transport.send(delivery.file_name, source.path)
            finally:
                source.release()
        except TransportError as err:
            return _Try("retry" if err.retryable else "failed", _describe(err))
        except Exception as err:  # noqa: BLE001 - a surprise is retried, bounded by max_attempts
            return _Try("retry", f"unexpected {_describe(err)}")
        return _Try("ok", receipt=receipt)

    async def _record(self, delivery: Delivery, attempt: int, result: _Try) -> None:
        """Store the try's result; the follow-up event only if this worker still held the lease."""
        now = self._clock()
        if result.outcome == "retry":
            next_at = now + timedelta(seconds=self.backoff(attempt))
            await asyncio.to_thread(
                self._store.mark_retry,
                delivery.id,
                self.worker_id,
                result.error,
                next_at,
                now=now,
            )
        elif result.outcome == "failed":
            await self._dead(delivery, attempt, result.error)
        elif result.receipt is not None:
            receipt = json.dumps(asdict(result.receipt), sort_keys=True)
            delivered = await asyncio.to_thread(
                self._store.mark_delivered, delivery.id, self.worker_id, receipt, now=now
            )
            if delivered:
                log.emit(
                    "delivery.delivered",
                    node=self.node,
                    delivery_id=delivery.id,
                    recipient=delivery.recipient,
                    attempts=attempt,
                    duration_ms=max(0, round((now - delivery.created_at).total_seconds() * 1000)),
                )

    async def _dead(self, delivery: Delivery, attempts: int, reason: str) -> None:
        now = self._clock()
        dead = await asyncio.to_thread(
            self._store.mark_dead, delivery.id, self.worker_id, reason, now=now
        )
        if dead:
            log.emit(
                "delivery.dead_lettered",
                node=self.node,
                delivery_id=delivery.id,
                recipient=delivery.recipient,
                attempts=attempts,
                reason=reason,
            )

    def _retry_state(self, attempt: int) -> RetryCallState:
        state = RetryCallState(self._policy, None, (), {})
        state.attempt_number = attempt
        return state

    async def _idle(self, stop: asyncio.Event, seconds: float) -> None:
        """Sleep up to ``seconds``, waking early on ``stop`` or ``wake``."""
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)


def _exponential_jitter(initial: float, maximum: float, jitter: float) -> wait_exponential_jitter:
    """The exponential-with-jitter wait of tenacity, whichever name it gives the first wait.

    Newer tenacity calls it ``multiplier`` and warns on ``initial``; older ones know ``initial``.
    """
    if "multiplier" in inspect.signature(wait_exponential_jitter).parameters:
        return wait_exponential_jitter(multiplier=initial, max=maximum, jitter=jitter)
    return wait_exponential_jitter(initial=initial, max=maximum, jitter=jitter)


def _describe(err: Exception) -> str:
    """An error as ``code: message`` for a transport error, ``Type: message`` otherwise."""
    if isinstance(err, TransportError):
        return f"{err.code}: {err}"
    return f"{type(err).__name__}: {err}"
