"""User-defined tags and saved audiences in the store: versions, checks, refusals (issue 20)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from tierwise.errors import ConflictError, UsageError
from tierwise.store.schema import OutboxMessage
from tierwise.store.webhooks import register_webhook
from tierwise.tags.audience import Frame
from tierwise.tags.service import (
    AudienceSpec,
    audience_versions,
    custom_tags,
    delete_audience,
    delete_custom_tag,
    get_audience,
    push_members,
    save_audience,
    save_custom_tag,
)
from tierwise.tags.snapshot import Snapshot

NOW = dt.datetime(2025, 7, 1, 9)


def _tag(engine: Engine, code: str, rule: str) -> None:
    save_custom_tag(engine, code, rule, name_zh=code, name_en=code, author="user:a", now=NOW)


def test_user_tags_are_versioned(engine: Engine) -> None:
    _tag(engine, "hotpot_big", "cat_hotpot_heavy and spend_365d > 100000")
    _tag(engine, "hotpot_big", "cat_hotpot_heavy and spend_365d > 50000")
    (t,) = custom_tags(engine)
    assert t.version == 2 and "50000" in t.definition and t.group == "custom"


@pytest.mark.parametrize(
    ("code", "rule", "error", "message"),
    [
        ("Bad-Code", "biz_chain", UsageError, "not valid"),
        ("recency", "biz_chain", ConflictError, "built-in"),
        ("spend_365d", "biz_chain", ConflictError, "built-in"),
        ("x_tag", "biz_chian", UsageError, "unknown tag or name 'biz_chian' at column 1"),
        ("x_tag", "spend_365d > 'a'", UsageError, "cannot compare"),
    ],
)
def test_bad_user_tags_are_refused(
    engine: Engine, code: str, rule: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        _tag(engine, code, rule)
    assert custom_tags(engine) == []


def test_a_cycle_between_user_tags_is_refused(engine: Engine) -> None:
    _tag(engine, "ta", "biz_chain")
    _tag(engine, "tb", "ta and biz_chain")
    with pytest.raises(UsageError, match="cycle"):
        _tag(engine, "ta", "tb")


def test_deleting_a_tag_in_use_is_refused_with_its_users(
    engine: Engine, snapshot: Snapshot
) -> None:
    _tag(engine, "hotpot_big", "cat_hotpot_heavy")
    _tag(engine, "hotpot_big2", "hotpot_big and biz_chain")
    f = Frame(snapshot, None)
    f.custom = {}
    types = f.types()
    f.types = lambda: {**types, "hotpot_big": "bool"}  # type: ignore[method-assign]
    save_audience(engine, AudienceSpec("hp", "hotpot_big"), f, author="user:a", now=NOW)
    with pytest.raises(ConflictError, match="in use by audience:hp, tag:hotpot_big2") as err:
        delete_custom_tag(engine, "hotpot_big", NOW)
    assert err.value.fields["users"] == ["audience:hp", "tag:hotpot_big2"]
    delete_audience(engine, "hp", NOW)
    delete_custom_tag(engine, "hotpot_big2", NOW)
    delete_custom_tag(engine, "hotpot_big", NOW)
    assert custom_tags(engine) == []


def test_audiences_are_versioned_and_segments_are_audiences(
    engine: Engine, snapshot: Snapshot
) -> None:
    f = Frame(snapshot, None)
    spec = AudienceSpec("strategic", "biz_chain", "segment", "战略客户", "Strategic")
    save_audience(engine, spec, f, author="user:a", now=NOW)
    save_audience(engine, AudienceSpec("strategic", "biz_chain and cat_hotpot_heavy", "segment"),
                  f, author="user:b", now=NOW)  # fmt: skip
    assert get_audience(engine, "strategic")["version"] == 2
    assert get_audience(engine, "strategic", 1)["expression"] == "biz_chain"
    assert [v["version"] for v in audience_versions(engine, "strategic")] == [2, 1]
    with pytest.raises(UsageError, match="unknown tag or name 'nope'"):
        save_audience(engine, AudienceSpec("bad", "nope"), f, author="user:a", now=NOW)


def test_push_queues_members_for_subscribed_webhooks(engine: Engine, snapshot: Snapshot) -> None:
    f = Frame(snapshot, None)
    aud = save_audience(engine, AudienceSpec("chain", "biz_chain"), f, author="user:a", now=NOW)
    hook = {"url": "http://127.0.0.1:9/hook", "secret": "s" * 32, "now": NOW}
    register_webhook(engine, name="crm", events=("audience.members",), **hook)  # type: ignore[arg-type]
    register_webhook(engine, name="erp", events=("tier.changed",), **hook)  # type: ignore[arg-type]
    assert push_members(engine, aud, f, snapshot.as_of, ["c1", "c2"], actor="user:a", now=NOW) == 1
    assert push_members(engine, aud, f, snapshot.as_of, [], actor="user:a", now=NOW) == 1
    with engine.connect() as conn:
        msgs = [m.payload for m in conn.execute(select(OutboxMessage)).all()]
    assert msgs[0]["customer_ids"] == ["c1", "c2"] and msgs[0]["audience"] == "chain"
    assert msgs[1]["empty"] is True and msgs[1]["customer_ids"] == []
