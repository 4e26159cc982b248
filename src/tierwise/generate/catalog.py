"""The product catalogue and which categories each kind of customer buys.

Prices are list prices in yuan per sales unit, close to 2025 wholesale prices in Chengdu.
The generator perturbs them with the seed, so two books differ but stay believable.
"""

from __future__ import annotations

import numpy as np

from tierwise.model.tables import CATEGORIES

# category -> ((name, unit, list price), ...)
PRODUCTS: dict[str, tuple[tuple[str, str, float], ...]] = {
    "火锅食材": (
        ("牛油火锅底料", "袋", 28.0),
        ("清油火锅底料", "袋", 24.0),
        ("番茄火锅底料", "袋", 18.0),
        ("鲜毛肚", "kg", 68.0),
        ("千层肚", "kg", 42.0),
        ("鲜鸭肠", "kg", 38.0),
        ("黄喉", "kg", 56.0),
        ("鲜鸭血", "盒", 4.5),
        ("午餐肉", "罐", 16.0),
        ("虾滑", "袋", 32.0),
        ("牛肉丸", "kg", 36.0),
        ("麻辣牛肉", "kg", 78.0),
        ("手切羊肉卷", "kg", 88.0),
        ("肥牛卷", "kg", 62.0),
        ("腐竹", "kg", 22.0),
        ("冻豆腐", "kg", 9.0),
        ("红薯宽粉", "袋", 8.0),
        ("鹌鹑蛋", "kg", 18.0),
    ),
    "川菜调料": (
        ("郫县豆瓣酱", "袋", 15.0),
        ("汉源花椒", "kg", 160.0),
        ("二荆条干辣椒", "kg", 38.0),
        ("朝天椒", "kg", 32.0),
        ("藤椒油", "瓶", 26.0),
        ("红油", "桶", 85.0),
        ("泡椒", "kg", 12.0),
        ("泡姜", "kg", 10.0),
        ("永川豆豉", "袋", 6.0),
        ("鸡精", "袋", 24.0),
        ("保宁醋", "瓶", 9.0),
        ("生抽酱油", "桶", 48.0),
        ("水煮鱼调料", "袋", 12.0),
        ("麻婆豆腐调料", "袋", 8.0),
        ("回锅肉调料", "袋", 8.0),
        ("鱼香肉丝调料", "袋", 8.0),
    ),
    "速冻小吃": (
        ("红糖糍粑", "袋", 22.0),
        ("手工汤圆", "袋", 16.0),
        ("猪肉白菜水饺", "袋", 25.0),
        ("小酥肉", "kg", 42.0),
        ("钟水饺", "袋", 28.0),
        ("龙抄手", "袋", 26.0),
        ("春卷", "袋", 18.0),
        ("油条", "袋", 15.0),
        ("葱油饼", "袋", 20.0),
        ("南瓜饼", "袋", 19.0),
        ("叶儿粑", "袋", 24.0),
        ("蒸饺", "袋", 23.0),
    ),
    "鲜肉": (
        ("猪五花", "kg", 28.0),
        ("猪前腿肉", "kg", 26.0),
        ("猪排骨", "kg", 38.0),
        ("猪蹄", "kg", 30.0),
        ("鲜鸡腿", "kg", 18.0),
        ("整鸡", "只", 45.0),
        ("鸡翅中", "kg", 46.0),
        ("牛腩", "kg", 68.0),
        ("牛腱子", "kg", 78.0),
        ("鲜鸭", "只", 40.0),
    ),
    "蔬菜": (
        ("土豆", "kg", 3.0),
        ("大白菜", "kg", 2.0),
        ("莲花白", "kg", 2.5),
        ("青椒", "kg", 6.0),
        ("黄瓜", "kg", 5.0),
        ("番茄", "kg", 6.0),
        ("黄豆芽", "kg", 3.5),
        ("莴笋", "kg", 5.0),
        ("莲藕", "kg", 7.0),
        ("生菜", "kg", 6.5),
        ("蒜苗", "kg", 9.0),
        ("大葱", "kg", 5.0),
        ("生姜", "kg", 12.0),
        ("大蒜", "kg", 10.0),
        ("香菜", "kg", 14.0),
        ("茄子", "kg", 5.5),
    ),
    "水产": (
        ("草鱼", "kg", 16.0),
        ("鲈鱼", "kg", 36.0),
        ("黑鱼片", "kg", 48.0),
        ("基围虾", "kg", 78.0),
        ("鱿鱼", "kg", 32.0),
        ("牛蛙", "kg", 34.0),
        ("小龙虾", "kg", 45.0),
        ("花甲", "kg", 14.0),
        ("巴沙鱼片", "kg", 22.0),
    ),
    "粮油": (
        ("东北大米", "袋", 135.0),
        ("菜籽油", "桶", 165.0),
        ("大豆油", "桶", 118.0),
        ("高筋面粉", "袋", 95.0),
        ("鸡蛋面", "箱", 68.0),
        ("龙口粉丝", "箱", 85.0),
        ("糯米", "袋", 110.0),
        ("玉米淀粉", "袋", 45.0),
        ("鲜鸡蛋", "箱", 120.0),
    ),
    "冻品": (
        ("冻鸡翅根", "箱", 220.0),
        ("冻鸡爪", "箱", 260.0),
        ("冻猪肚", "箱", 330.0),
        ("冻牛百叶", "箱", 280.0),
        ("冻鸭掌", "箱", 240.0),
        ("冻鸡排", "箱", 180.0),
        ("冷冻薯条", "箱", 150.0),
        ("冻虾仁", "箱", 380.0),
        ("冻鱼丸", "箱", 160.0),
    ),
}

