"""Access control as data plus one pure decision (R-INT-5, CONVENTIONS 9).

:data:`ROLE_ACTIONS` says which role may do which :class:`Action`; :func:`decide` adds the
row scopes (an account manager only sees the customers whose ``account_manager`` is theirs, a
customer only itself) and returns a :class:`Decision` with the reason. Routes never test
roles themselves: each route names one action and :mod:`tierwise.api.deps` enforces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    MARKETING = "marketing"
    RISK = "risk"
    SALES = "sales"
    SERVICE = "service"
    CUSTOMER = "customer"


class Action(StrEnum):
    CUSTOMER_LIST = "customer.list"
    CUSTOMER_READ = "customer.read"
    PERSONAL_READ = "personal.read"  # see phone, contact name and street address unmasked
    SELF_READ = "self.read"  # the customer-facing view of one's own tier
    RUN_LIST = "run.list"
    RUN_START = "run.start"
    RUN_RELEASE = "run.release"  # publish a run held for its spot check (policy `review:`)
    POLICY_LIST = "policy.list"
    POLICY_VALIDATE = "policy.validate"  # validate and dry-run
    POLICY_PUBLISH = "policy.publish"
    EVENT_INGEST = "event.ingest"
    OVERRIDE_LIST = "override.list"
    OVERRIDE_WRITE = "override.write"  # create and revoke
    WEBHOOK_MANAGE = "webhook.manage"
    ANALYTICS_READ = "analytics.read"
    MODEL_LIST = "model.list"  # the registered models: versions, training windows, metrics
    EXPORT = "export"
    AUDIT_READ = "audit.read"
    USER_MANAGE = "user.manage"  # users and API keys
    TASK_LIST = "task.list"  # retention call-back tasks (R-OPS-5): list and read
    TASK_UPDATE = "task.update"  # change a task's status, with a note
    TAG_READ = "tag.read"  # the tag catalogue, snapshots and tag health (issue 20)
    TAG_WRITE = "tag.write"  # user-defined tags: preview, save, delete
    AUDIENCE_READ = "audience.read"  # audiences: list, preview counts, members (ids + tags)
    AUDIENCE_WRITE = "audience.write"  # save and delete audiences and business segments
    AUDIENCE_PUSH = "audience.push"  # send an audience's members to the CRM webhooks
    RECOMMEND_READ = "recommend.read"  # a customer's product recommendations (R-OPS-7)
    EXPERIMENT_READ = "experiment.read"  # experiments, pilots, spot checks and their results
    EXPERIMENT_MANAGE = "experiment.manage"  # design, start, stop; start, promote, roll back pilots
    SPOTCHECK_REVIEW = "spotcheck.review"  # open spot checks of a run, agree / disagree
    CREDIT_READ = "credit.read"  # terms, risk, receivables, holds, the finance dashboard
    CREDIT_CHECK = "credit.check"  # the order check against available credit (ERP, finance)
    CREDIT_PAYMENT = "credit.payment"  # record a payment received (releases holds)
    CREDIT_OVERRIDE = "credit.override"  # let a held order pass; approve another's override
    BENEFIT_READ = "benefit.read"  # a customer's benefit grants and their use (R-OPS-2)
    BENEFIT_REDEEM = "benefit.redeem"  # record the use of a benefit (a free delivery, a coupon)
    PRICE_READ = "price.read"  # tier price rules and quotes (R-OPS-3)
    PRICE_WRITE = "price.write"  # save and delete price rules
    REBATE_READ = "rebate.read"  # the rebate ledger and statements (R-OPS-3), row-scoped
    REBATE_MANAGE = "rebate.manage"  # accrue a period, pay (payout / credit-note batches)
    VISIT_READ = "visit.read"  # sales visit plans and adherence (R-OPS-8)
    VISIT_PLAN = "visit.plan"  # plan and route every manager's day
    VISIT_CHECKIN = "visit.checkin"  # check in and out of a visit (account managers: their own)
    SURVEY_READ = "survey.read"  # NPS survey waves, NPS per tier, answers (comments masked)
    SURVEY_MANAGE = "survey.manage"  # sample a survey wave, load its answers
    SUPPLY_READ = "supply.read"  # demand forecasts by tier, stock levels, proposed orders (R-OPS-9)
    CAMPAIGN_READ = "campaign.read"  # campaigns, content previews, their report vs holdout
    CAMPAIGN_MANAGE = "campaign.manage"  # define, pause / end, send a wave
    CAMPAIGN_CALLBACK = "campaign.callback"  # the provider's receipts and opt-outs
    COUPON_REDEEM = "coupon.redeem"  # check and use a campaign coupon at order time
    SERVICE_QUEUE = "service.queue"  # the ticket queue by service level, breaches per tier
    SERVICE_TICKET = "service.ticket"  # the CRM posts new tickets and their status changes
    SERVICE_LEVEL = "service.level"  # a customer's service level (ERP/WMS), row-scoped
    DELIVERY_LIST = "delivery.list"  # the warehouse's daily delivery-priority list


_A = Action
_STAFF_READ = {
    _A.CUSTOMER_LIST,
    _A.CUSTOMER_READ,
    _A.ANALYTICS_READ,
    _A.POLICY_LIST,
    _A.RUN_LIST,
    _A.MODEL_LIST,
    _A.RECOMMEND_READ,
    _A.BENEFIT_READ,
    _A.PRICE_READ,
}
# tags and audiences cover every customer: not for the roles scoped to some customers
_TAGS = {_A.TAG_READ, _A.TAG_WRITE, _A.AUDIENCE_READ, _A.AUDIENCE_WRITE}

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(set(Action) - {_A.SELF_READ}),
    # analysts tune policies and study results; they never need a phone number
    Role.ANALYST: frozenset(
        _STAFF_READ
        | _TAGS
        | {_A.RUN_START, _A.RUN_RELEASE, _A.POLICY_VALIDATE, _A.OVERRIDE_LIST, _A.EXPORT}
        | {_A.CREDIT_READ, _A.VISIT_READ, _A.SURVEY_READ, _A.SUPPLY_READ, _A.CAMPAIGN_READ}
        | {_A.EXPERIMENT_READ, _A.EXPERIMENT_MANAGE, _A.SPOTCHECK_REVIEW, _A.REBATE_READ}
        # differentiated service: breaches per tier, the delivery list (masked), levels
        | {_A.SERVICE_QUEUE, _A.DELIVERY_LIST, _A.SERVICE_LEVEL}
    ),
    # campaigns by tier: lists and exports, masked (sending goes through the CRM); they follow
    # the retention flow's coupons and outcomes (read only, masked); they build the audiences
    # campaigns target and push them to the CRM (issue 20)
    Role.MARKETING: frozenset(
        _STAFF_READ
        | _TAGS
        | {_A.EXPORT, _A.TASK_LIST, _A.AUDIENCE_PUSH, _A.EXPERIMENT_READ, _A.EXPERIMENT_MANAGE}
        # NPS surveys go out with the campaigns: marketing samples the waves, loads answers
        | {_A.SURVEY_READ, _A.SURVEY_MANAGE}
        # campaigns by tier (issue 24): define, send, measure
        | {_A.CAMPAIGN_READ, _A.CAMPAIGN_MANAGE}
    ),
    # credit control (finance): overrides (e.g. force prepayment tiers), contacts for
    # collection, credit terms, order holds and their overrides (R-OPS-4)
    Role.RISK: frozenset(
        _STAFF_READ
        | {_A.TAG_READ, _A.AUDIENCE_READ}
        | {_A.PERSONAL_READ, _A.OVERRIDE_LIST, _A.OVERRIDE_WRITE, _A.EXPORT}
        | {_A.EXPERIMENT_READ, _A.SPOTCHECK_REVIEW}
        | {_A.CREDIT_READ, _A.CREDIT_CHECK, _A.CREDIT_PAYMENT, _A.CREDIT_OVERRIDE}
        # finance accrues and pays rebates
        | {_A.REBATE_READ, _A.REBATE_MANAGE}
    ),
    # account managers: their own customers only, with contacts
    Role.SALES: frozenset(
        {
            _A.CUSTOMER_LIST,
            _A.CUSTOMER_READ,
            _A.PERSONAL_READ,
            _A.OVERRIDE_LIST,
            _A.EXPORT,
            _A.TASK_LIST,
            _A.TASK_UPDATE,
            _A.RECOMMEND_READ,
            _A.BENEFIT_READ,
            _A.BENEFIT_REDEEM,
            _A.PRICE_READ,
            _A.REBATE_READ,  # their own customers' rebates
            _A.VISIT_READ,
            _A.VISIT_CHECKIN,
            _A.SERVICE_LEVEL,  # their own customers' service level
        }
    ),
    # customer service desk and integrated systems (CRM/ERP): look up, call back, post events
    Role.SERVICE: frozenset(
        {
            _A.CUSTOMER_LIST,
            _A.CUSTOMER_READ,
            _A.PERSONAL_READ,
            _A.EVENT_INGEST,
            _A.RUN_LIST,
            _A.RECOMMEND_READ,
            _A.CREDIT_CHECK,  # the ERP checks an order before it ships
            _A.CREDIT_PAYMENT,  # and reports the payments it receives
            _A.BENEFIT_READ,
            _A.BENEFIT_REDEEM,
            _A.PRICE_READ,
            _A.COUPON_REDEEM,  # the order system checks and uses a campaign coupon
            _A.CAMPAIGN_CALLBACK,  # the SMS / WeChat gateway reports receipts and opt-outs
            # differentiated service (R-OPS-1): the desk works the queue, the CRM posts
            # tickets, the ERP/WMS reads service levels and the warehouse its delivery list
            _A.SERVICE_QUEUE,
            _A.SERVICE_TICKET,
            _A.SERVICE_LEVEL,
            _A.DELIVERY_LIST,
        }
    ),
    # the customer sees its own tier, product recommendations, benefits and their use, and
    # its own rebate statement
    Role.CUSTOMER: frozenset(
        {_A.SELF_READ, _A.RECOMMEND_READ, _A.BENEFIT_READ, _A.REBATE_READ, _A.SERVICE_LEVEL}
    ),
}

# Actions on one customer, checked against the customer's row (scoped roles)
CUSTOMER_SCOPED = frozenset(
    {
        _A.CUSTOMER_READ,
        _A.PERSONAL_READ,
        _A.SELF_READ,
        _A.EXPORT,
        _A.TASK_LIST,
        _A.TASK_UPDATE,
        _A.RECOMMEND_READ,
        _A.BENEFIT_READ,
        _A.BENEFIT_REDEEM,
        _A.PRICE_READ,
        _A.REBATE_READ,
        _A.SERVICE_LEVEL,
    }
)


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user or an API key, in one role."""

    subject: str  # user:<name> | key:<name>
    role: Role
    manager_id: str | None = None  # sales: the account-manager id they are
    customer_id: str | None = None  # customer: the one customer they are


