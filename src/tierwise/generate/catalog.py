"""The product catalogue (a category tree) and which categories each kind of customer buys.

The tree is category → subcategory → base product → SKU. Each base product (a 郫县豆瓣酱, a
草鱼) is sold as several SKUs: three product lines (a brand, or a grade and origin for fresh
goods) times three packs or grades, so the catalogue holds 1 107 SKUs. Base prices are list
prices in yuan per sales unit, close to 2025 wholesale prices in Chengdu; the generator
perturbs them with the seed, so two books differ but stay believable.
"""

from __future__ import annotations

import numpy as np

from tierwise.model.tables import CATEGORIES

Item = tuple[str, str, float]  # (name, unit, list price of the base pack in yuan)

# category -> subcategory -> base products
TREE: dict[str, dict[str, tuple[Item, ...]]] = {
    "火锅食材": {
        "火锅底料": (
            ("牛油火锅底料", "袋", 28.0),
            ("清油火锅底料", "袋", 24.0),
            ("番茄火锅底料", "袋", 18.0),
        ),
        "毛肚内脏": (
            ("鲜毛肚", "kg", 68.0),
            ("千层肚", "kg", 42.0),
            ("鲜鸭肠", "kg", 38.0),
            ("黄喉", "kg", 56.0),
        ),
        "涮烫肉类": (
            ("麻辣牛肉", "kg", 78.0),
            ("手切羊肉卷", "kg", 88.0),
            ("肥牛卷", "kg", 62.0),
            ("午餐肉", "罐", 16.0),
        ),
        "丸滑豆制品": (
            ("鲜鸭血", "盒", 4.5),
            ("虾滑", "袋", 32.0),
            ("牛肉丸", "kg", 36.0),
            ("腐竹", "kg", 22.0),
            ("冻豆腐", "kg", 9.0),
            ("红薯宽粉", "袋", 8.0),
            ("鹌鹑蛋", "kg", 18.0),
        ),
    },
    "川菜调料": {
        "酱料": (
            ("郫县豆瓣酱", "袋", 15.0),
            ("永川豆豉", "袋", 6.0),
            ("生抽酱油", "桶", 48.0),
            ("保宁醋", "瓶", 9.0),
        ),
        "香辛料": (
            ("汉源花椒", "kg", 160.0),
            ("二荆条干辣椒", "kg", 38.0),
            ("朝天椒", "kg", 32.0),
            ("泡椒", "kg", 12.0),
            ("泡姜", "kg", 10.0),
        ),
        "油料": (("藤椒油", "瓶", 26.0), ("红油", "桶", 85.0), ("鸡精", "袋", 24.0)),
        "复合调料": (
            ("水煮鱼调料", "袋", 12.0),
            ("麻婆豆腐调料", "袋", 8.0),
            ("回锅肉调料", "袋", 8.0),
            ("鱼香肉丝调料", "袋", 8.0),
        ),
    },
    "速冻小吃": {
        "米面点心": (
            ("红糖糍粑", "袋", 22.0),
            ("手工汤圆", "袋", 16.0),
            ("叶儿粑", "袋", 24.0),
            ("南瓜饼", "袋", 19.0),
        ),
        "饺子抄手": (
            ("猪肉白菜水饺", "袋", 25.0),
            ("钟水饺", "袋", 28.0),
            ("龙抄手", "袋", 26.0),
            ("蒸饺", "袋", 23.0),
        ),
        "油炸小吃": (
            ("小酥肉", "kg", 42.0),
            ("春卷", "袋", 18.0),
            ("油条", "袋", 15.0),
            ("葱油饼", "袋", 20.0),
        ),
    },
    "鲜肉": {
        "猪肉": (
            ("猪五花", "kg", 28.0),
            ("猪前腿肉", "kg", 26.0),
            ("猪排骨", "kg", 38.0),
            ("猪蹄", "kg", 30.0),
        ),
        "禽肉": (
            ("鲜鸡腿", "kg", 18.0),
            ("整鸡", "只", 45.0),
            ("鸡翅中", "kg", 46.0),
            ("鲜鸭", "只", 40.0),
        ),
        "牛肉": (("牛腩", "kg", 68.0), ("牛腱子", "kg", 78.0)),
    },
    "蔬菜": {
        "根茎类": (
            ("土豆", "kg", 3.0),
            ("莴笋", "kg", 5.0),
            ("莲藕", "kg", 7.0),
            ("生姜", "kg", 12.0),
            ("大蒜", "kg", 10.0),
        ),
        "叶菜类": (
            ("大白菜", "kg", 2.0),
            ("莲花白", "kg", 2.5),
            ("生菜", "kg", 6.5),
            ("香菜", "kg", 14.0),
            ("蒜苗", "kg", 9.0),
            ("大葱", "kg", 5.0),
        ),
        "茄果瓜豆": (
            ("青椒", "kg", 6.0),
            ("黄瓜", "kg", 5.0),
            ("番茄", "kg", 6.0),
            ("黄豆芽", "kg", 3.5),
            ("茄子", "kg", 5.5),
        ),
    },
    "水产": {
        "淡水鱼": (
            ("草鱼", "kg", 16.0),
            ("鲈鱼", "kg", 36.0),
            ("黑鱼片", "kg", 48.0),
            ("巴沙鱼片", "kg", 22.0),
        ),
        "虾蟹贝类": (("基围虾", "kg", 78.0), ("小龙虾", "kg", 45.0), ("花甲", "kg", 14.0)),
        "其他水产": (("鱿鱼", "kg", 32.0), ("牛蛙", "kg", 34.0)),
    },
    "粮油": {
        "米面": (
            ("东北大米", "袋", 135.0),
            ("糯米", "袋", 110.0),
            ("高筋面粉", "袋", 95.0),
            ("鸡蛋面", "箱", 68.0),
        ),
        "食用油": (("菜籽油", "桶", 165.0), ("大豆油", "桶", 118.0)),
        "干货蛋品": (("龙口粉丝", "箱", 85.0), ("玉米淀粉", "袋", 45.0), ("鲜鸡蛋", "箱", 120.0)),
    },
    "冻品": {
        "冻禽": (
            ("冻鸡翅根", "箱", 220.0),
            ("冻鸡爪", "箱", 260.0),
            ("冻鸭掌", "箱", 240.0),
            ("冻鸡排", "箱", 180.0),
        ),
        "冻畜": (("冻猪肚", "箱", 330.0), ("冻牛百叶", "箱", 280.0)),
        "冻调理品": (("冷冻薯条", "箱", 150.0), ("冻虾仁", "箱", 380.0), ("冻鱼丸", "箱", 160.0)),
    },
    "饮料": {
        "茶饮凉茶": (("凉茶", "箱", 48.0), ("冰红茶", "箱", 42.0), ("酸梅汤", "箱", 45.0)),
        "碳酸果汁": (("可乐", "箱", 52.0), ("橙汁", "箱", 58.0), ("雪碧", "箱", 50.0)),
        "植物乳饮": (("豆奶", "箱", 55.0), ("椰汁", "箱", 68.0), ("花生露", "箱", 50.0)),
        "酒水": (("啤酒", "箱", 60.0), ("白酒", "箱", 180.0), ("矿泉水", "箱", 24.0)),
    },
    "一次性用品": {
        "餐具": (
            ("一次性筷子", "箱", 65.0),
            ("打包盒", "箱", 85.0),
            ("一次性碗", "箱", 70.0),
            ("一次性杯", "箱", 45.0),
        ),
        "包装": (("打包袋", "捆", 25.0), ("保鲜膜", "卷", 38.0), ("锡纸", "卷", 32.0)),
        "清洁防护": (
            ("一次性手套", "盒", 18.0),
            ("餐巾纸", "箱", 75.0),
            ("湿巾", "箱", 60.0),
            ("垃圾袋", "捆", 28.0),
            ("围裙", "包", 22.0),
        ),
    },
}

