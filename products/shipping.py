"""Each shop's shipping rule: a flat fee per order, free above a threshold, places not served.

A shop's `no_shipping_regions` lists Chinese province names separated by commas (full or short:
"西藏自治区" or "西藏"); "境外" (or "海外") there means the shop ships only within mainland China.
"""

import re

#: The mainland's provincial-level divisions as (Chinese, English): the address form's choices.
PROVINCES: tuple[tuple[str, str], ...] = (
    ("北京市", "Beijing"),
    ("天津市", "Tianjin"),
    ("河北省", "Hebei"),
    ("山西省", "Shanxi"),
    ("内蒙古自治区", "Inner Mongolia"),
    ("辽宁省", "Liaoning"),
    ("吉林省", "Jilin"),
    ("黑龙江省", "Heilongjiang"),
    ("上海市", "Shanghai"),
    ("江苏省", "Jiangsu"),
    ("浙江省", "Zhejiang"),
    ("安徽省", "Anhui"),
    ("福建省", "Fujian"),
    ("江西省", "Jiangxi"),
    ("山东省", "Shandong"),
    ("河南省", "Henan"),
    ("湖北省", "Hubei"),
    ("湖南省", "Hunan"),
    ("广东省", "Guangdong"),
    ("广西壮族自治区", "Guangxi"),
    ("海南省", "Hainan"),
    ("重庆市", "Chongqing"),
    ("四川省", "Sichuan"),
    ("贵州省", "Guizhou"),
    ("云南省", "Yunnan"),
    ("西藏自治区", "Tibet"),
    ("陕西省", "Shaanxi"),
    ("甘肃省", "Gansu"),
    ("青海省", "Qinghai"),
    ("宁夏回族自治区", "Ningxia"),
    ("新疆维吾尔自治区", "Xinjiang"),
)
PROVINCE_NAMES = frozenset(name for name, _ in PROVINCES)
#: Words in no_shipping_regions that mean "not outside mainland China".
ABROAD_WORDS = frozenset({"境外", "海外", "国外"})

_SUFFIXES = re.compile(r"(壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市)$")


def short_province(name: str) -> str:
    """'西藏自治区' -> '西藏', '四川省' -> '四川' (how people often write them)."""
    return _SUFFIXES.sub("", name.strip())


def excluded_places(shop) -> set[str]:
    """The short province names (and abroad words) a shop does not ship to."""
    words = re.split(r"[,，、;；\s]+", shop.no_shipping_regions or "")
    return {short_province(word) if word not in ABROAD_WORDS else word for word in words if word}


def ships_to(shop, province: str | None) -> bool:
    """True when the shop delivers to this mainland province (None: an address abroad)."""
    excluded = excluded_places(shop)
    if province is None:
        return not excluded & ABROAD_WORDS
    return short_province(province) not in excluded


def shipping_fee_fen(shop, items_fen: int) -> int:
    """The shop's flat fee for an order of this value; nothing at or above its free threshold."""
    threshold = shop.free_shipping_over_fen
    if threshold is not None and items_fen >= threshold:
        return 0
    return shop.shipping_fee_fen or 0
