"""A tile map of China for the exhibition page: one square per province-level division.

Each division is a tile in its rough geographic place on a 7 x 8 grid (Heilongjiang top right,
Xinjiang and Tibet on the left, Hainan at the bottom), as the well-known US state tile maps do.
A tile map draws no borders, so it needs no border data and cannot get a border wrong; it is
drawn server-side as inline SVG (no map service, no outside request).

Provinces with regions of the programme are highlighted and link to their first region's page.
"""

from dataclasses import dataclass

#: Side of one grid cell in SVG user units; a tile leaves a small gap to its neighbours.
CELL = 60
GAP = 4


@dataclass(frozen=True)
class Division:
    """One province-level division: ISO 3166-2:CN code, short names, place on the grid."""

    code: str
    name_zh: str
    name_en: str
    x: int
    y: int


#: Short names as maps write them (河北, not 河北省); the grid follows longitude and latitude.
DIVISIONS = (
    Division("HL", "黑龙江", "Heilongjiang", 6, 0),
    Division("NM", "内蒙古", "Inner Mongolia", 3, 1),
    Division("BJ", "北京", "Beijing", 4, 1),
    Division("LN", "辽宁", "Liaoning", 5, 1),
    Division("JL", "吉林", "Jilin", 6, 1),
    Division("XJ", "新疆", "Xinjiang", 0, 2),
    Division("GS", "甘肃", "Gansu", 1, 2),
    Division("NX", "宁夏", "Ningxia", 2, 2),
    Division("SX", "山西", "Shanxi", 3, 2),
    Division("HE", "河北", "Hebei", 4, 2),
    Division("TJ", "天津", "Tianjin", 5, 2),
    Division("XZ", "西藏", "Tibet", 0, 3),
    Division("QH", "青海", "Qinghai", 1, 3),
    Division("SN", "陕西", "Shaanxi", 2, 3),
    Division("HA", "河南", "Henan", 3, 3),
    Division("SD", "山东", "Shandong", 4, 3),
    Division("JS", "江苏", "Jiangsu", 5, 3),
    Division("SC", "四川", "Sichuan", 1, 4),
    Division("CQ", "重庆", "Chongqing", 2, 4),
    Division("HB", "湖北", "Hubei", 3, 4),
    Division("AH", "安徽", "Anhui", 4, 4),
    Division("SH", "上海", "Shanghai", 5, 4),
    Division("YN", "云南", "Yunnan", 1, 5),
    Division("GZ", "贵州", "Guizhou", 2, 5),
    Division("HN", "湖南", "Hunan", 3, 5),
    Division("JX", "江西", "Jiangxi", 4, 5),
    Division("ZJ", "浙江", "Zhejiang", 5, 5),
    Division("GX", "广西", "Guangxi", 2, 6),
    Division("GD", "广东", "Guangdong", 3, 6),
    Division("FJ", "福建", "Fujian", 4, 6),
    Division("TW", "台湾", "Taiwan", 5, 6),
    Division("HI", "海南", "Hainan", 2, 7),
    Division("MO", "澳门", "Macao", 3, 7),
    Division("HK", "香港", "Hong Kong", 4, 7),
)

COLUMNS = max(division.x for division in DIVISIONS) + 1
ROWS = max(division.y for division in DIVISIONS) + 1


def division_of(region) -> Division | None:
    """The division a region lies in, read from its Chinese province name (河北省 -> 河北)."""
    province = (region.province_zh or "").strip()
    for division in DIVISIONS:
        if province.startswith(division.name_zh):
            return division
    return None


@dataclass(frozen=True)
class Tile:
    """A division placed on the map, with the programme's regions in it (maybe none)."""

    division: Division
    x: int
    y: int
    size: int
    regions: tuple

    @property
    def center_x(self) -> float:
        return self.x + self.size / 2

    @property
    def center_y(self) -> float:
        return self.y + self.size / 2

    @property
    def linked(self):
        """The region this tile links to (the first by display order), or None."""
        return self.regions[0] if self.regions else None


def tile_map(regions) -> dict:
    """Every division as a tile in SVG user units; divisions with regions carry them, in order."""
    by_code: dict[str, list] = {}
    for region in regions:
        division = division_of(region)
        if division is not None:
            by_code.setdefault(division.code, []).append(region)
    tiles = [
        Tile(
            division=division,
            x=division.x * CELL + GAP // 2,
            y=division.y * CELL + GAP // 2,
            size=CELL - GAP,
            regions=tuple(by_code.get(division.code, ())),
        )
        for division in DIVISIONS
    ]
    return {"width": COLUMNS * CELL, "height": ROWS * CELL, "tiles": tiles}