# Units sold by weight: quantities are rounded to half a kilogram, the others to whole units.
WEIGHED_UNITS = frozenset({"kg"})

# Kinds of customer (the model's ``cuisine`` column) with their share of the book, their
# default channel and the category mix they buy (shares in CATEGORIES order:
# 火锅食材 川菜调料 速冻小吃 鲜肉 蔬菜 水产 粮油 冻品).
CUISINES: dict[str, tuple[float, str, tuple[float, ...]]] = {
    "火锅": (0.20, "online", (40, 12, 5, 12, 15, 6, 5, 5)),
    "串串": (0.06, "online", (35, 15, 5, 12, 15, 5, 5, 8)),
    "川菜": (0.17, "online", (5, 25, 5, 20, 22, 8, 10, 5)),
    "湘菜": (0.06, "online", (4, 20, 5, 22, 25, 10, 10, 4)),
    "粤菜": (0.05, "offline", (2, 5, 6, 20, 25, 25, 10, 7)),
    "烧烤": (0.08, "online", (8, 15, 5, 25, 15, 10, 5, 17)),
    "快餐": (0.10, "online", (2, 12, 15, 20, 22, 5, 16, 8)),
    "面馆": (0.07, "online", (3, 18, 10, 20, 15, 2, 28, 4)),
    "西餐": (0.03, "offline", (1, 3, 10, 25, 20, 15, 10, 16)),
    "食堂": (0.06, "offline", (2, 10, 10, 20, 28, 5, 20, 5)),
    "批发": (0.06, "wholesale", (15, 15, 20, 5, 5, 5, 10, 25)),
    "商超": (0.06, "retail", (10, 15, 30, 5, 10, 5, 15, 10)),
}
CUISINE_NAMES: tuple[str, ...] = tuple(CUISINES)


def cuisine_mix() -> np.ndarray:
    """Category shares per cuisine, shape (n_cuisines, n_categories), rows summing to 1."""
    m = np.array([CUISINES[c][2] for c in CUISINE_NAMES], dtype=np.float64)
    shares: np.ndarray = m / m.sum(axis=1, keepdims=True)
    return shares


def catalogue() -> tuple[list[str], list[str], list[str], np.ndarray, np.ndarray]:
    """The catalogue in category order: names, units, category names, category index, prices.

    Returns
    -------
    names, units, categories, category_index, list_price_yuan
        One entry per SKU; ``category_index`` indexes :data:`CATEGORIES`.
    """
    names: list[str] = []
    units: list[str] = []
    cats: list[str] = []
    idx: list[int] = []
    prices: list[float] = []
    for ci, cat in enumerate(CATEGORIES):
        for name, unit, price in PRODUCTS[cat]:
            names.append(name)
            units.append(unit)
            cats.append(cat)
            idx.append(ci)
            prices.append(price)
    return names, units, cats, np.array(idx, dtype=np.int8), np.array(prices)
