"""Login throttling: after repeated failed sign-ins, 429 with ``Retry-After`` (issue 17 #7).

Failures are counted from the audit log itself (``auth.failed`` entries, written at once, not
buffered), so every worker process and every restart sees the same count, and the audit log
shows both the failures and the refusals (``auth.throttled``). Two limits apply, over a
sliding window: failures for one user name (``login_max_failures``) and failures from one
client address (``login_max_failures_per_address``, which stops one address from trying many
names). The API's ``POST /auth/token`` and the console's sign-in share :func:`sign_in`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, insert, select

from tierwise.api.access import Principal
from tierwise.api.repos.users import UserRepo
from tierwise.errors import AuthenticationError, RateLimitedError
from tierwise.store.schema import AuditEntry

FAILED = "auth.failed"
THROTTLED = "auth.throttled"
ANONYMOUS = "anonymous"


@dataclass
class LoginThrottle:
    """Counts recent failed sign-ins per user name and per address in the audit log."""

    engine: Engine
    max_per_user: int = 5
    max_per_address: int = 20
    window: timedelta = timedelta(minutes=15)

    def _audit(self, action: str, username: str, address: str, now: datetime) -> None:
        entry = {
            "at": now,
            "actor": f"addr:{address}"[:120],
            "role": ANONYMOUS,
            "action": action,
            "target": username[:200],
            "detail": {"address": address, "user": username},
        }
        with self.engine.begin() as conn:
            conn.execute(insert(AuditEntry), [entry])

    def _recent(self, column: str, value: str, since: datetime) -> tuple[int, datetime | None]:
        col = AuditEntry.target if column == "target" else AuditEntry.actor
        with self.engine.connect() as conn:
            row = conn.execute(
                select(func.count(), func.min(AuditEntry.at)).where(
                    AuditEntry.action == FAILED, AuditEntry.at > since, col == value
                )
            ).one()
        return int(row[0]), row[1]

    def check(self, username: str, address: str, now: datetime) -> None:
        """:class:`RateLimitedError` (and an ``auth.throttled`` entry) when over a limit."""
        since = now - self.window
        for column, value, limit, what in (
            ("target", username[:200], self.max_per_user, f"user {username!r}"),
            ("actor", f"addr:{address}"[:120], self.max_per_address, f"address {address}"),
        ):
            count, oldest = self._recent(column, value, since)
            if count < limit:
                continue
            wait = (oldest + self.window - now) if oldest is not None else self.window
            retry = max(1, int(wait.total_seconds()) + 1)
            self._audit(THROTTLED, username, address, now)
            raise RateLimitedError(
                f"too many failed sign-ins for {what}: {count} in the last "
                f"{int(self.window.total_seconds() // 60)} minutes",
                hint=f"wait {retry} seconds, or ask an admin to reset the password",
                retry_after=retry,
            )

    def sign_in(
        self, users: UserRepo, username: str, password: str, address: str, now: datetime
    ) -> Principal:
        """The principal of a correct name and password; failures are counted and audited."""
        self.check(username, address, now)
        try:
            return users.authenticate(username, password)
        except AuthenticationError:
            self._audit(FAILED, username, address, now)
            raise
