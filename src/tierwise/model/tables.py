"""Declarations of the canonical tables (R-DAT-1).

Each table is declared here before any code fills it: its columns and types, its grain, what
each column means, its Chinese header in source exports, and which columns hold personal
data (masked by role, R-INT-4). Ingestion validates against these declarations, the generator
writes them, features read them, and ``docs/data-model.md`` is rendered from them.

Types are logical names mapped to Arrow types in :mod:`tierwise.model.arrow`:
``string``, ``int32``, ``int64``, ``float64``, ``money`` (yuan, decimal(18,2)), ``date``,
``timestamp`` (local time of the distributor, microseconds, no zone) and ``bool``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tierwise.errors import UsageError

LogicalType = Literal["string", "int32", "int64", "float64", "money", "date", "timestamp", "bool"]


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    type: LogicalType
    meaning: str
    zh: str
    nullable: bool = False
    personal: bool = False
    values: tuple[str, ...] = ()
    unit: str = ""
    references: str = ""  # "table.column" this column must match (foreign key)


@dataclass(frozen=True)
class Table:
    """A canonical table: its grain, meaning and columns."""

    name: str
    zh: str
    meaning: str
    grain: tuple[str, ...]
    columns: tuple[Column, ...]
    event_time: str | None = None  # the column compared with as_of (R-FEA-8)
    notes: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        """The column called ``name``; a clear error listing the columns if there is none."""
        for col in self.columns:
            if col.name == name:
                return col
        raise UsageError(
            f"table {self.name!r} has no column {name!r}",
            hint="columns are: " + ", ".join(c.name for c in self.columns),
        )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def personal(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.personal)


CHANNELS = ("online", "offline", "wholesale", "retail")
CATEGORIES = (
    "火锅食材",
    "川菜调料",
    "速冻小吃",
    "鲜肉",
    "蔬菜",
    "水产",
    "粮油",
    "冻品",
    "饮料",
    "一次性用品",
)

REGIONS = Table(
    name="regions",
    zh="区域",
    meaning="Delivery districts (省/市/区) with their cost to serve and competitive pressure.",
    grain=("region_id",),
    columns=(
        Column("region_id", "string", "District code (GB/T 2260 style, six digits).", "区域编码"),
        Column("province", "string", "Province, full official name (四川省).", "省"),
        Column("city", "string", "City (成都市).", "市"),
        Column("district", "string", "District or county (武侯区).", "区"),
        Column(
            "delivery_cost",
            "money",
            "Average cost of one delivery to this district.",
            "配送成本",
            unit="yuan/order",
        ),
        Column(
            "competition_index",
            "float64",
            "Regional competition (区域竞争度): 0 no competing supplier, 1 saturated.",
            "竞争指数",
            unit="0..1",
        ),
    ),
)

CUSTOMERS = Table(
    name="customers",
    zh="客户档案",
    meaning="Customer master data: one row per outlet (门店); chains group outlets by account.",
    grain=("customer_id",),
    event_time="signup_date",
    columns=(
        Column("customer_id", "string", "Outlet id, stable across sources.", "客户编号"),
        Column(
            "account_id",
            "string",
            "Account (chain 连锁) the outlet belongs to; a single store is its own account.",
            "账户编号",
            nullable=True,
        ),
        Column(
            "account_name",
            "string",
            "Registered company name of the account.",
            "公司名称",
            nullable=True,
        ),
        Column(
            "name",
            "string",
            "Outlet (store) name as the customer calls it.",
            "门店名称",
            nullable=True,
        ),
        Column(
            "business_type",
            "string",
            "Chain outlet or single store (连锁/单店).",
            "经营类型",
            values=("chain", "single"),
            nullable=True,
        ),
        Column(
            "cuisine",
            "string",
            "Cuisine (菜系) or business kind: 川菜, 火锅, 粤菜 ...",
            "菜系",
            nullable=True,
        ),
        Column(
            "scale",
            "string",
            "Outlet size by seats and staff.",
            "规模",
            values=("small", "medium", "large"),
            nullable=True,
        ),
        Column("province", "string", "Province (省).", "省", nullable=True),
        Column("city", "string", "City (市).", "市", nullable=True),
        Column("district", "string", "District (区).", "区", nullable=True),
        Column(
            "address",
            "string",
            "Street address below the district.",
            "详细地址",
            personal=True,
            nullable=True,
        ),
        Column(
            "region_id",
            "string",
            "Delivery district.",
            "区域编码",
            references="regions.region_id",
            nullable=True,
        ),
        Column("channel", "string", "Main sales channel.", "渠道", values=CHANNELS, nullable=True),
        Column(
            "signup_date",
            "date",
            "Date the cooperation started (合作开始).",
            "签约日期",
            nullable=True,
        ),
        Column(
            "contract_amount",
            "money",
            "Annual contract amount, if a contract exists.",
            "合同金额",
            nullable=True,
            unit="yuan/year",
        ),
        Column(
            "payment_terms",
            "string",
            "Agreed payment terms (账期).",
            "账期",
            values=("prepaid", "cod", "weekly", "monthly"),
            nullable=True,
        ),
        Column(
            "credit_limit", "money", "Credit line granted.", "信用额度", unit="yuan", nullable=True
        ),
        Column(
            "account_manager",
            "string",
            "Id of the responsible account manager.",
            "客户经理",
            nullable=True,
        ),
        Column("contact_name", "string", "Contact person.", "联系人", personal=True, nullable=True),
        Column(
            "phone",
            "string",
            "Contact mobile phone (11 digits).",
            "联系电话",
            personal=True,
            nullable=True,
        ),
        Column(
            "special_needs",
            "string",
            "Special needs, comma separated: custom_menu, vip_service, cold_chain.",
            "特殊需求",
            nullable=True,
        ),
    ),
)

PRODUCTS = Table(
    name="products",
    zh="商品",
    meaning="The catalogue: one row per SKU with its category, unit cost and list price.",
    grain=("sku",),
    columns=(
        Column("sku", "string", "Stock-keeping unit code.", "商品编码"),
        Column("name", "string", "Product name.", "商品名称"),
        Column("category", "string", "Product category.", "品类", values=CATEGORIES),
        Column("unit", "string", "Sales unit (kg, 箱, 袋, 件).", "单位"),
        Column("unit_cost", "money", "Cost of one unit to the distributor.", "成本价", unit="yuan"),
        Column("unit_price", "money", "List price of one unit.", "销售价", unit="yuan"),
        Column("subcategory", "string", "Subcategory (二级品类).", "二级品类", nullable=True),
        Column("brand", "string", "Brand, or grade/origin of fresh goods.", "品牌", nullable=True),
        Column("spec", "string", "Pack or grade (规格).", "规格", nullable=True),
        Column(
            "pack_size",
            "float64",
            "Base units in one sales unit (0.5 = half the base pack).",
            "包装系数",
            nullable=True,
        ),
        Column("shelf_life_days", "int32", "Shelf life in days.", "保质期天数", nullable=True),
        Column(
            "supplier", "string", "Supplier the distributor buys it from.", "供应商", nullable=True
        ),
        Column(
            "lead_time_days",
            "int32",
            "Days from purchase order to receipt.",
            "采购周期天数",
            nullable=True,
        ),
        Column(
            "launch_date",
            "date",
            "First day it could be ordered (empty: long listed).",
            "上市日期",
            nullable=True,
        ),
    ),
)

ORDERS = Table(
    name="orders",
    zh="订单",
    meaning="One row per order placed by an outlet.",
    grain=("order_id",),
    event_time="order_time",
    columns=(
        Column("order_id", "string", "Order number.", "订单编号"),
        Column(
            "customer_id",
            "string",
            "Outlet that ordered.",
            "客户编号",
            references="customers.customer_id",
        ),
        Column("order_time", "timestamp", "When the order was placed.", "下单时间"),
        Column(
            "channel",
            "string",
            "Channel the order came through.",
            "下单渠道",
            values=CHANNELS,
            nullable=True,
        ),
        Column("amount", "money", "Order total (sum of its lines).", "订单金额", unit="yuan"),
    ),
)

ORDER_LINES = Table(
    name="order_lines",
    zh="订单明细",
    meaning="One row per product line of an order; carries the price and cost at order time.",
    grain=("order_id", "line_no"),
    notes=("Event time is the order's order_time.",),
    columns=(
        Column(
            "order_id",
            "string",
            "Order the line belongs to.",
            "订单编号",
            references="orders.order_id",
        ),
        Column("line_no", "int32", "Line number within the order, from 1.", "行号"),
        Column("sku", "string", "Product.", "商品编码", references="products.sku"),
        Column("category", "string", "Product category at order time.", "品类", values=CATEGORIES),
        Column("quantity", "float64", "Quantity in the product's unit.", "数量"),
        Column("unit_price", "money", "Price charged per unit.", "单价", unit="yuan"),
        Column("amount", "money", "quantity × unit_price.", "金额", unit="yuan"),
        Column("cost", "money", "quantity × unit cost (for gross margin).", "成本", unit="yuan"),
        Column(
            "list_price",
            "money",
            "List price per unit before the price rule.",
            "标价",
            unit="yuan",
            nullable=True,
        ),
        Column(
            "price_rule",
            "string",
            "Price rule that turned the list price into unit_price (list, chain_contract, "
            "tier_discount, promo).",
            "价格规则",
            nullable=True,
        ),
    ),
)

RETURNS = Table(
    name="returns",
    zh="退货退款",
    meaning="One row per return or refund against an order.",
    grain=("return_id",),
    event_time="return_time",
    columns=(
        Column("return_id", "string", "Return / refund number.", "退货单号"),
        Column("order_id", "string", "Order refunded.", "订单编号", references="orders.order_id"),
        Column(
            "customer_id",
            "string",
            "Outlet refunded.",
            "客户编号",
            references="customers.customer_id",
        ),
        Column("return_time", "timestamp", "When the refund was granted.", "退货时间"),
        Column("amount", "money", "Amount refunded.", "退款金额", unit="yuan"),
        Column(
            "reason",
            "string",
            "Why.",
            "退货原因",
            values=("quality", "wrong_item", "damaged", "late_delivery", "other"),
        ),
    ),
)

INVOICES = Table(
    name="invoices",
    zh="账单",
    meaning="One row per invoice (a settlement period's bill) with its due date (账期).",
    grain=("invoice_id",),
    event_time="issue_date",
    columns=(
        Column("invoice_id", "string", "Invoice number.", "账单编号"),
        Column(
            "customer_id",
            "string",
            "Outlet billed.",
            "客户编号",
            references="customers.customer_id",
        ),
        Column("issue_date", "date", "Date issued.", "开票日期"),
        Column("due_date", "date", "Date payment is due.", "到期日"),
        Column("amount", "money", "Amount billed.", "账单金额", unit="yuan"),
    ),
)

PAYMENTS = Table(
    name="payments",
    zh="收款",
    meaning="One row per payment received against an invoice.",
    grain=("payment_id",),
    event_time="paid_date",
    columns=(
        Column("payment_id", "string", "Payment number.", "收款编号"),
        Column(
            "invoice_id",
            "string",
            "Invoice paid.",
            "账单编号",
            references="invoices.invoice_id",
        ),
        Column(
            "customer_id",
            "string",
            "Outlet that paid.",
            "客户编号",
            references="customers.customer_id",
        ),
        Column("paid_date", "date", "Date the money arrived.", "收款日期"),
        Column("amount", "money", "Amount paid.", "收款金额", unit="yuan"),
    ),
)

TICKETS = Table(
    name="tickets",
    zh="客服工单",
    meaning="Customer-service tickets: complaints and inquiries.",
    grain=("ticket_id",),
    event_time="created_time",
    columns=(
        Column("ticket_id", "string", "Ticket number.", "工单编号"),
        Column(
            "customer_id",
            "string",
            "Outlet that raised it.",
            "客户编号",
            references="customers.customer_id",
        ),
        Column("created_time", "timestamp", "When it was raised.", "创建时间"),
        Column("kind", "string", "Complaint or inquiry.", "类型", values=("complaint", "inquiry")),
        Column("severity", "int32", "1 minor, 2 serious, 3 critical.", "严重程度"),
        Column(
            "topic",
            "string",
            "What it is about.",
            "问题分类",
            values=("quality", "delivery", "price", "service", "other"),
        ),
        Column(
            "resolved_time",
            "timestamp",
            "When it was closed; empty while open.",
            "解决时间",
            nullable=True,
        ),
        Column(
            "resolution",
            "string",
            "How it was closed.",
            "处理结果",
            nullable=True,
            values=("resolved", "compensated", "rejected"),
        ),
    ),
)

ACTIVITY = Table(
    name="activity",
    zh="活跃记录",
    meaning="Daily activity of an outlet in the ordering app and with its account manager.",
    grain=("customer_id", "date"),
    event_time="date",
    columns=(
        Column(
            "customer_id",
            "string",
            "Outlet.",
            "客户编号",
            references="customers.customer_id",
        ),
        Column("date", "date", "Day.", "日期"),
        Column("logins", "int32", "App / web logins that day.", "登录次数"),
        Column(
            "interactions",
            "int32",
            "Interactions that day (messages, campaign clicks, calls with the account manager).",
            "互动次数",
        ),
    ),
)

CREDIT = Table(
    name="credit",
    zh="企业征信",
    meaning="Third-party credit reports (企业征信) on an outlet's company, one row per report.",
    grain=("customer_id", "report_date"),
    event_time="report_date",
    columns=(
        Column(
            "customer_id",
            "string",
            "Outlet.",
            "客户编号",
            references="customers.customer_id",
        ),
        Column("report_date", "date", "Date of the report.", "报告日期"),
        Column(
            "rating",
            "string",
            "Credit rating.",
            "信用等级",
            values=("AAA", "AA", "A", "BBB", "BB", "B", "C"),
        ),
        Column(
            "legal_disputes",
            "int32",
            "Open legal disputes (法律纠纷) known at report date.",
            "法律纠纷数",
        ),
    ),
)

# Operations data (issue 15): what a distributor's operations leave behind. Every table is
# optional for grading; the generator and the world (tierwise world simulate) write them.
# No feature reads them yet, so none declares an event_time (the as_of column of R-FEA-8);
# the operations module that first reads one adds it with its as_of test.


def _cust(meaning: str = "Outlet.") -> Column:
    return Column("customer_id", "string", meaning, "客户编号", references="customers.customer_id")


PRICE_RULES = Table(
    name="price_rules",
    zh="价格规则",
    meaning="The price rules that turn a list price into the net price of an order line.",
    grain=("rule_id",),
    columns=(
        Column("rule_id", "string", "Rule code (the order line's price_rule).", "规则编码"),
        Column("name", "string", "Rule name.", "规则名称"),
        Column("percent_off", "float64", "Typical percent off the list price.", "折扣百分比"),
        Column("applies_to", "string", "Who the rule applies to.", "适用对象"),
    ),
)

COUPONS = Table(
    name="coupons",
    zh="优惠券",
    meaning="Coupons issued to outlets, one row per coupon, with its redemption if any.",
    grain=("coupon_id",),
    columns=(
        Column("coupon_id", "string", "Coupon number.", "券编号"),
        _cust(),
        Column("campaign_id", "string", "Campaign or plan arm that issued it.", "活动编号"),
        Column("issued_date", "date", "Day it was issued.", "发券日期"),
        Column("expires_date", "date", "Last day it can be used.", "到期日期"),
        Column("value", "money", "Yuan off one order.", "面额", unit="yuan"),
        Column("threshold", "money", "Minimum order amount.", "使用门槛", unit="yuan"),
        Column(
            "redeemed_order_id",
            "string",
            "Order it was used on (empty: not used); not checked against orders (that row "
            "may be quarantined for a defect of its own).",
            "核销订单",
            nullable=True,
        ),
        Column("redeemed_amount", "money", "Yuan taken off.", "核销金额", unit="yuan"),
    ),
)

REBATE_ACCRUALS = Table(
    name="rebate_accruals",
    zh="返利计提",
    meaning="Rebates (返利) accrued to an outlet for a period's net purchases.",
    grain=("customer_id", "period_end"),
    columns=(
        _cust(),
        Column("period_start", "date", "First day of the period.", "期初"),
        Column("period_end", "date", "Last day of the period (accrual date).", "期末"),
        Column(
            "basis", "money", "Net purchases the rebate is computed on.", "计提基数", unit="yuan"
        ),
        Column("percent", "float64", "Rebate percent.", "返利比例"),
        Column("amount", "money", "Rebate accrued.", "返利金额", unit="yuan"),
    ),
)

CAMPAIGN_TOUCHES = Table(
    name="campaign_touches",
    zh="营销触达",
    meaning="Each time a campaign reached an outlet (push, SMS, call).",
    grain=("campaign_id", "customer_id", "touch_date"),
    columns=(
        Column("campaign_id", "string", "Campaign.", "活动编号"),
        _cust(),
        Column("touch_date", "date", "Day of the touch.", "触达日期"),
        Column("channel", "string", "How.", "触达渠道", values=("app", "sms", "call")),
    ),
)

VISITS = Table(
    name="visits",
    zh="拜访记录",
    meaning="Account-manager visits and call-backs, one row per visit made.",
    grain=("visit_id",),
    columns=(
        Column("visit_id", "string", "Visit number.", "拜访编号"),
        _cust(),
        Column(
            "manager_id",
            "string",
            "Account manager.",
            "客户经理",
            references="account_managers.manager_id",
        ),
        Column("visit_date", "date", "Day of the visit.", "拜访日期"),
        Column("kind", "string", "Visit or phone call.", "方式", values=("visit", "call")),
    ),
)

SURVEY_ANSWERS = Table(
    name="survey_answers",
    zh="满意度调查",
    meaning="NPS surveys sent to outlets, one row per survey sent, with the answer if any.",
    grain=("survey_id",),
    columns=(
        Column("survey_id", "string", "Survey number.", "问卷编号"),
        _cust(),
        Column("sent_date", "date", "Day it was sent.", "发送日期"),
        Column("answered", "bool", "Whether the outlet answered.", "是否回复"),
        Column(
            "score",
            "int32",
            "0–10 likelihood to recommend (empty: no answer).",
            "推荐评分",
            nullable=True,
        ),
    ),
)

ACCOUNT_MANAGERS = Table(
    name="account_managers",
    zh="客户经理",
    meaning="Account managers with their territory and how many visits a day they can make.",
    grain=("manager_id",),
    columns=(
        Column("manager_id", "string", "Account manager code (AM001).", "客户经理"),
        Column("name", "string", "Name.", "姓名", personal=True),
        Column("territory", "string", "City they cover.", "负责区域"),
        Column("capacity_per_day", "int32", "Visits or calls a day at most.", "日拜访上限"),
    ),
)

OUTLET_LOCATIONS = Table(
    name="outlet_locations",
    zh="门店坐标",
    meaning="Where each outlet is (WGS-84), for routes, territories and visit planning.",
    grain=("customer_id",),
    columns=(
        _cust(),
        Column("latitude", "float64", "Latitude, degrees north.", "纬度"),
        Column("longitude", "float64", "Longitude, degrees east.", "经度"),
    ),
)


def _wh() -> Column:
    return Column("warehouse_id", "string", "Warehouse (one per city: WH01 …).", "仓库编码")


def _sku() -> Column:
    return Column("sku", "string", "Product.", "商品编码", references="products.sku")


INVENTORY_SNAPSHOTS = Table(
    name="inventory_snapshots",
    zh="库存快照",
    meaning="Stock on hand of each SKU in each warehouse at a stock count (weekly, Sunday close).",
    grain=("snapshot_date", "warehouse_id", "sku"),
    columns=(
        Column("snapshot_date", "date", "Day of the count (stock at its close).", "盘点日期"),
        _wh(),
        Column("warehouse_name", "string", "Warehouse name.", "仓库名称", nullable=True),
        _sku(),
        Column("on_hand", "float64", "Quantity on hand, in the product's unit.", "库存数量"),
    ),
)

PURCHASE_ORDERS = Table(
    name="purchase_orders",
    zh="采购订单",
    meaning="Purchase orders to suppliers, one row per order of one SKU for one warehouse.",
    grain=("po_id",),
    columns=(
        Column("po_id", "string", "Purchase order number.", "采购单号"),
        Column("supplier", "string", "Supplier.", "供应商"),
        _wh(),
        _sku(),
        Column("order_date", "date", "Day it was placed.", "下单日期"),
        Column("expected_date", "date", "Day it is due (order day + lead time).", "预计到货日期"),
        Column("quantity", "float64", "Quantity ordered, in the product's unit.", "采购数量"),
        Column("unit_cost", "money", "Cost of one unit.", "采购单价", unit="yuan"),
    ),
)

RECEIPTS = Table(
    name="receipts",
    zh="采购入库",
    meaning="Goods received against a purchase order (a short or late delivery shows here).",
    grain=("receipt_id",),
    columns=(
        Column("receipt_id", "string", "Receipt number.", "入库单号"),
        Column(
            "po_id", "string", "Purchase order.", "采购单号", references="purchase_orders.po_id"
        ),
        _wh(),
        _sku(),
        Column("received_date", "date", "Day the goods arrived.", "入库日期"),
        Column("quantity", "float64", "Quantity received, in the product's unit.", "入库数量"),
    ),
)

BENEFIT_KINDS = (
    "service_level",
    "delivery_priority",
    "custom_selection",
    "expedited_logistics",
    "rebate",
    "discount",
    "coupon_allowance",
    "payment_terms",
    "free_delivery_threshold",
)  # the benefit kinds of tierwise.policy.benefits (a test keeps them equal)

BENEFIT_GRANTS = Table(
    name="benefit_grants",
    zh="权益授予",
    meaning="Benefits (权益) granted to an outlet by its tier, one row per grant and period.",
    grain=("grant_id",),
    columns=(
        Column("grant_id", "string", "Grant number.", "授予编号"),
        _cust(),
        Column("tier", "string", "Tier that gives the benefit (policy code).", "等级"),
        Column("benefit", "string", "Benefit code (the policy's code).", "权益"),
        Column("kind", "string", "Benefit kind.", "权益类型", values=BENEFIT_KINDS),
        Column("params", "string", "Parameters of the benefit, as JSON.", "权益参数"),
        Column("valid_from", "date", "First day it can be used.", "生效日期"),
        Column(
            "valid_until",
            "date",
            "First day it can no longer be used (exclusive end, like the benefits ledger).",
            "失效日期",
        ),
    ),
)

BENEFIT_REDEMPTIONS = Table(
    name="benefit_redemptions",
    zh="权益核销",
    meaning="Each use of a granted benefit (核销), one row per use; the headers are those "
    "`tierwise benefits redeem` reads.",
    grain=("redemption_id",),
    columns=(
        Column("redemption_id", "string", "Redemption number.", "业务单号"),
        Column(
            "grant_id",
            "string",
            "Grant it uses.",
            "授予编号",
            references="benefit_grants.grant_id",
        ),
        _cust(),
        Column("benefit", "string", "Benefit code.", "权益"),
        Column("used_on", "date", "Day of use.", "使用日期"),
        Column("quantity", "int32", "Units used (coupons, slots).", "数量"),
        Column("cost", "money", "What the use cost the distributor.", "成本", unit="yuan"),
        Column(
            "order_id",
            "string",
            "Order it was used on (empty: none); not checked against orders, like a coupon's.",
            "订单编号",
            nullable=True,
        ),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        REGIONS,
        CUSTOMERS,
        PRODUCTS,
        ORDERS,
        ORDER_LINES,
        RETURNS,
        INVOICES,
        PAYMENTS,
        TICKETS,
        ACTIVITY,
        CREDIT,
        PRICE_RULES,
        COUPONS,
        REBATE_ACCRUALS,
        CAMPAIGN_TOUCHES,
        VISITS,
        SURVEY_ANSWERS,
        ACCOUNT_MANAGERS,
        OUTLET_LOCATIONS,
        INVENTORY_SNAPSHOTS,
        PURCHASE_ORDERS,
        RECEIPTS,
        BENEFIT_GRANTS,
        BENEFIT_REDEMPTIONS,
    )
}


def table(name: str) -> Table:
    """The canonical table called ``name``; a clear error listing the tables if there is none."""
    try:
        return TABLES[name]
    except KeyError:
        raise UsageError(
            f"there is no canonical table {name!r}", hint="tables are: " + ", ".join(TABLES)
        ) from None