# Product lines of each category: brands for packed goods, grade and origin for fresh goods.
LINES: dict[str, tuple[str, str, str]] = {
    "火锅食材": ("蜀香", "巴渝坊", "锦城"),
    "川菜调料": ("川老汇", "蜀厨", "天府源"),
    "速冻小吃": ("川味坊", "蓉城记", "小厨娘"),
    "鲜肉": ("本地", "川西", "云贵"),
    "蔬菜": ("本地", "攀西", "云南"),
    "水产": ("本地", "湖北", "广东"),
    "粮油": ("粮丰", "金谷", "川粮"),
    "冻品": ("冷链优选", "海川", "禾丰"),
    "饮料": ("清泉", "蜀饮", "山城"),
    "一次性用品": ("洁诺", "绿盒", "优洁"),
}
# Packs of a packed good (label, units of the base pack, price factor) and grades of a
# weighed good (label, 1 kg, price factor).
PACKS: tuple[tuple[str, float, float], ...] = (
    ("小包装", 0.5, 0.55),
    ("标准装", 1.0, 1.0),
    ("大包装", 2.5, 2.3),
)
GRADES: tuple[tuple[str, float, float], ...] = (
    ("统货", 1.0, 0.85),
    ("优选", 1.0, 1.0),
    ("精品", 1.0, 1.3),
)