@dataclass(frozen=True)
class CustomerRef:
    """The part of a customer that access decisions look at."""

    customer_id: str
    account_manager: str | None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class Scope:
    """Row filter a list must apply for a principal (None: no restriction)."""

    account_manager: str | None = None
    customer_id: str | None = None
    nothing: bool = False  # the principal may list nothing (e.g. sales without a manager id)
    #: a search may match phone prefixes; a role that sees phones masked may match a whole,
    #: exact number only (else ~20 prefix searches recover all 11 digits of a masked phone)
    phone_prefix: bool = True


def decide(principal: Principal, action: Action, resource: CustomerRef | None = None) -> Decision:
    """Whether ``principal`` may do ``action`` (on ``resource``, a customer, when given)."""
    if action not in ROLE_ACTIONS[principal.role]:
        return Decision(False, f"role {principal.role.value} may not {action.value}")
    if resource is None or action not in CUSTOMER_SCOPED:
        return Decision(True, f"role {principal.role.value} may {action.value}")
    if principal.role is Role.SALES and (
        principal.manager_id is None or resource.account_manager != principal.manager_id
    ):
        return Decision(False, "account managers see only their own customers")
    if principal.role is Role.CUSTOMER and resource.customer_id != principal.customer_id:
        return Decision(False, "a customer sees only itself")
    return Decision(True, f"role {principal.role.value} may {action.value} this customer")


