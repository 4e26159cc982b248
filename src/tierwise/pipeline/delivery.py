"""Delivering the webhook outbox: exactly one deliverer at a time (issue 17 #1, R-INT-1).

Messages are queued in the ``outbox`` table in the transaction of the change they report
(:mod:`tierwise.store.webhooks`). Something has to send them: ``tierwise serve`` runs a
:class:`DeliveryLoop` thread in its main process (never in each worker), and deployments
without ``serve`` run ``tierwise webhooks deliver`` (once, e.g. from cron, or ``--watch``).
Whoever delivers must hold the ``webhook-delivery`` lease (:class:`tierwise.store.lease.
LeaseHolder`), renewed before every message, so two services, or a service and the command,
never send at the same time: a receiver gets each message once per delivery, in order per
webhook (so per customer), and a message that fails holds back that webhook's later ones.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine

from tierwise.settings import Settings
from tierwise.store.lease import LeaseHolder
from tierwise.store.webhooks import Deliverer, DeliveryReport

LEASE = "webhook-delivery"
log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass
class OutboxSender:
    """A lease and a deliverer: :meth:`deliver` sends what is due while holding the lease."""

    engine: Engine
    settings: Settings
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10.0))
    holder: LeaseHolder = field(init=False)
    deliverer: Deliverer = field(init=False)

    def __post_init__(self) -> None:
        poll = self.settings.webhook_poll_seconds
        self.holder = LeaseHolder(
            self.engine, LEASE, ttl=dt.timedelta(seconds=max(30.0, 10 * poll))
        )
        self.deliverer = Deliverer(
            self.engine,
            self.client,
            base_delay=dt.timedelta(seconds=self.settings.webhook_retry_seconds),
            before_send=lambda: self.holder.acquire(_utcnow()),
        )

    def deliver(self) -> DeliveryReport | None:
        """Send every due message; ``None`` when another process holds the lease."""
        if not self.holder.acquire(_utcnow()):
            return None
        total = DeliveryReport()
        while True:
            report = self.deliverer.deliver_due(_utcnow())
            total.delivered += report.delivered
            total.failed += report.failed
            total.dead += report.dead
            total.errors += report.errors
            if report.delivered == 0:  # nothing more is due (or every due webhook failed)
                return total

    def close(self) -> None:
        self.holder.release()
        self.client.close()


class DeliveryLoop:
    """``tierwise serve``'s deliverer: a thread that delivers every ``webhook_poll_seconds``."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.sender = OutboxSender(engine, settings)
        self.poll = settings.webhook_poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = self.sender.deliver()
                if report is not None and (report.delivered or report.failed):
                    log.info(
                        "webhooks: %d delivered, %d failed (%d dead)",
                        report.delivered,
                        report.failed,
                        report.dead,
                    )
            except Exception:  # the store is down for a moment: try again at the next poll
                log.exception("webhook delivery failed")
            self._stop.wait(self.poll)

    def start(self) -> DeliveryLoop:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.sender.close()
