"""Real delivery districts (省/市/区) the generated distributor serves.

A small embedded table is enough: the generator needs believable, real names and district
codes (GB/T 2260), not the whole country. The book is weighted towards Sichuan and Chongqing
because the modelled distributor sells Sichuan-style frozen food and hot-pot ingredients.
"""

from __future__ import annotations

from typing import NamedTuple


class District(NamedTuple):
    """One delivery district."""

    code: str
    province: str
    city: str
    district: str


# (province, city, weight of the city in the book, districts as (code, name)).
_CITIES: tuple[tuple[str, str, float, tuple[tuple[str, str], ...]], ...] = (
    (
        "四川省",
        "成都市",
        30.0,
        (
            ("510104", "锦江区"),
            ("510105", "青羊区"),
            ("510106", "金牛区"),
            ("510107", "武侯区"),
            ("510108", "成华区"),
            ("510112", "龙泉驿区"),
            ("510116", "双流区"),
            ("510117", "郫都区"),
        ),
    ),
    ("四川省", "绵阳市", 3.0, (("510703", "涪城区"), ("510704", "游仙区"))),
    (
        "重庆市",
        "重庆市",
        15.0,
        (
            ("500103", "渝中区"),
            ("500105", "江北区"),
            ("500106", "沙坪坝区"),
            ("500107", "九龙坡区"),
            ("500108", "南岸区"),
            ("500112", "渝北区"),
        ),
    ),
    (
        "广东省",
        "广州市",
        5.0,
        (
            ("440104", "越秀区"),
            ("440105", "海珠区"),
            ("440106", "天河区"),
            ("440111", "白云区"),
            ("440113", "番禺区"),
        ),
    ),
    (
        "广东省",
        "深圳市",
        4.0,
        (
            ("440303", "罗湖区"),
            ("440304", "福田区"),
            ("440305", "南山区"),
            ("440306", "宝安区"),
            ("440307", "龙岗区"),
        ),
    ),
    (
        "湖南省",
        "长沙市",
        7.0,
        (
            ("430102", "芙蓉区"),
            ("430103", "天心区"),
            ("430104", "岳麓区"),
            ("430105", "开福区"),
            ("430111", "雨花区"),
        ),
    ),
    (
        "北京市",
        "北京市",
        5.0,
        (
            ("110101", "东城区"),
            ("110102", "西城区"),
            ("110105", "朝阳区"),
            ("110106", "丰台区"),
            ("110108", "海淀区"),
        ),
    ),
    (
        "上海市",
        "上海市",
        5.0,
        (
            ("310101", "黄浦区"),
            ("310104", "徐汇区"),
            ("310105", "长宁区"),
            ("310106", "静安区"),
            ("310112", "闵行区"),
            ("310115", "浦东新区"),
        ),
    ),
    (
        "浙江省",
        "杭州市",
        4.0,
        (
            ("330102", "上城区"),
            ("330105", "拱墅区"),
            ("330106", "西湖区"),
            ("330108", "滨江区"),
            ("330110", "余杭区"),
        ),
    ),
    (
        "湖北省",
        "武汉市",
        5.0,
        (
            ("420102", "江岸区"),
            ("420103", "江汉区"),
            ("420106", "武昌区"),
            ("420111", "洪山区"),
        ),
    ),
    (
        "陕西省",
        "西安市",
        4.0,
        (
            ("610102", "新城区"),
            ("610103", "碑林区"),
            ("610112", "未央区"),
            ("610113", "雁塔区"),
        ),
    ),
    (
        "江苏省",
        "南京市",
        4.0,
        (
            ("320102", "玄武区"),
            ("320104", "秦淮区"),
            ("320105", "建邺区"),
            ("320106", "鼓楼区"),
        ),
    ),
    ("贵州省", "贵阳市", 2.5, (("520102", "南明区"), ("520103", "云岩区"), ("520115", "观山湖区"))),
    ("云南省", "昆明市", 2.5, (("530102", "五华区"), ("530103", "盘龙区"), ("530111", "官渡区"))),
)

DISTRICTS: tuple[District, ...] = tuple(
    District(code, prov, city, name) for prov, city, _, ds in _CITIES for code, name in ds
)

# Weight of each district: its city's weight shared equally among the city's districts.
DISTRICT_WEIGHTS: tuple[float, ...] = tuple(
    weight / len(ds) for _, _, weight, ds in _CITIES for _ in ds
)

# Real streets where we know them; a generic list elsewhere.
_ROADS: dict[str, tuple[str, ...]] = {
    "成都市": (
        "春熙路",
        "人民南路",
        "天府大道",
        "科华北路",
        "玉林路",
        "建设路",
        "蜀都大道",
        "府青路",
        "红星路",
        "一环路",
        "武侯祠大街",
        "宽窄巷子",
    ),
    "重庆市": (
        "解放碑",
        "观音桥",
        "民权路",
        "五一路",
        "建新北路",
        "南坪正街",
        "杨家坪",
        "沙坪坝正街",
        "金开大道",
        "洪崖洞",
    ),
    "广州市": ("天河路", "北京路", "中山五路", "江南大道", "体育西路", "番禺大道"),
    "深圳市": ("深南大道", "华强北路", "东门路", "南山大道", "宝安大道"),
    "长沙市": ("五一大道", "黄兴路", "坡子街", "芙蓉路", "韶山路", "太平街"),
    "北京市": ("王府井大街", "朝阳路", "中关村大街", "簋街", "西单北大街", "望京街"),
    "上海市": ("南京东路", "淮海中路", "徐家汇路", "陆家嘴环路", "静安寺路", "虹桥路"),
}
_GENERIC_ROADS = (
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "新华路",
    "文化路",
    "和平路",
    "胜利路",
    "光明路",
    "青年路",
    "东风路",
    "长江路",
    "滨江路",
    "迎宾大道",
)


def roads(city: str) -> tuple[str, ...]:
    """Street names to use for addresses and outlet names in ``city``."""
    return _ROADS.get(city, ()) + _GENERIC_ROADS


# Short city names used in company names (成都某某餐饮管理有限公司).
def city_short(city: str) -> str:
    """The city without its 市 suffix."""
    return city[:-1] if city.endswith("市") else city