def scope(principal: Principal) -> Scope:
    """The rows of the customer list ``principal`` may see."""
    prefix = sees_personal(principal)
    if principal.role is Role.SALES:
        return (
            Scope(account_manager=principal.manager_id, phone_prefix=prefix)
            if principal.manager_id
            else Scope(nothing=True, phone_prefix=prefix)
        )
    if principal.role is Role.CUSTOMER:
        return (
            Scope(customer_id=principal.customer_id, phone_prefix=prefix)
            if principal.customer_id
            else Scope(nothing=True, phone_prefix=prefix)
        )
    return Scope(phone_prefix=prefix)


#: The customer's own view (``GET /me``, ``/console/me``; R-INT-3) and every field it may
#: carry: the tier badge, the benefits, progress in the customer's own numbers and the history
#: of their own tier. Internal labels (score, segment, tags such as 高风险 or 流失预警, layers,
#: rules, features, explanations, account manager) are not fields of it, whatever the role.
SELF_VIEW_FIELDS = frozenset(
    {"customer_id", "name", "tier", "tier_since", "tiers", "benefits", "progress", "history"}
)


def self_view_fields(principal: Principal, resource: CustomerRef) -> frozenset[str]:
    """The fields of ``resource``'s own view that ``principal`` may see (none if not allowed).

    The one place that says what a customer sees of itself: the API's ``/me`` and the
    console's ``/console/me`` both build the view through it.
    """
    return SELF_VIEW_FIELDS if decide(principal, Action.SELF_READ, resource) else frozenset()


def sees_personal(principal: Principal, resource: CustomerRef | None = None) -> bool:
    """Whether ``principal`` sees personal data (of ``resource``) unmasked (R-INT-4)."""
    return decide(principal, Action.PERSONAL_READ, resource).allowed
