"""Login throttling: after repeated failed sign-ins, 429 with ``Retry-After`` (issue 17 #7).

Failures are counted from the audit log itself (``auth.failed`` entries, written at once, not
buffered), so every worker process and every restart sees the same count, and the audit log
shows both the failures and the refusals (``auth.throttled``). Two limits apply, over a
sliding window: failures for one user name (``login_max_failures``) and failures from one
client address (``login_max_failures_per_address``, which stops one address from trying many
names). The API's ``POST /auth/token`` and the console's sign-in share :func:`sign_in`.

A successful sign-in is audited too (``auth.login``) and resets the user's count: only the
failures after the user's last successful sign-in count toward its limit, so earlier typos
never lock out a user who has since signed in. The per-address count is not reset by a
success, or an attacker could clear it by signing in to an account of their own between
guesses at others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select

from tierwise.api.access import Principal
from tierwise.api.repos.users import UserRepo
from tierwise.errors import AuthenticationError, RateLimitedError
from tierwise.store.schema import AuditEntry

FAILED = "auth.failed"
LOGIN = "auth.login"
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
        """Failures in the window for one user name (``target``, counted only after its last
        successful sign-in) or one address (``actor``)."""
        col = AuditEntry.target if column == "target" else AuditEntry.actor
        where = [AuditEntry.action == FAILED, AuditEntry.at > since, col == value]
        if column == "target":  # by entry id, not time: a success and a failure may share one
            where.append(AuditEntry.id > self._last_login_id(value))
        with self.engine.connect() as conn:
            row = conn.execute(select(func.count(), func.min(AuditEntry.at)).where(*where)).one()
        return int(row[0]), row[1]

    def _last_login_id(self, username: str) -> int:
        with self.engine.connect() as conn:
            last = conn.execute(
                select(func.max(AuditEntry.id)).where(
                    AuditEntry.action == LOGIN, AuditEntry.target == username
                )
            ).scalar()
        return int(last or 0)

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
            principal = users.authenticate(username, password)
        except AuthenticationError:
            self._audit(FAILED, username, address, now)
            raise
        entry = {
            "at": now,
            "actor": principal.subject[:120],
            "role": principal.role.value,
            "action": LOGIN,
            "target": username[:200],
            "detail": {"address": address},
        }
        with self.engine.begin() as conn:
            conn.execute(insert(AuditEntry), [entry])
        return principal

    def sign_in_stats(self) -> dict[str, dict[str, Any]]:
        """Per user name: ``last_login_at`` (its latest successful sign-in) and
        ``failed_logins`` (failed sign-ins since then, whatever their age), for the admin
        pages: grouped queries over the audit log's sign-in entries."""
        last = (
            select(
                AuditEntry.target.label("name"),
                func.max(AuditEntry.id).label("last_id"),
                func.max(AuditEntry.at).label("last_at"),
            )
            .where(AuditEntry.action == LOGIN)
            .group_by(AuditEntry.target)
            .subquery()
        )
        failed = (
            select(AuditEntry.target, func.count())
            .select_from(AuditEntry)
            .outerjoin(last, last.c.name == AuditEntry.target)
            .where(AuditEntry.action == FAILED, AuditEntry.id > func.coalesce(last.c.last_id, 0))
            .group_by(AuditEntry.target)
        )
        with self.engine.connect() as conn:
            out: dict[str, dict[str, Any]] = {
                str(r.name): {"last_login_at": r.last_at, "failed_logins": 0}
                for r in conn.execute(select(last.c.name, last.c.last_at))
            }
            for name, count in conn.execute(failed):
                row = out.setdefault(str(name), {"last_login_at": None, "failed_logins": 0})
                row["failed_logins"] = int(count)
        return out
