"""Administrative regions by GB/T 2260 code: every provincial-level division, and the cities
the platform's demo and first deployments use. A six-digit code ``PPCCxx`` nests: ``PP0000`` is
the province, ``PPCC00`` a prefecture-level city inside it.
"""

from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .i18n import is_chinese_active


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    name_zh: str

    @property
    def is_province(self) -> bool:
        return self.code.endswith("0000")

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def display_name(self) -> str:
        return self.name_zh if is_chinese_active() else self.name

    def contains(self, other_code: str) -> bool:
        """Whether ``other_code`` lies inside this region (a province contains its cities)."""
        if self.is_province:
            return other_code[:2] == self.code[:2]
        if self.code.endswith("00"):
            return other_code[:4] == self.code[:4]
        return other_code == self.code


_DATA = (
    ("110000", "Beijing", "北京市"),
    ("120000", "Tianjin", "天津市"),
    ("130000", "Hebei", "河北省"),
    ("130100", "Shijiazhuang", "石家庄市"),
    ("140000", "Shanxi", "山西省"),
    ("140100", "Taiyuan", "太原市"),
    ("150000", "Inner Mongolia", "内蒙古自治区"),
    ("150100", "Hohhot", "呼和浩特市"),
    ("210000", "Liaoning", "辽宁省"),
    ("210100", "Shenyang", "沈阳市"),
    ("210200", "Dalian", "大连市"),
    ("220000", "Jilin", "吉林省"),
    ("220100", "Changchun", "长春市"),
    ("230000", "Heilongjiang", "黑龙江省"),
    ("230100", "Harbin", "哈尔滨市"),
    ("310000", "Shanghai", "上海市"),
    ("320000", "Jiangsu", "江苏省"),
    ("320100", "Nanjing", "南京市"),
    ("320500", "Suzhou", "苏州市"),
    ("330000", "Zhejiang", "浙江省"),
    ("330100", "Hangzhou", "杭州市"),
    ("330200", "Ningbo", "宁波市"),
    ("340000", "Anhui", "安徽省"),
    ("340100", "Hefei", "合肥市"),
    ("350000", "Fujian", "福建省"),
    ("350100", "Fuzhou", "福州市"),
    ("350200", "Xiamen", "厦门市"),
    ("360000", "Jiangxi", "江西省"),
    ("360100", "Nanchang", "南昌市"),
    ("370000", "Shandong", "山东省"),
    ("370100", "Jinan", "济南市"),
    ("370200", "Qingdao", "青岛市"),
    ("410000", "Henan", "河南省"),
    ("410100", "Zhengzhou", "郑州市"),
    ("420000", "Hubei", "湖北省"),
    ("420100", "Wuhan", "武汉市"),
    ("430000", "Hunan", "湖南省"),
    ("430100", "Changsha", "长沙市"),
    ("440000", "Guangdong", "广东省"),
    ("440100", "Guangzhou", "广州市"),
    ("440300", "Shenzhen", "深圳市"),
    ("441900", "Dongguan", "东莞市"),
    ("450000", "Guangxi", "广西壮族自治区"),
    ("450100", "Nanning", "南宁市"),
    ("460000", "Hainan", "海南省"),
    ("460100", "Haikou", "海口市"),
    ("500000", "Chongqing", "重庆市"),
    ("510000", "Sichuan", "四川省"),
    ("510100", "Chengdu", "成都市"),
    ("520000", "Guizhou", "贵州省"),
    ("520100", "Guiyang", "贵阳市"),
    ("530000", "Yunnan", "云南省"),
    ("530100", "Kunming", "昆明市"),
    ("540000", "Tibet", "西藏自治区"),
    ("540100", "Lhasa", "拉萨市"),
    ("610000", "Shaanxi", "陕西省"),
    ("610100", "Xi'an", "西安市"),
    ("620000", "Gansu", "甘肃省"),
    ("620100", "Lanzhou", "兰州市"),
    ("630000", "Qinghai", "青海省"),
    ("630100", "Xining", "西宁市"),
    ("640000", "Ningxia", "宁夏回族自治区"),
    ("640100", "Yinchuan", "银川市"),
    ("650000", "Xinjiang", "新疆维吾尔自治区"),
    ("650100", "Urumqi", "乌鲁木齐市"),
    ("710000", "Taiwan", "台湾省"),
    ("810000", "Hong Kong", "香港特别行政区"),
    ("820000", "Macao", "澳门特别行政区"),
)

REGIONS: dict[str, Region] = {code: Region(code, name, name_zh) for code, name, name_zh in _DATA}


def get_region(code: str) -> Region | None:
    return REGIONS.get(code)


def region_name(code: str) -> str:
    region = REGIONS.get(code)
    return region.display_name if region else code


def provinces() -> list[Region]:
    return [region for region in REGIONS.values() if region.is_province]


@cache
def _children() -> dict[str, tuple[Region, ...]]:
    grouped: dict[str, list[Region]] = {}
    for region in REGIONS.values():
        if not region.is_province:
            grouped.setdefault(region.province_code, []).append(region)
    return {code: tuple(items) for code, items in grouped.items()}


def cities_of(province_code: str) -> tuple[Region, ...]:
    return _children().get(province_code, ())


def region_choices() -> list[tuple[str, str]]:
    """Grouped choices for a select: each province followed by its cities, indented."""
    choices = []
    for province in provinces():
        choices.append((province.code, province.display_name))
        choices.extend((city.code, f"— {city.display_name}") for city in cities_of(province.code))
    return choices


def validate_region_code(value: str) -> None:
    if value not in REGIONS:
        raise ValidationError(
            _("%(code)s is not a region code this platform knows (GB/T 2260)."),
            code="unknown_region",
            params={"code": value},
        )
