"""Personal survey answer links (R-OPS-8, issue 26 item 3): a signed, single-customer,
expiring token; expired, tampered and reused links refused; a wave sent through the campaign
module's outbox with each recipient's link, opt-outs and quiet hours respected."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from sqlalchemy import Engine, select

from tierwise.errors import ConfigError, ConflictError, PermissionDeniedError
from tierwise.ops.campaigns import service as campaigns
from tierwise.ops.campaigns.spec import parse_campaign_policy
from tierwise.ops.surveys import service
from tierwise.ops.surveys.links import LinkError, make_token, read_token
from tierwise.store.schema import OutboxMessage, SurveyAnswer, SurveyReject
from tierwise.store.webhooks import register_webhook

from .test_store import NOW, POLICY, store  # noqa: F401 (the fixture)

SECRET = "k" * 40
T = dt.datetime(2026, 3, 2, 3)  # 11:00 in Shanghai: outside the quiet hours
CAMPAIGNS = parse_campaign_policy(
    {
        "name": "t",
        "frequency_cap": {"messages": 2, "days": 7},
        "quiet_hours": {"start": "21:00", "end": "08:00", "timezone": "Asia/Shanghai"},
        "cost": {"sms": 0.05, "push": 0.0, "wechat": 0.01, "task": 0.0},
    }
)


def test_a_token_names_one_customer_in_one_wave_until_it_expires() -> None:
    tok = make_token(SECRET, 7, "C0000001", T + dt.timedelta(days=14))
    link = read_token(SECRET, tok, now=T)
    assert (link.wave_id, link.customer_id) == (7, "C0000001")
    assert link.expires_at == T + dt.timedelta(days=14)
    with pytest.raises(LinkError, match="expired") as err:
        read_token(SECRET, tok, now=T + dt.timedelta(days=14))
    assert err.value.expired


def test_tampered_foreign_and_malformed_tokens_are_refused() -> None:
    tok = make_token(SECRET, 7, "C0000001", T + dt.timedelta(days=1))
    v, body, sig = tok.split(".")
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    other = base64.urlsafe_b64encode(json.dumps({**data, "c": "C0000002"}).encode()).decode()
    longer = base64.urlsafe_b64encode(json.dumps({**data, "e": data["e"] + 10**6}).encode())
    bad = [
        f"{v}.{other.rstrip('=')}.{sig}",  # another customer, same signature
        f"{v}.{longer.decode().rstrip('=')}.{sig}",  # a later expiry
        f"{v}.{body}.{sig[:-2]}AA",  # a changed signature
        make_token("z" * 40, 7, "C0000001", T + dt.timedelta(days=1)),  # another secret
        "v1.abc", "v2." + tok[3:], "nonsense",
    ]  # fmt: skip
    for t in bad:
        with pytest.raises(LinkError, match="not valid"):
            read_token(SECRET, t, now=T)
    assert issubclass(LinkError, PermissionDeniedError)  # 403 through the API's error map


def test_no_link_without_a_long_enough_secret() -> None:
    for secret in ("", "short"):
        with pytest.raises(ConfigError, match="TIERWISE_SURVEY_LINK_SECRET"):
            make_token(secret, 1, "C1", T)


def _send(engine: Engine, wave_id: int, now: dt.datetime = T) -> service.SendResult:
    return service.send_links(
        engine, wave_id, POLICY, CAMPAIGNS, secret=SECRET, base_url="https://tw.example/",
        actor="t", now=now,
    )  # fmt: skip


def test_a_wave_is_sent_through_the_campaign_outbox_with_personal_links(
    store: Engine,  # noqa: F811
) -> None:
    w = service.create_wave(store, POLICY, sent_on=T.date(), actor="t", now=T)
    sent = [r["customer_id"] for r in service.recipients(store, w.wave_id)]
    with pytest.raises(ConflictError, match="no active webhook"):
        _send(store, w.wave_id)  # refused, nothing written
    with pytest.raises(ConflictError, match="TIERWISE_SURVEY_LINK_SECRET"):
        service.send_links(store, w.wave_id, POLICY, CAMPAIGNS, secret="", base_url="x",
                           actor="t", now=T)  # fmt: skip
    register_webhook(store, name="gw", url="http://gw/in", secret="s" * 32, now=NOW,
                     events=(campaigns.MESSAGE_EVENT,))  # fmt: skip
    campaigns.opt_out(store, sent[0], source="test", now=T)
    r = _send(store, w.wave_id)
    assert r.campaign == f"survey-wave-{w.wave_id}"
    assert r.counts == {"send": len(sent) - 1, "opted_out": 1}  # nobody held out
    with store.connect() as conn:
        payloads = list(conn.execute(select(OutboxMessage.payload)).scalars())
    assert len(payloads) == r.messages == len(sent) - 1
    by_customer = {p["customer_id"]: p for p in payloads}
    assert sent[0] not in by_customer
    p = by_customer[sent[1]]
    assert p["channel"] == "wechat" and p["link"] in p["text"]
    assert p["link"].startswith("https://tw.example/console/answer/v1.")
    token = p["link"].rsplit("/", 1)[1]
    assert read_token(SECRET, token, now=T).customer_id == sent[1]
    with pytest.raises(ConflictError, match="sent already"):
        _send(store, w.wave_id)
    # in the quiet hours the messages wait for their end (the campaign module's rule)
    w2 = service.create_wave(store, POLICY, sent_on=T.date(), actor="t", now=T)
    late = dt.datetime(2026, 3, 2, 14)  # 22:00 in Shanghai
    if service.recipients(store, w2.wave_id):
        _send(store, w2.wave_id, now=late)
        with store.connect() as conn:
            nb = conn.execute(
                select(OutboxMessage.next_attempt_at).where(OutboxMessage.created_at == late)
            ).scalars()
            assert all(t >= dt.datetime(2026, 3, 3, 0) for t in nb)  # 08:00 in Shanghai


def test_an_answer_by_link_goes_through_the_same_checks_once(store: Engine) -> None:  # noqa: F811
    w = service.create_wave(store, POLICY, sent_on=T.date(), actor="t", now=T)
    cid = service.recipients(store, w.wave_id)[0]["customer_id"]
    tok = make_token(SECRET, w.wave_id, cid, T + dt.timedelta(days=14))
    info = service.open_link(store, tok, secret=SECRET, now=T)
    assert info["customer_id"] == cid and not info["answered"]
    kw = {"secret": SECRET, "comment": "送货快", "now": T}
    bad = service.answer_by_link(store, tok, POLICY, score="11", reasons=[], **kw)
    assert bad.loaded == 0 and bad.rejected[0]["reason"] == "not a whole number 0-10"
    odd = service.answer_by_link(store, tok, POLICY, score="9", reasons=["magic"], **kw)
    assert odd.loaded == 0 and "unknown reason" in odd.rejected[0]["reason"]
    ok = service.answer_by_link(
        store, tok, POLICY, score="3", reasons=["delivery", "price", "delivery"], **kw
    )
    assert ok.loaded == 1 and len(ok.followups) == 1  # a detractor: the manager's task
    again = service.answer_by_link(store, tok, POLICY, score="10", reasons=[], **kw)
    assert again.loaded == 0 and again.rejected[0]["reason"] == "a second answer from this customer"
    assert service.open_link(store, tok, secret=SECRET, now=T)["answered"]
    with store.connect() as conn:
        row = conn.execute(select(SurveyAnswer).where(SurveyAnswer.wave_id == w.wave_id)).one()
        kept = conn.execute(select(SurveyReject.source)).scalars().all()
    assert (row.score, row.reasons, row.source, row.comment) == (
        3, ["delivery", "price"], "link", "送货快")  # fmt: skip
    assert kept == ["link", "link", "link"]
    with pytest.raises(LinkError, match="expired"):
        service.answer_by_link(
            store, tok, POLICY, score="9", reasons=[], secret=SECRET, comment="",
            now=T + dt.timedelta(days=15),
        )  # fmt: skip
    stranger = make_token(SECRET, w.wave_id, "nobody", T + dt.timedelta(days=1))
    with pytest.raises(LinkError):
        service.open_link(store, stranger, secret=SECRET, now=T)


def test_link_is_a_variable_of_survey_sends_only() -> None:
    from tierwise.errors import PolicyError
    from tierwise.ops.campaigns.spec import parse_campaign

    data = {
        "name": "x", "audience": "a", "schedule": {"kind": "once", "start": "2030-01-01"},
        "channels": ["sms"], "content": {"variants": {"default": "打分 {link}"}}, "budget": 10,
    }  # fmt: skip
    with pytest.raises(PolicyError, match="link"):
        parse_campaign(data, today=dt.date(2029, 1, 1))