# Shelf life (days) and purchase lead time (days) of each category's goods.
SHELF_LIFE: dict[str, int] = {
    "火锅食材": 180, "川菜调料": 540, "速冻小吃": 365, "鲜肉": 3, "蔬菜": 5,
    "水产": 2, "粮油": 365, "冻品": 365, "饮料": 365, "一次性用品": 1095,
}  # fmt: skip
LEAD_TIME: dict[str, int] = {
    "火锅食材": 3, "川菜调料": 7, "速冻小吃": 5, "鲜肉": 1, "蔬菜": 1,
    "水产": 1, "粮油": 7, "冻品": 5, "饮料": 5, "一次性用品": 10,
}  # fmt: skip

# Demand factor of each category by calendar month (1..12), applied to every line of it:
# hot pot slumps in summer, drinks and crayfish peak, frozen glutinous snacks (汤圆, 糍粑)
# peak around 春节 and 元宵, disposables follow take-away in summer.
CATEGORY_SEASON: dict[str, dict[int, float]] = {
    "火锅食材": {6: 0.8, 7: 0.65, 8: 0.65, 12: 1.15, 1: 1.2},
    "速冻小吃": {1: 1.4, 2: 1.3, 12: 1.15},
    "水产": {6: 1.2, 7: 1.3, 8: 1.25},
    "饮料": {5: 1.2, 6: 1.45, 7: 1.6, 8: 1.55, 9: 1.2, 12: 0.8, 1: 0.85},
    "一次性用品": {6: 1.15, 7: 1.2, 8: 1.2},
    "蔬菜": {7: 1.05, 8: 1.05},
}

# Units sold by weight: quantities are rounded to half a kilogram, the others to whole units.
WEIGHED_UNITS = frozenset({"kg"})

# Kinds of customer (the model's ``cuisine`` column) with their share of the book, their
# default channel and the category mix they buy (shares in CATEGORIES order:
# 火锅食材 川菜调料 速冻小吃 鲜肉 蔬菜 水产 粮油 冻品 饮料 一次性用品).
CUISINES: dict[str, tuple[float, str, tuple[float, ...]]] = {
    "火锅": (0.20, "online", (40, 12, 5, 12, 15, 6, 5, 5, 6, 4)),
    "串串": (0.06, "online", (35, 15, 5, 12, 15, 5, 5, 8, 6, 4)),
    "川菜": (0.17, "online", (5, 25, 5, 20, 22, 8, 10, 5, 4, 3)),
    "湘菜": (0.06, "online", (4, 20, 5, 22, 25, 10, 10, 4, 4, 3)),
    "粤菜": (0.05, "offline", (2, 5, 6, 20, 25, 25, 10, 7, 4, 2)),
    "烧烤": (0.08, "online", (8, 15, 5, 25, 15, 10, 5, 17, 10, 5)),
    "快餐": (0.10, "online", (2, 12, 15, 20, 22, 5, 16, 8, 5, 8)),
    "面馆": (0.07, "online", (3, 18, 10, 20, 15, 2, 28, 4, 3, 5)),
    "西餐": (0.03, "offline", (1, 3, 10, 25, 20, 15, 10, 16, 6, 3)),
    "食堂": (0.06, "offline", (2, 10, 10, 20, 28, 5, 20, 5, 2, 4)),
    "批发": (0.06, "wholesale", (15, 15, 20, 5, 5, 5, 10, 25, 8, 6)),
    "商超": (0.06, "retail", (10, 15, 30, 5, 10, 5, 15, 10, 12, 4)),
}
CUISINE_NAMES: tuple[str, ...] = tuple(CUISINES)


def cuisine_mix() -> np.ndarray:
    """Category shares per cuisine, shape (n_cuisines, n_categories), rows summing to 1."""
    m = np.array([CUISINES[c][2] for c in CUISINE_NAMES], dtype=np.float64)
    shares: np.ndarray = m / m.sum(axis=1, keepdims=True)
    return shares


def category_season() -> np.ndarray:
    """Demand factor per category (rows, CATEGORIES order) and month (columns 0..11)."""
    table = np.ones((len(CATEGORIES), 12))
    for cat, months in CATEGORY_SEASON.items():
        for month, factor in months.items():
            table[CATEGORIES.index(cat), month - 1] = factor
    return table


def base_products() -> list[tuple[int, str, str, str, float]]:
    """Every base product in tree order: (category index, subcategory, name, unit, price)."""
    out: list[tuple[int, str, str, str, float]] = []
    for ci, cat in enumerate(CATEGORIES):
        for sub, items in TREE[cat].items():
            out.extend((ci, sub, name, unit, price) for name, unit, price in items)
    return out
