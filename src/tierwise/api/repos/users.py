"""Users (passwords) and API keys (hashed), and resolving them to a :class:`Principal`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from tierwise.api.access import Principal, Role
from tierwise.api.auth import hash_api_key, hash_password, new_api_key, verify_password
from tierwise.errors import AuthenticationError, ConflictError, NotFoundError, UsageError
from tierwise.store.schema import ApiKey, User

_DUMMY = hash_password("tierwise-no-such-user")
#: how stale an API key's ``last_used_at`` may be before a use writes it again
KEY_USE_RESOLUTION = timedelta(minutes=1)


def _check_binding(role: Role, manager_id: str | None, customer_id: str | None) -> None:
    if role is Role.SALES and not manager_id:
        raise UsageError(
            "a sales user needs the account-manager id they are (manager_id)",
            hint="pass --manager AM001 (the value of customers.account_manager)",
            field="manager_id",
        )
    if role is Role.CUSTOMER and not customer_id:
        raise UsageError(
            "a customer principal needs the customer_id it is bound to",
            hint="pass --customer C0000001",
            field="customer_id",
        )


class UserRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_user(
        self,
        name: str,
        role: Role,
        password: str,
        *,
        now: datetime,
        manager_id: str | None = None,
        customer_id: str | None = None,
    ) -> dict[str, Any]:
        """Create a user; :class:`ConflictError` if the name is taken."""
        _check_binding(role, manager_id, customer_id)
        try:
            with self.engine.begin() as conn:
                uid = conn.execute(
                    insert(User).values(
                        name=name,
                        role=role.value,
                        password_hash=hash_password(password),
                        manager_id=manager_id,
                        customer_id=customer_id,
                        active=True,
                        created_at=now,
                    )
                ).inserted_primary_key
        except IntegrityError:
            raise ConflictError(f"user {name!r} exists", hint="choose another name") from None
        assert uid is not None
        return {
            "id": int(uid[0]),
            "name": name,
            "role": role.value,
            "manager_id": manager_id,
            "customer_id": customer_id,
            "active": True,
            "created_at": now,
        }

    def list_users(self, user_id: int | None = None) -> list[dict[str, Any]]:
        stmt = select(
            User.id,
            User.name,
            User.role,
            User.manager_id,
            User.customer_id,
            User.active,
            User.created_at,
        ).order_by(User.id)
        if user_id is not None:
            stmt = stmt.where(User.id == user_id)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).mappings()
            return [dict(r) for r in rows]

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password; :class:`NotFoundError` for an unknown name."""
        with self.engine.begin() as conn:
            n = conn.execute(
                update(User).where(User.name == name).values(password_hash=hash_password(password))
            ).rowcount
        if not n:
            raise NotFoundError(f"no user {name!r}", user=name)

    def get_user(self, user_id: int) -> dict[str, Any]:
        """One user's public record; :class:`NotFoundError` for an unknown id."""
        for u in self.list_users(user_id):
            return u
        raise NotFoundError(f"no user {user_id}", user_id=user_id)

    def set_active(self, name: str, active: bool) -> None:
        """Disable (or enable again) a user: a disabled user's tokens stop working at once."""
        with self.engine.begin() as conn:
            n = conn.execute(update(User).where(User.name == name).values(active=active)).rowcount
        if not n:
            raise NotFoundError(f"no user {name!r}", user=name)

    def delete_user(self, name: str) -> None:
        """Delete a user (the audit log keeps its name); its tokens stop working at once."""
        with self.engine.begin() as conn:
            n = conn.execute(delete(User).where(User.name == name)).rowcount
        if not n:
            raise NotFoundError(f"no user {name!r}", user=name)

    def current(self, principal: Principal) -> Principal:
        """The principal a token names, as the users table says it is *now*.

        A token is signed for its lifetime, but the user behind it may have been disabled,
        deleted or given another role since: every request re-reads the row (one indexed
        lookup), so a disabled user's token stops at once (issue 17 #3, #8).
        """
        kind, _, name = principal.subject.partition(":")
        if kind != "user" or not name:
            raise AuthenticationError("the access token names no user", hint="sign in again")
        with self.engine.connect() as conn:
            user = conn.execute(
                select(User.role, User.active, User.manager_id, User.customer_id).where(
                    User.name == name
                )
            ).first()
        if user is None or not user.active:
            raise AuthenticationError(
                "the access token's user no longer exists or is disabled",
                hint="sign in again, or ask an admin",
            )
        return Principal(principal.subject, Role(user.role), user.manager_id, user.customer_id)

    def authenticate(self, name: str, password: str) -> Principal:
        """The principal of a user whose password matches; 401 otherwise (same message)."""
        with self.engine.connect() as conn:
            user = conn.execute(
                select(
                    User.name,
                    User.role,
                    User.password_hash,
                    User.active,
                    User.manager_id,
                    User.customer_id,
                ).where(User.name == name)
            ).first()
        # an unknown name costs one hash too, so timing does not tell which names exist
        ok = verify_password(user.password_hash if user else _DUMMY, password)
        if user is None or not user.active or not ok:
            raise AuthenticationError("wrong user name or password", hint="check both")
        return Principal(f"user:{user.name}", Role(user.role), user.manager_id, user.customer_id)

    def create_key(
        self,
        name: str,
        role: Role,
        *,
        now: datetime,
        manager_id: str | None = None,
        customer_id: str | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """A new API key (returned once, in clear) and its public record."""
        _check_binding(role, manager_id, customer_id)
        key = new_api_key()
        with self.engine.begin() as conn:
            kid = conn.execute(
                insert(ApiKey).values(
                    name=name,
                    prefix=key[:10],
                    key_hash=hash_api_key(key),
                    role=role.value,
                    manager_id=manager_id,
                    customer_id=customer_id,
                    created_at=now,
                )
            ).inserted_primary_key
        assert kid is not None
        return key, {
            "id": int(kid[0]),
            "name": name,
            "prefix": key[:10],
            "role": role.value,
            "manager_id": manager_id,
            "customer_id": customer_id,
            "created_at": now,
            "revoked_at": None,
            "last_used_at": None,
        }

    def list_keys(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    ApiKey.id,
                    ApiKey.name,
                    ApiKey.prefix,
                    ApiKey.role,
                    ApiKey.manager_id,
                    ApiKey.customer_id,
                    ApiKey.created_at,
                    ApiKey.revoked_at,
                    ApiKey.last_used_at,
                ).order_by(ApiKey.id)
            ).mappings()
            return [dict(r) for r in rows]

    def revoke_key(self, key_id: int, now: datetime) -> None:
        with self.engine.begin() as conn:
            n = conn.execute(
                update(ApiKey)
                .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
                .values(revoked_at=now)
            ).rowcount
        if not n:
            raise NotFoundError(f"no active API key {key_id}", key_id=key_id)

    def rotate_key(self, key_id: int, now: datetime) -> tuple[str, dict[str, Any]]:
        """Revoke an active key and issue its replacement (same name, role and binding)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ApiKey.name, ApiKey.role, ApiKey.manager_id, ApiKey.customer_id).where(
                    ApiKey.id == key_id, ApiKey.revoked_at.is_(None)
                )
            ).first()
        if row is None:
            raise NotFoundError(f"no active API key {key_id}", key_id=key_id)
        self.revoke_key(key_id, now)
        return self.create_key(
            row.name,
            Role(row.role),
            now=now,
            manager_id=row.manager_id,
            customer_id=row.customer_id,
        )

    def principal_for_key(self, key: str, now: datetime | None = None) -> Principal:
        """The principal of an API key; 401 if unknown or revoked.

        With ``now``, the key's ``last_used_at`` is brought up to date when it is older than
        :data:`KEY_USE_RESOLUTION`: one write per key a minute at most, not one per request
        (on SQLite every write takes the one writer's lock).
        """
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    ApiKey.id,
                    ApiKey.name,
                    ApiKey.role,
                    ApiKey.manager_id,
                    ApiKey.customer_id,
                    ApiKey.last_used_at,
                ).where(ApiKey.key_hash == hash_api_key(key), ApiKey.revoked_at.is_(None))
            ).first()
        if row is None:
            raise AuthenticationError("unknown or revoked API key", hint="ask an admin for a key")
        stamp = None if now is None else now.replace(tzinfo=None)
        if stamp is not None and (
            row.last_used_at is None or stamp - row.last_used_at >= KEY_USE_RESOLUTION
        ):
            with self.engine.begin() as conn:
                conn.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=stamp))
        return Principal(f"key:{row.name}", Role(row.role), row.manager_id, row.customer_id)
