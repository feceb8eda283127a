"""The static world: districts, facilities, truck kinds, names, geometry."""

import math
from datetime import datetime, timedelta, timezone

CST = timezone(timedelta(hours=8))
ROOT = "wt/v1"
SEEDED_START = "2023-08-07T06:00:00+08:00"

# Plate characters after the province and city letter: no I and no O.
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"

# District: (centre lat, lon, admin code, short code used in site ids).
DISTRICTS = {
    "朝阳区": (43.850, 125.290, "220104", "CY"),
    "南关区": (43.865, 125.350, "220102", "NG"),
    "绿园区": (43.885, 125.250, "220106", "LY"),
    "宽城区": (43.920, 125.330, "220103", "KC"),
}

# Facility id: (kind, district, harmless, lat, lon, name, daily capacity in t).
# CC-KWP-01's gate is the reference point the example payloads use.
FACILITIES = {
    "CC-KWP-01": ("food_waste_plant", "朝阳区", True, 43.883412, 125.314567,
                  "长春市餐厨垃圾处理厂", 600),
    "CC-TS-02": ("transfer_station", "绿园区", False, 43.905210, 125.235480,
                 "绿园区生活垃圾转运站", 800),
    "CC-INC-02": ("incinerator", "宽城区", True, 43.985130, 125.361920,
                  "长春市生活垃圾焚烧发电厂（二期）", 2400),
    "CC-LF-01": ("sanitary_landfill", "南关区", True, 43.790650, 125.455310,
                 "长春市生活垃圾卫生填埋场", 1500),
    "CC-RC-01": ("recycling_center", "朝阳区", False, 43.834870, 125.224960,
                 "长春市再生资源分拣中心", 300),
    "CC-HW-01": ("hw_facility", "绿园区", True, 43.955320, 125.214770,
                 "长春某危险废物处置中心", 100),
    "CC-CW-01": ("cw_recycling", "朝阳区", False, 43.800140, 125.199630,
                 "长春市建筑垃圾资源化利用厂", 5000),
    # The streams of wtsimlib.streams: clinics' medical waste, farm film
    # and pesticide packaging from the rural districts.
    "CC-MW-01": ("mw_facility", "绿园区", True, 43.936410, 125.186230,
                 "长春市医疗废物集中处置中心", 60),
    "CC-AG-01": ("recycling_center", "双阳区", False, 43.531280, 125.671940,
                 "双阳区废旧农膜回收利用站", 80),
}

# Rural districts: farm collection points only (no urban collection sites).
RURAL_DISTRICTS = {
    "双阳区": (43.525, 125.665, "220112", "SY"),
    "九台区": (44.151, 125.839, "220113", "JT"),
}

# The registry kind of a collection site type (wastetrack.yaml generators:).
SITE_KINDS = {"XQ": "residential", "CT": "enterprise", "SC": "market",
              "JD": "residential", "HS": "residential", "GD": "construction_site",
              "QY": "enterprise"}

# Truck kind: fleet-id prefix, waste category, manifest scheme, manifest prefix,
# (facility, weight) choices, share of the fleet, tare range kg, load range kg,
# site types, loading minutes.
KINDS = {
    "kitchen": dict(prefix="KW", waste="msw.food", scheme="CN_KW", mprefix="KW",
                    facilities=[("CC-KWP-01", 1)], share=0.30,
                    tare=(13000, 13600), load=(2000, 6000),
                    sites=["XQ", "CT", "SC"], loading=(5, 12)),
    "residual": dict(prefix="RS", waste="msw.residual", scheme="OTHER", mprefix="RS",
                     facilities=[("CC-TS-02", 6), ("CC-INC-02", 3), ("CC-LF-01", 1)],
                     share=0.35, tare=(15000, 16500), load=(5000, 9000),
                     sites=["XQ", "SC", "JD"], loading=(8, 18)),
    "recyclable": dict(prefix="RC", waste="msw.recyclable", scheme="OTHER", mprefix="RC",
                       facilities=[("CC-RC-01", 1)], share=0.15,
                       tare=(6000, 7500), load=(800, 3000),
                       sites=["HS", "XQ"], loading=(5, 15)),
    "construction": dict(prefix="CW", waste="cw.excavated_soil", scheme="CN_CW",
                         mprefix="CW", facilities=[("CC-CW-01", 1)], share=0.15,
                         tare=(14000, 16000), load=(15000, 28000),
                         sites=["GD"], loading=(10, 25)),
    "hazardous": dict(prefix="HW", waste="hw", scheme="CN_HW", mprefix=None,
                      facilities=[("CC-HW-01", 1)], share=0.05,
                      tare=(9000, 11000), load=(500, 6000),
                      sites=["QY"], loading=(15, 40)),
}
KIND_ORDER = ["kitchen", "residual", "recyclable", "construction", "hazardous"]

SITE_NAMES = {"XQ": "小区", "CT": "餐厅", "SC": "农贸市场", "JD": "街道收集点",
              "HS": "再生资源回收站", "GD": "项目工地", "QY": "有限公司"}
WORDS = ["恒通", "瑞丰", "华晟", "东驰", "北辰", "嘉禾", "宏远", "金盛", "长兴", "永安",
         "鼎泰", "润泽", "和顺", "锦程", "新元", "天宇", "盛世", "安居", "明珠", "春华"]
INDUSTRIES = ["汽车零部件", "机械加工", "精细化工", "印刷包装", "电子科技", "轨道客车配件"]

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

M_PER_DEG_LAT = 111320.0


def credit_code(rng, admin):
    """An 18-character unified social credit code with a valid GB 32100 check."""
    # Registered since 2015: "MA" then mostly digits in the organisation code.
    body = "91" + admin + "MA" + "".join(
        rng.choice(CREDIT_CHARS if rng.random() < 0.3 else "0123456789") for _ in range(7))
    s = sum(CREDIT_CHARS.index(c) * w for c, w in zip(body, CREDIT_WEIGHTS))
    return body + CREDIT_CHARS[(31 - s % 31) % 31]


def rfc3339(ms):
    return datetime.fromtimestamp(ms / 1000, CST).isoformat(timespec="seconds")


def local_day(ms):
    return datetime.fromtimestamp(ms / 1000, CST).strftime("%Y%m%d")


def dist_m(a, b):
    dy = (b[0] - a[0]) * M_PER_DEG_LAT
    dx = (b[1] - a[1]) * M_PER_DEG_LAT * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def bearing(a, b):
    dy = b[0] - a[0]
    dx = (b[1] - a[1]) * math.cos(math.radians(a[0]))
    return (math.degrees(math.atan2(dx, dy)) + 360.0) % 360.0


def offset(rng, p, metres):
    """A point within `metres` of p."""
    r = metres * math.sqrt(rng.random())
    a = rng.random() * 2 * math.pi
    return (p[0] + r * math.cos(a) / M_PER_DEG_LAT,
            p[1] + r * math.sin(a) / (M_PER_DEG_LAT * math.cos(math.radians(p[0]))))


class Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)
