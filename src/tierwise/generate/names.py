"""Believable Chinese names: outlets, companies, contact people, phones and street addresses.

Contact names come from Faker's zh_CN locale (seeded, so reproducible); outlet and company
names are composed the way they look on a Chinese business licence or shop sign:
``老码头火锅(春熙路店)``, ``成都蜀香餐饮管理有限公司``.
"""

from __future__ import annotations

import numpy as np
from faker import Faker

from tierwise.generate.geo import DISTRICTS, city_short, roads

_PREFIX = ("老", "小", "大", "川", "蜀", "渝", "巴", "好", "新", "阿", "胖", "辣", "红", "金")
_CORE = (
    "码头",
    "院子",
    "巷子",
    "灶台",
    "掌柜",
    "兄弟",
    "江湖",
    "味道",
    "一品",
    "香记",
    "家常",
    "妈妈",
    "师傅",
    "街坊",
    "渔夫",
    "牛人",
    "麻婆",
    "竹林",
    "石磨",
    "铁锅",
)
_KIND: dict[str, tuple[str, ...]] = {
    "火锅": ("火锅", "老火锅", "鲜毛肚火锅"),
    "串串": ("串串香", "冷锅串串", "钵钵鸡"),
    "川菜": ("川菜馆", "私房菜", "家常菜"),
    "湘菜": ("湘菜馆", "土菜馆", "湘味小厨"),
    "粤菜": ("茶餐厅", "粤菜馆", "烧腊"),
    "烧烤": ("烧烤", "烤串", "烤鱼"),
    "快餐": ("快餐", "中式快餐", "盖饭"),
    "面馆": ("面馆", "小面", "牛肉面"),
    "西餐": ("西餐厅", "牛排馆", "意式餐厅"),
    "食堂": ("职工食堂", "学校食堂", "园区食堂"),
    "批发": ("冻品批发部", "调料批发部", "食材批发"),
    "商超": ("生鲜超市", "便民超市", "社区超市"),
}
_FIRM = (
    "蜀香",
    "川渝",
    "锦宏",
    "鑫源",
    "盛世",
    "宏达",
    "佳和",
    "嘉禾",
    "华瑞",
    "金鼎",
    "天府",
    "顺发",
    "聚福",
    "兴隆",
    "百味",
    "同福",
    "福满",
    "瑞丰",
    "恒通",
    "汇源",
)
_FIRM_SUFFIX: dict[str, tuple[str, ...]] = {
    "批发": ("食品贸易有限公司", "商贸有限公司"),
    "商超": ("超市有限公司", "商贸有限公司"),
    "食堂": ("后勤服务有限公司", "餐饮服务有限公司"),
}
_RESTAURANT_SUFFIX = ("餐饮管理有限公司", "餐饮有限公司", "餐饮服务有限公司")
# Mobile prefixes in use in mainland China (China Mobile, Unicom, Telecom).
_MOBILE = np.array(
    [
        130,
        131,
        132,
        133,
        135,
        136,
        137,
        138,
        139,
        150,
        151,
        152,
        153,
        155,
        156,
        157,
        158,
        159,
        166,
        173,
        176,
        177,
        180,
        181,
        182,
        183,
        185,
        186,
        187,
        188,
        189,
        191,
        198,
        199,
    ],
    dtype=np.int64,
)


def contact_names(rng: np.random.Generator, n: int, seed: int) -> list[str]:
    """``n`` person names from Faker zh_CN (a seeded pool, drawn with ``rng``)."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    pool = [fake.name() for _ in range(min(n, 4000))]
    return [pool[i] for i in rng.integers(0, len(pool), n)]


def phones(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` 11-digit mobile numbers."""
    nums = rng.choice(_MOBILE, n) * 100_000_000 + rng.integers(0, 100_000_000, n)
    return [str(x) for x in nums]


def brands(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` shop brands (老码头, 小院子 ...)."""
    p = rng.integers(0, len(_PREFIX), n)
    c = rng.integers(0, len(_CORE), n)
    return [_PREFIX[i] + _CORE[j] for i, j in zip(p.tolist(), c.tolist(), strict=True)]


def kind_word(rng: np.random.Generator, cuisine: str) -> str:
    """What the sign says after the brand for this cuisine (火锅, 串串香 ...)."""
    words = _KIND[cuisine]
    return words[int(rng.integers(0, len(words)))]


def company_name(rng: np.random.Generator, city: str, cuisine: str) -> str:
    """A registered company name: city + firm word + a suffix that fits the business."""
    suffixes = _FIRM_SUFFIX.get(cuisine, _RESTAURANT_SUFFIX)
    firm = _FIRM[int(rng.integers(0, len(_FIRM)))]
    return city_short(city) + firm + suffixes[int(rng.integers(0, len(suffixes)))]


def sole_trader_name(district: int, shop: str) -> str:
    """A sole trader's registered name (个体工商户): 成都市武侯区老码头火锅店."""
    d = DISTRICTS[district]
    return d.city + d.district + shop + ("" if shop.endswith(("店", "部", "超市")) else "店")


def street(rng: np.random.Generator, district: int) -> tuple[str, str]:
    """A street address in ``district`` and the road it is on (for ``(春熙路店)``)."""
    names = roads(DISTRICTS[district].city)
    road = names[int(rng.integers(0, len(names)))]
    number = int(rng.integers(1, 400))
    extra = ("", "", "附1号", "1栋1层", "负一楼", "2层")[int(rng.integers(0, 6))]
    return f"{road}{number}号{extra}", road
