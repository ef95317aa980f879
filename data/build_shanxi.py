"""Build the Shanxi reference data sets from one set of sourced parameters.

Writes two data sets in the format of docs/data-format.md:

* ``data/shanxi``       13 ISO weeks, 2026-W49 … 2027-W08 (winter, for emergency runs);
* ``data/shanxi-year``  52 ISO weeks of 2027 (spring maintenance, summer peak, winter).

Both come from the parameters below, so their numbers cannot drift apart. Every parameter
is sourced or marked as an estimate in ``data/shanxi/SOURCES.md`` (the S-numbers in the
comments refer to its source list). Units: Mt/yr where named ``*_MT``, otherwise t per week,
CNY per t, km, days.

Usage::

    .venv/bin/python data/build_shanxi.py            # (re)write both folders
    .venv/bin/python data/build_shanxi.py --check    # exit 1 if a folder differs from the script
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WEEKS_PER_YEAR = 52
T_PER_MT = 1_000_000

# ------------------------------------------------------------------------------------------
# Horizons
# ------------------------------------------------------------------------------------------
# One planning year of 52 ISO weeks from the start of the heating season's coldest stretch
# (2026 has 53 ISO weeks): December 2026 to November 2027. The winter set is its first 13 weeks,
# so the two sets share every input of those weeks, including the opening stocks.
YEAR_WEEKS = [(2026, w) for w in range(49, 54)] + [(2027, w) for w in range(1, 48)]
WINTER_WEEKS = YEAR_WEEKS[:13]

# ------------------------------------------------------------------------------------------
# Tariffs (SOURCES.md §4)
# ------------------------------------------------------------------------------------------
RAIL_CNY_PER_TKM = 0.155        # NDRC benchmark 15.51 fen/t·km from 2015-02-01 (S18); all-in ≈0.167 (S20)
HAOJI_CNY_PER_TKM = 0.20        # Haoji 2019 reported rate (S21)
STATION_CNY_PER_T = 12.0        # loading at a siding / loading station (estimate, order of "base rate 1", S20)
RAIL_UNLOAD_CNY_PER_T = 3.0     # unloading and plant siding charges where rail delivers to a consumer (estimate)
TRUCK_FIXED_CNY_PER_T = 5.0     # truck loading (estimate)
TRUCK_CNY_PER_TKM = 0.45        # road haulage 0.3–0.6 CNY/t·km (facts file)
CONVEYOR_FIXED_CNY_PER_T = 2.0  # estimate
CONVEYOR_CNY_PER_TKM = 0.10     # estimate
RESERVE_FIXED_CNY_PER_T = 8.0   # stacking / reclaiming at a reserve base (estimate)
PORT_HANDLING_CNY_PER_T = 20.0  # port handling and loading (estimate)
SEA_DISCHARGE_CNY_PER_T = 10.0  # discharge at the receiving port (estimate)

# ------------------------------------------------------------------------------------------
# Coal by wire (SOURCES.md §6)
# ------------------------------------------------------------------------------------------
GCE_PER_KWH = 305.5             # g standard coal per kWh, 2020 national average (S44)
RAW_PER_STANDARD = 5000 / 7000  # t standard coal per t raw coal of 5,000 kcal/kg (estimate)
T_RAW_PER_MWH = GCE_PER_KWH / 1000 / RAW_PER_STANDARD   # 0.4277 t raw coal per MWh
SENT_OUT_TWH = 157.6            # Shanxi electricity sent out of the province, 2023 (S39)
COAL_SHARE_SENT_OUT = 0.75      # coal-fired share of that (estimate: thermal ≈ 3/4 of Shanxi generation)
# Coal power sent out by wire is set by power contracts, not by coal cost, so each line has a
# contract table entry: the coal-fired energy it sends a year (TWh/yr at the sending end), and
# a demand node at its receiving end that only the line can serve (`dem_uhv_*`, demand = the
# contract × efficiency, in coal-equivalent raw tonnes, shaped like power demand over the year).
# id: (contract TWh/yr coal-fired, efficiency, tariff CNY/kWh, line rating GW, receiving node)
# Yanmenguan(Jinbei)–Huai'an ±800 kV DC: 37.12 TWh in 2022 (H60), 2/3 of it coal-fired (the
# rest is bundled wind; estimate), 8 GW (H60). The other three share the rest of the coal-fired
# 118.2 TWh (SENT_OUT_TWH × COAL_SHARE_SENT_OUT; the per-line split is an estimate): Jindongnan–
# Nanyang–Jingmen 1000 kV AC (120 GWh/day = 5 GW average, S42), Mengxi–Jinbei–Tianjin South and
# Yuheng–Jinzhong–Weifang 1000 kV AC (ratings estimated at 5 GW).
_JINBEI_JIANGSU_TWH = 37.12 * 2 / 3
_AC_TWH = (SENT_OUT_TWH * COAL_SHARE_SENT_OUT - _JINBEI_JIANGSU_TWH) / 3
UHV = {
    "uhv_jinbei_jiangsu": (_JINBEI_JIANGSU_TWH, 0.95, 0.050, 8.0, "dem_uhv_jiangsu"),
    "uhv_jindongnan_jingmen": (_AC_TWH, 0.97, 0.030, 5.0, "dem_uhv_hubei"),
    "uhv_jinbei_tianjin": (_AC_TWH, 0.97, 0.030, 5.0, "dem_uhv_tianjin"),
    "uhv_jinzhong_weifang": (_AC_TWH, 0.96, 0.030, 5.0, "dem_uhv_shandong"),
}

# ------------------------------------------------------------------------------------------
# Supply (SOURCES.md §2)
# ------------------------------------------------------------------------------------------
SHANXI_CAPACITY_MT = 1480       # estimate: above 2023 output 1,378 Mt (S1) and Sept-2024 monthly record 118 Mt (S54)
# city: (share of Shanxi capacity, coking share, large (>=1.2 Mt/yr) share,
#        cost thermal large, cost coking large)   costs CNY/t (estimates anchored on S36)
CITIES = {
    "datong": (0.1294, 0.00, 0.84, 255, None),
    "shuozhou": (0.1706, 0.00, 0.86, 230, None),
    "xinzhou": (0.0941, 0.00, 0.74, 250, None),
    "luliang": (0.1353, 0.60, 0.72, 265, 380),
    "taiyuan": (0.0338, 0.75, 0.82, 300, 400),
    "yangquan": (0.0485, 0.00, 0.80, 330, None),
    "jinzhong": (0.0868, 0.60, 0.72, 280, 390),
    "changzhi": (0.1176, 0.35, 0.78, 300, 360),
    "jincheng": (0.1029, 0.00, 0.80, 320, None),
    "linfen": (0.0809, 0.80, 0.68, 290, 400),
}
# Coal grades (SOURCES.md §12): products are grades; a grade's `serves` is the demand product it
# may be delivered for, blended on receipt. Shuozhou's thermal coal is sold at 4,800 kcal/kg and
# 1.0 % S, Datong's at 5,500 and 0.8 % (F1, Fenwei 2018-05-07); the other cities' thermal, lean
# and anthracite coal and the external coal are taken at the Datong grade (estimate: no figure
# found; Ordos slack coal 5,300 kcal/kg, 0.5 % S, F1). Coking coal has no calorific requirement.
# product: (kcal/kg NAR, sulphur %, serves)
GRADES = {"thermal": (5500, 0.8, ""), "thermal_q4800": (4800, 1.0, "thermal")}
GRADE_OF_CITY = {"shuozhou": "thermal_q4800"}
# Coastal power plants buy on the Q5500 benchmark, with Q5000 and Q4500 also traded (F1); the
# thermal-coal futures base grade allows at most 1 % sulphur (F2). Sea-supplied power demand
# needs a blend of at least 5,000 kcal/kg and at most 1.0 % S (estimate: no plant limit found).
COASTAL_BLEND = (5000, 1.0)
SMALL_EXTRA_COST = {"thermal": 45, "coking": 60}   # small/medium units, lower mechanisation (estimate)
LARGE_MIN_SHARE = 0.20          # hard minimum output of large Shanxi units (SOURCES.md §2, item 7)
# Capacity reserve (产能储备, SOURCES.md §2): extra weekly output of large Shanxi units above
# capacity_t, used only when a scenario calls it up (call_reserve). All three are estimates.
CAPACITY_RESERVE_SHARE = 0.05   # of the unit's capacity
CAPACITY_RESERVE_CALLUP = 40    # CNY/t on top of the production cost (overtime, restart)
CAPACITY_RESERVE_LEAD_WEEKS = 2
# external through-traffic: node: (Mt/yr, cost CNY/t), estimates (SOURCES.md §2). No minimum
# output: it stops when its line stops.
EXTERNAL = {"mine_ext_ordos": (200, 180), "mine_ext_shendong": (280, 170), "mine_ext_mengji": (40, 185)}
# Spring Festival 2027 (6 Feb): capacity factors by ISO week (S37, S38; factors are estimates)
FESTIVAL_SUPPLY = {(2027, 5): 0.92, (2027, 6): 0.80, (2027, 7): 0.95}

# ------------------------------------------------------------------------------------------
# Demand (SOURCES.md §3): annual Mt/yr per node, class, scope
# ------------------------------------------------------------------------------------------
# In province, from the receiving side: power and heat plants' long-term contracts 115.57 Mt
# (2021, F3; check: thermal generation 356.9 TWh less the 118.2 TWh coal-fired sent out, × 0.4277
# t/MWh = 102 Mt, F5); heating 25 of it (estimate), power 90.6 split by plant capacity (estimate).
# Coking 195: coke output ≈ 90.5 Mt (S48) × ≈2.15 t raw coal per t coke (1.33 t washed coking
# coal ÷ 0.62 washing yield; estimate). Other industry: the 400 Mt consumed in the province (S61)
# less power, heat and coking = 89.4 Mt.
DEMAND_MT = {
    "dem_power_north": (28.2, "power", "in_province"),
    "dem_power_central": (32.9, "power", "in_province"),
    "dem_power_south": (29.5, "power", "in_province"),
    "dem_heat_north": (6.5, "residential_heating", "in_province"),
    "dem_heat_taiyuan": (7.0, "residential_heating", "in_province"),
    "dem_heat_central": (5.0, "residential_heating", "in_province"),
    "dem_heat_south": (6.5, "residential_heating", "in_province"),
    "dem_coke_luliang": (65, "industry", "in_province"),
    "dem_coke_jinzhong": (42, "industry", "in_province"),
    "dem_coke_linfen": (44, "industry", "in_province"),
    "dem_coke_changzhi": (23, "industry", "in_province"),
    "dem_steel_taiyuan": (21, "industry", "in_province"),
    "dem_ind_north": (21.1, "industry", "in_province"),
    "dem_ind_central": (37.8, "industry", "in_province"),
    "dem_ind_south": (30.5, "industry", "in_province"),
    # out of province, inland: 535
    "dem_jingjinji_power": (65, "power", "out_of_province"),
    "dem_hebei_south_power": (95, "power", "out_of_province"),
    "dem_tangshan_steel": (22, "industry", "out_of_province"),
    "dem_hebei_steel_south": (35, "industry", "out_of_province"),
    "dem_shandong_power": (109, "power", "out_of_province"),
    "dem_shandong_steel": (32, "industry", "out_of_province"),
    "dem_henan_power": (110, "power", "out_of_province"),
    "dem_henan_industry": (28, "industry", "out_of_province"),
    "dem_hubei_power": (28, "power", "out_of_province"),
    "dem_hunan_jiangxi_power": (9, "power", "out_of_province"),
    # out of province, by sea: 765 = Bohai-rim ≈743 (S34) + Rizhao
    "dem_jiangsu_coast": (210, "power", "out_of_province"),
    "dem_shanghai": (78, "power", "out_of_province"),
    "dem_zhejiang": (165, "power", "out_of_province"),
    "dem_fujian": (90, "power", "out_of_province"),
    "dem_guangdong": (205, "power", "out_of_province"),
    "dem_east_steel_coast": (17, "industry", "out_of_province"),
}
SEA_POWER = {"dem_jiangsu_coast", "dem_shanghai", "dem_zhejiang", "dem_fujian", "dem_guangdong"}
COKING_NODES = {"dem_coke_luliang", "dem_coke_jinzhong", "dem_coke_linfen", "dem_coke_changzhi",
                "dem_steel_taiyuan", "dem_tangshan_steel", "dem_hebei_steel_south",
                "dem_shandong_steel", "dem_henan_industry", "dem_east_steel_coast"}
PENALTY = {"residential_heating": 5000, "power": 4000, "industry_coking": 1500, "industry": 1200}
# Seasonal factors by month (value at mid-month, linear in between; estimates, SOURCES.md §3)
SEASON = {
    "power": [1.08, 1.00, 0.95, 0.88, 0.90, 0.98, 1.10, 1.12, 0.96, 0.88, 0.95, 1.04],
    "industry": [1.00, 0.95, 1.00, 1.02, 1.02, 1.00, 0.98, 0.98, 1.02, 1.02, 1.02, 1.00],
    "residential_heating": [1.90, 1.65, 0.95, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.85, 1.60],
}
# Spring Festival week factors on top (2027-W05 … W07)
FESTIVAL_DEMAND = {
    "power": {(2027, 5): 0.96, (2027, 6): 0.84, (2027, 7): 0.92},
    "industry": {(2027, 5): 0.96, (2027, 6): 0.75, (2027, 7): 0.85},
    "residential_heating": {},
}

# ------------------------------------------------------------------------------------------
# Storage (SOURCES.md §7)
# ------------------------------------------------------------------------------------------
# plant yards, days of the planning year's mean daily demand: (capacity, initial, safety).
# Initial: the stock plants hold at the start of December, from reported days of use — national
# plants 20–22 days in the winters reported (H19, H20: 21–22 days in January 2022; the
# "normal level" is 20 days, H6); industry holds its 3-year average (S45), 15 days (estimate).
# Safety: the 7-day "caution line" (H1; NDRC's 2021 peak-season minimum, H5). One rule for both
# sets: they start in the same week.
PLANT_DAYS = {"power": (45, 21, 7), "residential_heating": (45, 21, 7), "industry": (30, 15, 7)}
PLANT_HOLDING = 1.2
# ports: yard capacity t, initial t (S27, S28, S24, S25; others estimates); safety = 3 days of loading
PORT_YARDS = {
    "port_qinhuangdao": (10_000_000, 6_000_000), "port_caofeidian": (14_000_000, 9_000_000),
    "port_jingtang": (8_700_000, 5_500_000), "port_huanghua": (8_000_000, 6_000_000),
    "port_tianjin": (4_000_000, 2_500_000), "port_rizhao": (3_000_000, 1_800_000),
}
PORT_SAFETY_DAYS = 7             # the same red line as plants (SOURCES.md §5)
PORT_HOLDING = 2.0
# reserve bases: node: (capacity t, {product: share}, kind); initial 60 %, safety 25 %
RESERVES = {
    "stor_res_datong": (2_000_000, {"thermal": 1.0}, "production_area"),
    "stor_res_shuozhou": (2_000_000, {"thermal": 1.0}, "production_area"),
    "stor_res_luliang": (1_500_000, {"thermal": 0.7, "coking": 0.3}, "production_area"),
    "stor_res_changzhi": (1_500_000, {"thermal": 0.7, "coking": 0.3}, "production_area"),
    "stor_res_taiyuan": (1_000_000, {"thermal": 0.7, "coking": 0.3}, "rail_hub"),
    "stor_res_houma": (1_000_000, {"thermal": 1.0}, "rail_hub"),
    "stor_res_xingtai": (1_000_000, {"thermal": 1.0}, "consumption_area"),
    "stor_res_taian": (1_200_000, {"thermal": 1.0}, "consumption_area"),
    "stor_res_henan": (1_000_000, {"thermal": 1.0}, "consumption_area"),
    "stor_res_jingmen": (1_500_000, {"thermal": 1.0}, "consumption_area"),
    "stor_res_rizhao": (2_000_000, {"thermal": 1.0}, "port_transfer"),
}
RESERVE_INITIAL, RESERVE_SAFETY, RESERVE_HOLDING = 0.60, 0.25, 1.5

# ------------------------------------------------------------------------------------------
# Planned corridor maintenance in the year data set (SOURCES.md §4): Daqin spring 集中修 in
# April (25–30 days, daily volume 1.25 → 1.05–1.10 Mt, S55) and autumn (19 days from 7 Oct, S56)
# ------------------------------------------------------------------------------------------
# Wari runs at its working capacity, not its 200 Mt/yr design (S60): what its connected sidings
# can load. 20 sidings were open in July 2024 and 7 being built (H, §6); the eight the Taiyuan
# bureau built collect 60 Mt/yr (7.5 each, H51), Yongxin 10 and Linxian North 3–6 (H62, H63), so
# 20 × 5.5 Mt/yr ≈ 110 Mt/yr (estimate from the siding count; the line's volume is not used).
# It sits on rail_wari_3 (Changzhi → Tangyin), the section every tonne leaving Shanxi by Wari
# passes after the last Shanxi loading point; the other sections keep the design capacity.
WARI_WORKING_MT = 110
MAINTENANCE = {"rail_daqin_main": {**{(2027, w): 0.85 for w in (14, 15, 16, 17)},
                                   **{(2027, w): 0.85 for w in (41, 42, 43)}}}

# mode, truck, clean, kg CO2 per t·km (SOURCES.md §8): rail ETRR 2019 (S49); truck ETRR (S49);
# sea GLEC v3.0 35–60 kdwt bulk carrier 0.0054 TTW (S62) × 1.2 well-to-wheel; conveyor estimate
MODES = [("rail", "false", "true", 0.011), ("truck", "true", "false", 0.09),
         ("sea", "false", "true", 0.0065), ("uhv", "false", "true", 0.0),
         ("conveyor", "false", "true", 0.005)]



# ------------------------------------------------------------------------------------------
# Investment candidates (SOURCES.md §11), written to both data sets. Build costs: the published
# budget where the project has one (C1–C3); else length × SIDING_CNY_PER_KM, the planning rate
# of the two Shanxi coal sidings with published budget and length (H62 Linxian North 89 M CNY/km,
# H63 Yongxin 83 M CNY/km). Fixed O&M 2 % of the build cost a year, 30 years, 8 % (estimates).
# Existing, so not candidates: Linxian North (opened 2018, 17.4 km, H62: part of
# rail_luliang_large__watang) and Yongxin (Anze, opened June 2024, H63).
# ------------------------------------------------------------------------------------------
SIDING_CNY_PER_KM = 86_000_000
SIDING_MT_YR = 5.5      # a mine siding's loading capacity (estimate, as WARI_WORKING_MT)
# id, kind, target (link or node), from, to, mode, km, Mt/yr, build cost CNY (blank = km rule), lifetime, earliest, excludes, requires, tariff, basis
CANDIDATES = """
id,kind,link,node,from,to,mode,distance_km,mt_yr,build_cost_cny,lifetime_years,earliest_period,excludes,requires,tariff,products,basis
siding_tianbang_yuanping,new_link,,,mine_xinzhou_small,hub_ld_xinzhou,rail,40,3,350000000,30,,,,siding,,approved 2023 (C1): 1.668 km joining Beitongpu at Daniudian; 350 M CNY; capacity estimated
siding_zhanglan_jiexiu,new_link,,,mine_jinzhong_small,hub_ld_jiexiu,rail,30,3,,30,,conveyor_fenxi_lingshi,,siding,,approved 2023 (C1); length and capacity estimated; cost by the km rule
conveyor_fenxi_lingshi,new_link,,,mine_jinzhong_small,hub_ld_jiexiu,conveyor,17,5,1200000000,25,,siding_zhanglan_jiexiu,,conveyor_station,,sourced cost and capacity (C3)
siding_pingshu,new_link,,,mine_jinzhong_small,hub_yangquan,rail,16.1,10,,30,,,,siding,,sourced length and capacity (C2); cost by the km rule
pingshu_phase2,link_capacity,siding_pingshu,,,,,,3,300000000,30,2027-W01,,siding_pingshu,,,sourced capacity (C2); cost and opening estimated
siding_gaoping_west,new_link,,,mine_jincheng_small,hub_jincheng,rail,55.88,10,3990000000,30,,,,siding,,approved 2023 (C1): 55.88 km; 3.99 bn CNY; capacity estimated
siding_qinshui_county,new_link,,,mine_jincheng_small,hub_yangcheng,rail,30,5.5,,30,,,,siding,,approved 2023 (C1); length and capacity estimated; cost by the km rule
siding_hudong_plant,new_link,,,hub_ld_datong,dem_power_north,rail,8.34,4,960000000,30,,,,rail_unload,thermal,approved 2023 (C1): 8.34 km; 960 M CNY; capacity estimated
siding_datong_small,new_link,,,mine_datong_small,hub_ld_datong,rail,35,5.5,,30,,,,siding,,cluster siding (estimate; 14th five-year plan lists 11 mine sidings; H65); cost by the km rule
siding_shuozhou_small,new_link,,,mine_shuozhou_small,hub_ld_shuozhou,rail,30,5.5,,30,,,,siding,,cluster siding (estimate; H65); cost by the km rule
siding_changzhi_small,new_link,,,mine_changzhi_small,hub_changzhi,rail,35,5.5,,30,,,,siding,,cluster siding (estimate; H65); cost by the km rule
siding_linfen_small,new_link,,,mine_linfen_small,hub_ld_linfen,rail,40,5.5,,30,,,,siding,,cluster siding (estimate; H65); cost by the km rule
wari_sidings_connect,link_capacity,rail_wari_3,,,,,,38.5,13510000000,30,,,,,,the 7 Wari sidings under construction in 2024 (H; §6) at 5.5 Mt/yr each; 7 × 1.93 bn CNY (mean of Linxian North 1.556 bn and Yongxin 2.3 bn; H62; H63)
uhv_jinbei_second_line,link_capacity,uhv_jinbei_jiangsu,,,,,,,16200000000,40,,,,,,a second line of the same rating (8 GW) at the existing line's cost (S40)
reserve_luliang_sheds,storage_capacity,,stor_res_luliang,,,,,,800000000,30,,,,,,+1 Mt of sheds like the Xingbao project (C6); cost estimated
"""
CANDIDATE_COLUMNS = ["id", "kind", "link", "node", "from", "to", "mode", "distance_km", "cost_cny_per_t", "capacity_t",
                     "products", "build_cost_cny", "lifetime_years", "discount_rate", "fixed_om_cny_per_year",
                     "earliest_period", "excludes", "requires", "basis"]


def candidate_rows() -> list[dict]:
    """candidates.csv rows: per-tonne costs by the link tariffs, build costs by the rule above."""
    rows = []
    for r in read_literal(CANDIDATES):
        km = float(r["distance_km"]) if r["distance_km"] else 0.0
        build = float(r["build_cost_cny"]) if r["build_cost_cny"] else km * SIDING_CNY_PER_KM
        if r["kind"] == "storage_capacity":
            cap = 1_000_000
        elif r["link"].startswith("uhv_"):
            cap = kt(uhv_capacity_t(r["link"]))
        else:
            cap = kt(weekly(float(r["mt_yr"])))
        per_t = {"siding": STATION_CNY_PER_T + RAIL_CNY_PER_TKM * km,
                 "conveyor_station": CONVEYOR_FIXED_CNY_PER_T + CONVEYOR_CNY_PER_TKM * km + STATION_CNY_PER_T,
                 "rail_unload": TRUCK_FIXED_CNY_PER_T + RAIL_CNY_PER_TKM * km, "": None}[r["tariff"]]
        rows.append({**r, "distance_km": r["distance_km"], "cost_cny_per_t": "" if per_t is None else f"{per_t:.1f}",
                     "capacity_t": cap, "build_cost_cny": int(round(build)), "discount_rate": 0.08,
                     "fixed_om_cny_per_year": int(round(build * 0.02))})
    return rows

# ------------------------------------------------------------------------------------------
# Building
# ------------------------------------------------------------------------------------------
def week_label(year: int, week: int) -> str:
    return f"{year}-W{week:02d}"


def week_middle(year: int, week: int) -> dt.date:
    """The Thursday of an ISO week (its middle day)."""
    return dt.date.fromisocalendar(year, week, 4)


def monthly_factor(values: list[float], day: dt.date) -> float:
    """Linear interpolation between mid-month values (the 15th), wrapping over the year end."""
    mids = [dt.date(day.year + dy, m, 15) for dy in (-1, 0, 1) for m in range(1, 13)]
    vals = values * 3
    for i in range(len(mids) - 1):
        if mids[i] <= day <= mids[i + 1]:
            span = (mids[i + 1] - mids[i]).days
            w = (day - mids[i]).days / span
            return vals[i] * (1 - w) + vals[i + 1] * w
    raise ValueError(day)


def _raw_factor(klass: str, year: int, week: int) -> float:
    f = monthly_factor(SEASON[klass], week_middle(year, week))
    return f * FESTIVAL_DEMAND[klass].get((year, week), 1.0)


@functools.lru_cache(maxsize=None)
def _mean_factor(klass: str) -> float:
    return sum(_raw_factor(klass, y, w) for y, w in YEAR_WEEKS) / len(YEAR_WEEKS)


def demand_factor(klass: str, year: int, week: int) -> float:
    """Week's demand relative to the planning year's mean of its class (mean over YEAR_WEEKS = 1)."""
    return _raw_factor(klass, year, week) / _mean_factor(klass)


def weekly(mt_per_year: float) -> float:
    return mt_per_year * T_PER_MT / WEEKS_PER_YEAR


def kt(x: float) -> int:
    """Round tonnes to 1,000 t."""
    return int(round(x / 1000.0)) * 1000


def kt_up(x: float) -> int:
    """Round tonnes up to 1,000 t."""
    return -(-int(round(x)) // 1000) * 1000


def read_literal(text: str) -> list[dict]:
    return [dict(r) for r in _parse_literal(text)]


@functools.lru_cache(maxsize=None)
def _parse_literal(text: str) -> tuple:
    return tuple(csv.DictReader(io.StringIO(text.strip() + "\n")))


def link_cost(row: dict) -> float:
    km = float(row["distance_km"])
    tariff = row["tariff"]
    to_consumer = row["to"].startswith("dem_")
    if tariff == "siding":
        return STATION_CNY_PER_T + RAIL_CNY_PER_TKM * km
    if tariff in ("rail", "rail_haoji"):
        rate = HAOJI_CNY_PER_TKM if tariff == "rail_haoji" else RAIL_CNY_PER_TKM
        return rate * km + (RAIL_UNLOAD_CNY_PER_T if to_consumer else 0.0)
    if tariff == "truck_feeder":
        return TRUCK_FIXED_CNY_PER_T + TRUCK_CNY_PER_TKM * km + STATION_CNY_PER_T
    if tariff == "truck":
        return TRUCK_FIXED_CNY_PER_T + TRUCK_CNY_PER_TKM * km
    if tariff == "conveyor":
        return CONVEYOR_FIXED_CNY_PER_T + CONVEYOR_CNY_PER_TKM * km
    if tariff == "port_load":
        return PORT_HANDLING_CNY_PER_T
    if tariff == "sea":
        return float(row["freight_cny_per_t"]) + SEA_DISCHARGE_CNY_PER_T
    if tariff == "reserve":
        return RESERVE_FIXED_CNY_PER_T + RAIL_CNY_PER_TKM * km
    if tariff == "uhv":
        kwh_per_t = 1000.0 / T_RAW_PER_MWH
        return UHV[row["id"]][2] * kwh_per_t
    raise ValueError(f"unknown tariff {tariff!r} on {row['id']}")


def uhv_contract_t(link_id: str) -> float:
    """Coal entering the mine-mouth plants per week for the line's contracted coal-fired transfer."""
    twh = UHV[link_id][0]
    return twh * 1e6 * T_RAW_PER_MWH / WEEKS_PER_YEAR


def uhv_capacity_t(link_id: str) -> float:
    """Coal the line can take per week at its rating (GW × 168 h), all of it coal-fired."""
    return UHV[link_id][3] * 1000 * 168 * T_RAW_PER_MWH


# Values of the LINKS literal's last column that are link categories, not named rail lines: they go
# to `link_role` and leave `corridor` blank, so that a corridor selector or `screen --elements
# corridors` only ever meets real lines (Daqin, Shuohuang, ...).
LINK_ROLES = {"siding": "siding", "mine_mouth": "mine_mouth", "truck_feeder": "truck_feeder",
              "truck_direct": "truck_direct", "coastal shipping": "coastal_shipping",
              "port loading": "port_loading", "reserve in": "reserve_in", "reserve out": "reserve_out",
              "coal by wire": "coal_by_wire", "Rizhao port": "port_spur"}


def corridor_and_role(row: dict) -> tuple[str, str]:
    """(corridor, link_role) of a LINKS row: a named line keeps its name and is a `main_line`;
    a category moves to `link_role`; a link on no line and in no category is `local_rail`."""
    name = row["corridor"]
    if name in LINK_ROLES:
        return "", LINK_ROLES[name]
    return name, ("main_line" if name else "local_rail")


def build_links(weeks) -> list[dict]:
    rows = []
    for r in read_literal(LINKS.replace("{wari}", f"{WARI_WORKING_MT:g}")):
        corridor, role = corridor_and_role(r)
        if r["tariff"] == "uhv":
            cap = kt(uhv_capacity_t(r["id"]))
            eff = f"{UHV[r['id']][1]:g}"
        else:
            cap = kt(weekly(float(r["cap_mt_yr"]))) if r["cap_mt_yr"] else ""
            eff = ""
        products = ";".join(THERMAL_GRADES) if r["products"] == "thermal" else r["products"]
        base = {"id": r["id"], "from": r["from"], "to": r["to"], "mode": r["mode"],
                "capacity_t": cap, "cost_cny_per_t": f"{link_cost(r):.1f}",
                "distance_km": r["distance_km"], "efficiency": eff, "products": products,
                "period": "", "corridor": corridor, "link_role": role}
        rows.append(base)
        for (y, w), factor in sorted(MAINTENANCE.get(r["id"], {}).items()):
            if (y, w) in weeks:
                rows.append({**{k: "" for k in base}, "id": r["id"], "capacity_t": kt(cap * factor),
                             "period": week_label(y, w), "corridor": corridor, "link_role": role})
    return rows


def mine_rows() -> list[dict]:
    """Period-less supply rows: (node, product, capacity t/week, cost, min, size, origin)."""
    out = []
    for city, (share, coking, large, cost_th, cost_co) in CITIES.items():
        total = weekly(SHANXI_CAPACITY_MT * share)
        for size, size_share in (("large", large), ("small", 1 - large)):
            for product, p_share, cost in (("thermal", 1 - coking, cost_th), ("coking", coking, cost_co)):
                if p_share == 0:
                    continue
                cap = kt(total * size_share * p_share)
                c = cost + (SMALL_EXTRA_COST[product] if size == "small" else 0)
                mn = kt(cap * LARGE_MIN_SHARE) if size == "large" else 0
                grade = GRADE_OF_CITY.get(city, product) if product == "thermal" else product
                out.append((f"mine_{city}_{size}", grade, cap, c, mn, size, "shanxi"))
    for node, (mt, cost) in EXTERNAL.items():
        out.append((node, "thermal", kt(weekly(mt)), cost, 0, "large", "external"))
    return out


def reserve_columns(cap: int, size: str, origin: str) -> dict:
    """Capacity-reserve columns of a period-less supply row (SOURCES.md §2, capacity reserve):
    large Shanxi units only; t per week, CNY per t, weeks."""
    if size != "large" or origin != "shanxi":
        return {"reserve_t": 0, "callup_cny_per_t": "", "lead_weeks": ""}
    return {"reserve_t": kt(cap * CAPACITY_RESERVE_SHARE), "callup_cny_per_t": CAPACITY_RESERVE_CALLUP,
            "lead_weeks": CAPACITY_RESERVE_LEAD_WEEKS}


def build_supply(weeks) -> list[dict]:
    rows = []
    for node, product, cap, cost, mn, size, origin in mine_rows():
        base = {"node": node, "product": product, "capacity_t": cap, "cost_cny_per_t": cost,
                "min_t": mn, "period": "", "size_class": size, "origin": origin}
        rows.append({**base, **reserve_columns(cap, size, origin)})
        if origin != "shanxi":
            continue
        for (y, w), f in sorted(FESTIVAL_SUPPLY.items()):
            if (y, w) in weeks:
                rows.append({**base, "capacity_t": kt(cap * f), "cost_cny_per_t": "",
                             "min_t": kt(mn * f), "period": week_label(y, w)})
    return rows


def node_weekly_demand(node: str, year: int, week: int) -> int:
    if node in UHV_NODES:
        link = UHV_NODES[node]
        return kt(uhv_contract_t(link) * UHV[link][1] * demand_factor("power", year, week))
    mt, klass, _ = DEMAND_MT[node]
    return kt(weekly(mt) * demand_factor(klass, year, week))


def build_demand(weeks) -> list[dict]:
    rows = []
    uhv = {node: (None, "power", "out_of_province") for node in UHV_NODES}
    for node, (mt, klass, scope) in {**DEMAND_MT, **uhv}.items():
        product = "coking" if node in COKING_NODES else "thermal"
        penalty = PENALTY["industry_coking" if product == "coking" and klass == "industry" else klass]
        first, *rest = weeks
        blend = COASTAL_BLEND if node in SEA_POWER else ("", "")
        rows.append({"node": node, "product": product, "demand_t": node_weekly_demand(node, *first),
                     "penalty_cny_per_t": penalty, "period": "", "demand_class": klass, "scope": scope,
                     "min_kcal_per_kg": blend[0], "max_sulphur_pct": blend[1]})
        for y, w in rest:
            rows.append({"node": node, "product": product, "demand_t": node_weekly_demand(node, y, w),
                         "penalty_cny_per_t": "", "period": week_label(y, w),
                         "demand_class": klass, "scope": scope})
    return rows


def build_storage(weeks) -> list[dict]:
    """Storage rows; opening stocks are those of the planning year's first week (early December)."""
    rows = []
    for node, (cap, shares, kind) in RESERVES.items():
        for product, s in shares.items():
            rows.append({"node": node, "product": product, "capacity_t": cap,
                         "initial_t": kt(cap * RESERVE_INITIAL * s), "safety_t": kt(cap * RESERVE_SAFETY * s),
                         "holding_cny_per_t": RESERVE_HOLDING, "period": "", "storage_kind": kind})
    loaders = {r["from"]: weekly(float(r["cap_mt_yr"])) for r in read_literal(LINKS) if r["tariff"] == "port_load"}
    for node, (cap, initial) in PORT_YARDS.items():
        rows.append({"node": node, "product": "thermal", "capacity_t": cap, "initial_t": initial,
                     "safety_t": kt_up(loaders[node] / 7 * PORT_SAFETY_DAYS * 1.01), "holding_cny_per_t": PORT_HOLDING,
                     "period": "", "storage_kind": "port_yard"})
        for grade in THERMAL_GRADES[1:]:   # stacked apart from the main grade, no opening stock (estimate)
            rows.append({"node": node, "product": grade, "capacity_t": cap, "initial_t": 0, "safety_t": 0,
                         "holding_cny_per_t": PORT_HOLDING, "period": "", "storage_kind": "port_yard"})
    for node, (mt, klass, _) in DEMAND_MT.items():
        product = "coking" if node in COKING_NODES else "thermal"
        series = [node_weekly_demand(node, y, w) for y, w in YEAR_WEEKS]
        if klass == "residential_heating":   # days of cover of the heating season, not of summer
            series = [d for d in series if d > 0.5 * max(series)]
        daily = sum(series) / len(series) / 7
        opening_daily = node_weekly_demand(node, *YEAR_WEEKS[0]) / 7   # days of use are at the current burn
        cap_days, initial_days, safety_days = PLANT_DAYS[klass]
        base = {"node": node, "product": product, "capacity_t": kt(daily * cap_days),
                "initial_t": kt(opening_daily * initial_days), "safety_t": kt(daily * safety_days),
                "holding_cny_per_t": PLANT_HOLDING, "period": "", "storage_kind": "plant_yard"}
        rows.append(base)
        # the red line follows the coming week's burn: safety at the end of a week = safety_days
        # of the next week's demand (rounded up), so a plan that keeps it is never flagged red
        # the next week is the planning year's, so the winter set's last week has the same red
        # line as the same week of the year set
        demand = [node_weekly_demand(node, y, w) for y, w in YEAR_WEEKS]
        for i, (y, w) in enumerate(weeks):
            need = demand[min(i + 1, len(YEAR_WEEKS) - 1)]
            rows.append({"node": node, "product": product, "safety_t": kt_up(need / 7 * safety_days * 1.01),
                         "period": week_label(y, w), "storage_kind": "plant_yard"})
    return rows


def network_yaml(name: str, weeks, description: str) -> str:
    labels = ", ".join(week_label(y, w) for y, w in weeks)
    return (f"name: {name}\n"
            f"description: >-\n  {description}\n"
            "currency: CNY\nperiod_days: 7\n"
            f"periods: [{labels}]\n"
            f"products: [{', '.join([*GRADES, 'coking'])}]\n")


def csv_text(rows: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({c: r.get(c, "") for c in columns})
    return buf.getvalue()


THERMAL_GRADES = [g for g, (_, _, serves) in GRADES.items() if g == "thermal" or serves == "thermal"]
UHV_NODES = {v[4]: link for link, v in UHV.items()}   # receiving demand node -> its line


DESCRIPTION = (
    "Shanxi coal logistics reference network, {span}. Aggregated mine units per city (large >= 1.2 Mt/yr "
    "with rail sidings, small/medium by truck), heavy-haul corridors (Daqin, Shuohuang, Wari, Haoji) and "
    "national lines, Bohai-rim ports and Rizhao with coastal shipping, reserve bases, plant stockyards and "
    "four UHV coal-by-wire links. Tonnes are raw-coal tonnes; UHV receiving ends are in coal-equivalent raw "
    "tonnes. Generated by data/build_shanxi.py; sources and estimates: data/shanxi/SOURCES.md.")


def build(name: str, weeks, span: str) -> dict[str, str]:
    """File name -> text for one data set."""
    return {
        "network.yaml": network_yaml(name, weeks, DESCRIPTION.format(span=span)),
        "nodes.csv": NODES.strip() + "\n",
        "supply.csv": csv_text(build_supply(weeks), ["node", "product", "capacity_t", "cost_cny_per_t",
                                                     "min_t", "period", "size_class", "origin",
                                                     "reserve_t", "callup_cny_per_t", "lead_weeks"]),
        "links.csv": csv_text(build_links(weeks), ["id", "from", "to", "mode", "capacity_t", "cost_cny_per_t",
                                                   "distance_km", "efficiency", "products", "period", "corridor",
                                                   "link_role"]),
        "demand.csv": csv_text(build_demand(weeks), ["node", "product", "demand_t", "penalty_cny_per_t",
                                                     "period", "demand_class", "scope", "min_kcal_per_kg",
                                                     "max_sulphur_pct"]),
        "quality.csv": csv_text([{"product": g, "calorific_kcal_per_kg": cv, "sulphur_pct": su, "serves": sv}
                                 for g, (cv, su, sv) in GRADES.items()],
                                ["product", "calorific_kcal_per_kg", "sulphur_pct", "serves"]),
        "storage.csv": csv_text(build_storage(weeks),
                                ["node", "product", "capacity_t", "initial_t", "safety_t",
                                 "holding_cny_per_t", "period", "storage_kind"]),
        "candidates.csv": csv_text(candidate_rows(), CANDIDATE_COLUMNS),
        "modes.csv": csv_text([dict(zip(["mode", "truck", "clean", "co2_kg_per_tkm"], m)) for m in MODES],
                              ["mode", "truck", "clean", "co2_kg_per_tkm"]),
    }


DATASETS = {
    "shanxi": (WINTER_WEEKS, "winter 2026/27 (13 ISO weeks, 2026-W49 to 2027-W08; the first 13 weeks of data/shanxi-year)"),
    "shanxi-year": (YEAR_WEEKS, "the planning year December 2026 to November 2027 (52 ISO weeks, 2026-W49 to 2027-W47)"),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for name, (weeks, span) in DATASETS.items():
        folder = HERE / name
        for fname, text in build(name, weeks, span).items():
            path = folder / fname
            if args.check:
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    stale.append(str(path))
            else:
                folder.mkdir(exist_ok=True)
                path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date with data/build_shanxi.py: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0



# ------------------------------------------------------------------------------------------
# Nodes (ids are stable: scenarios and tests name them)
# ------------------------------------------------------------------------------------------
NODES = """
id,kind,name,region,lon,lat
mine_datong_large,mine,大同(大型矿) Datong large mines,Datong,113.05,40.02
mine_datong_small,mine,大同(中小矿) Datong small/medium mines,Datong,113.2,39.9
mine_shuozhou_large,mine,朔州(大型矿) Shuozhou large mines,Shuozhou,112.3,39.48
mine_shuozhou_small,mine,朔州(中小矿) Shuozhou small/medium mines,Shuozhou,112.55,39.3
mine_xinzhou_large,mine,忻州(大型矿) Xinzhou large mines,Xinzhou,112.05,39.0
mine_xinzhou_small,mine,忻州(中小矿) Xinzhou small/medium mines,Xinzhou,111.6,38.95
mine_luliang_large,mine,吕梁(大型矿) Lüliang large mines,Lüliang,111.1,37.6
mine_luliang_small,mine,吕梁(中小矿) Lüliang small/medium mines,Lüliang,111.35,37.35
mine_taiyuan_large,mine,太原(大型矿) Taiyuan large mines,Taiyuan,112.1,37.9
mine_taiyuan_small,mine,太原(中小矿) Taiyuan small/medium mines,Taiyuan,112.3,37.8
mine_yangquan_large,mine,阳泉(大型矿) Yangquan large mines,Yangquan,113.5,37.9
mine_yangquan_small,mine,阳泉(中小矿) Yangquan small/medium mines,Yangquan,113.4,37.75
mine_jinzhong_large,mine,晋中(大型矿) Jinzhong large mines,Jinzhong,112.0,36.9
mine_jinzhong_small,mine,晋中(中小矿) Jinzhong small/medium mines,Jinzhong,112.8,37.4
mine_changzhi_large,mine,长治(大型矿) Changzhi large mines,Changzhi,112.95,36.35
mine_changzhi_small,mine,长治(中小矿) Changzhi small/medium mines,Changzhi,113.3,36.1
mine_jincheng_large,mine,晋城(大型矿) Jincheng large mines,Jincheng,112.7,35.7
mine_jincheng_small,mine,晋城(中小矿) Jincheng small/medium mines,Jincheng,112.45,35.55
mine_linfen_large,mine,临汾(大型矿) Linfen large mines,Linfen,111.7,36.55
mine_linfen_small,mine,临汾(中小矿) Linfen small/medium mines,Linfen,110.95,36.1
mine_ext_ordos,mine,"鄂尔多斯准格尔(区外,经大准/准池线) Ordos-Zhungeer via Dazhun/Zhunchi (external)",Inner Mongolia (external),111.2,39.85
mine_ext_shendong,mine,"神东矿区(区外,经神朔线) Shendong via Shenshuo (external)",Shaanxi/Inner Mongolia (external),110.3,39.1
mine_ext_mengji,mine,"蒙冀/张唐线来煤(区外,鄂尔多斯/蒙西) Inner Mongolia coal via Mengji/Zhangtang (external)",Inner Mongolia (external),111.8,40.3
hub_hudong,hub,"湖东站(大秦线起点) Hudong marshalling yard, Daqin origin",Datong,113.35,40.13
hub_ld_datong,hub,大同口泉/韩家岭集运站 Datong loading stations (Kouquan/Hanjialing),Datong,113.1,40.02
hub_ld_shuozhou,hub,朔州集运站(北同蒲) Shuozhou loading stations on Beitongpu,Shuozhou,112.43,39.37
hub_shenchi,hub,"神池南站(朔黄线起点) Shenchi South, Shuohuang origin",Xinzhou,112.2,39.09
hub_ld_xinzhou,hub,"原平/宁武集运站(朔黄/北同蒲/京原) Yuanping-Ningwu loading, Xinzhou",Xinzhou,112.71,38.73
hub_plant_jinbei,hub,晋北坑口电厂群/晋北换流站 Jinbei mine-mouth plants & converter,Shuozhou,112.82,39.52
hub_watang,hub,"瓦塘站(瓦日线起点,兴县) Watang, Wari origin (Xing county)",Lüliang,111.13,38.4
hub_ld_luliang,hub,"吕梁集运站(离石/柳林/中阳,瓦日/太中) Lüliang loading stations",Lüliang,111.1,37.45
hub_taiyuan,hub,太原枢纽(太原北) Taiyuan rail hub,Taiyuan,112.55,37.9
hub_ld_gujiao,hub,古交/西山集运站 Gujiao-Xishan loading,Taiyuan,112.17,37.91
hub_yangquan,hub,阳泉站(石太线) Yangquan on Shitai,Yangquan,113.58,37.86
hub_yuci,hub,榆次枢纽(石太/太焦/同蒲) Yuci junction,Jinzhong,112.75,37.69
hub_ld_jiexiu,hub,介休/灵石集运站(南同蒲) Jiexiu-Lingshi loading,Jinzhong,111.92,37.03
hub_changzhi,hub,长治北枢纽(瓦日/太焦/邯长) Changzhi junction,Changzhi,113.05,36.25
hub_plant_jindongnan,hub,晋东南坑口电厂群/1000kV晋东南站 Jindongnan plants & substation,Changzhi,113.0,36.05
hub_plant_jinzhong,hub,晋中坑口电厂群/1000kV晋中站(榆横—潍坊) Jinzhong plants & 1000 kV Jinzhong substation,Jinzhong,112.9,37.55
hub_jincheng,hub,晋城北站(太焦线) Jincheng North on Taijiao,Jincheng,112.85,35.55
hub_yangcheng,hub,阳城站(侯月线) Yangcheng on Houyue,Jincheng,112.42,35.49
hub_ld_linfen,hub,"临汾集运站(霍州/洪洞,南同蒲) Linfen loading (Huozhou/Hongtong)",Linfen,111.55,36.25
hub_houma,hub,"侯马北站(侯月线起点) Houma North, Houyue origin",Linfen,111.37,35.62
hub_yuncheng_haoji,hub,运城北/浩吉线山西段 Yuncheng on Haoji,Yuncheng,110.95,35.1
hub_qianan,hub,迁安北(大秦线东段/迁曹线分歧) Qian'an junction (Daqin east),Hebei,118.7,40.0
hub_suning,hub,肃宁北(朔黄线河北段) Suning North on Shuohuang,Hebei,115.83,38.42
hub_huanghua_jn,hub,黄骅南(朔黄/黄万/黄大分歧) Huanghua South junction,Hebei,117.3,38.3
hub_shijiazhuang,hub,石家庄枢纽(石太/石德) Shijiazhuang junction,Hebei,114.5,38.04
hub_handan,hub,邯郸枢纽(邯长/邯济) Handan junction,Hebei,114.5,36.6
hub_yueshan,hub,"月山(焦作,太焦/侯月终点,新菏兖日起点) Yueshan junction",Henan,113.05,35.2
hub_yanzhou,hub,兖州(新菏兖日线) Yanzhou on Xin-He-Yan-Ri,Shandong,116.8,35.55
hub_wari_tangyin,hub,汤阴/鹤壁(瓦日线河南段) Wari Henan section,Henan,114.35,35.92
hub_wari_liaocheng,hub,聊城/莘县(瓦日线山东段) Wari Shandong section,Shandong,115.9,36.3
hub_jingmen,hub,荆门(浩吉线湖北段) Jingmen on Haoji,Hubei,112.2,31.03
hub_yueyang,hub,岳阳(浩吉线湖南段) Yueyang on Haoji,Hunan,113.1,29.37
port_qinhuangdao,port,秦皇岛港 Qinhuangdao port,Hebei,119.62,39.93
hub_berth_qinhuangdao,hub,秦皇岛港装船泊位 Qinhuangdao port ship-loading berths,Hebei,119.67,39.9
port_caofeidian,port,"曹妃甸港区(唐山) Caofeidian, Tangshan",Hebei,118.5,38.95
hub_berth_caofeidian,hub,"曹妃甸港区(唐山)装船泊位 Caofeidian, Tangshan ship-loading berths",Hebei,118.55,38.92
port_jingtang,port,"京唐港区(唐山) Jingtang, Tangshan",Hebei,119.0,39.21
hub_berth_jingtang,hub,"京唐港区(唐山)装船泊位 Jingtang, Tangshan ship-loading berths",Hebei,119.05,39.18
port_huanghua,port,黄骅港 Huanghua port,Hebei,117.85,38.32
hub_berth_huanghua,hub,黄骅港装船泊位 Huanghua port ship-loading berths,Hebei,117.9,38.29
port_tianjin,port,天津港南疆煤码头 Tianjin port (Nanjiang coal terminals),Tianjin,117.75,38.98
hub_berth_tianjin,hub,天津港南疆煤码头装船泊位 Tianjin port (Nanjiang coal terminals) ship-loading berths,Tianjin,117.8,38.95
port_rizhao,port,日照港 Rizhao port,Shandong,119.55,35.38
hub_berth_rizhao,hub,日照港装船泊位 Rizhao port ship-loading berths,Shandong,119.6,35.35
stor_res_datong,storage,大同产地煤炭储备基地 Datong production-area reserve,Datong,113.3,40.1
stor_res_shuozhou,storage,朔州(神池)产地煤炭储备基地 Shuozhou/Shenchi production-area reserve,Xinzhou,112.22,39.12
stor_res_luliang,storage,吕梁产地煤炭储备基地 Lüliang production-area reserve,Lüliang,111.12,37.48
stor_res_changzhi,storage,长治产地煤炭储备基地 Changzhi production-area reserve,Changzhi,113.08,36.22
stor_res_taiyuan,storage,太原铁路枢纽储备基地 Taiyuan rail-hub reserve,Taiyuan,112.58,37.93
stor_res_houma,storage,侯马铁路枢纽储备基地 Houma rail-hub reserve,Linfen,111.4,35.65
stor_res_xingtai,storage,邢台煤炭应急保障储运中心 Xingtai (Hebei) consumption-area reserve,Hebei,114.5,37.07
stor_res_taian,storage,鲁西煤炭储配基地(泰安曹庄) Tai'an (Shandong) consumption-area reserve,Shandong,116.9,36.1
stor_res_henan,storage,焦作煤炭储备基地 Jiaozuo (Henan) consumption-area reserve,Henan,113.2,35.22
stor_res_jingmen,storage,荆门(浩吉线)煤炭储备基地 Jingmen (Hubei) consumption-area reserve,Hubei,112.22,31.05
stor_res_rizhao,storage,日照港煤炭储备(储运)基地 Rizhao port-transfer reserve,Shandong,119.5,35.4
dem_power_north,demand,晋北电厂(大同/朔州/忻州) North Shanxi power plants,Datong,113.0,39.8
dem_power_central,demand,晋中电厂(太原/晋中/吕梁/阳泉) Central Shanxi power plants,Taiyuan,112.65,37.75
dem_power_south,demand,晋南电厂(长治/晋城/临汾/运城) South Shanxi power plants,Changzhi,112.4,36.0
dem_heat_north,demand,晋北城市供暖(大同/朔州/忻州) North Shanxi heating,Datong,113.3,40.08
dem_heat_taiyuan,demand,太原供暖 Taiyuan heating,Taiyuan,112.55,37.87
dem_heat_central,demand,晋中/吕梁/阳泉供暖 Central Shanxi heating,Jinzhong,112.75,37.6
dem_heat_south,demand,晋南供暖(临汾/长治/晋城/运城) South Shanxi heating,Linfen,111.52,36.09
dem_coke_luliang,demand,吕梁焦化(孝义/交城/柳林) Lüliang coking cluster,Lüliang,111.78,37.15
dem_coke_jinzhong,demand,晋中焦化(介休/灵石/平遥) Jinzhong coking cluster,Jinzhong,112.0,37.05
dem_coke_linfen,demand,临汾焦化(洪洞/襄汾/侯马) Linfen coking cluster,Linfen,111.6,36.0
dem_coke_changzhi,demand,长治焦化与钢铁(潞城/襄垣) Changzhi coking & steel,Changzhi,113.2,36.35
dem_steel_taiyuan,demand,太钢及清徐焦化 Taiyuan steel & Qingxu coking,Taiyuan,112.4,37.7
dem_ind_north,demand,晋北工业用煤(化工/建材/自用) North Shanxi industry,Shuozhou,112.6,39.45
dem_ind_central,demand,晋中工业用煤(化工/铝/建材) Central Shanxi industry,Taiyuan,112.45,37.65
dem_ind_south,demand,晋东南工业用煤(无烟煤化工/化肥) South-east Shanxi industry,Jincheng,112.8,35.6
dem_jingjinji_power,demand,京津冀北部电厂(北京/天津/唐山/张家口) Beijing-Tianjin-north Hebei power,Beijing/Tianjin/Hebei,116.6,39.8
dem_hebei_south_power,demand,冀南电厂(石家庄/邢台/邯郸/沧州) South Hebei power,Hebei,114.8,37.8
dem_tangshan_steel,demand,唐山钢铁焦化 Tangshan steel & coking,Hebei,118.2,39.63
dem_hebei_steel_south,demand,冀南钢铁焦化(邯郸/邢台) South Hebei steel & coking,Hebei,114.45,36.7
dem_shandong_power,demand,山东内陆电厂 Shandong inland power,Shandong,116.7,36.2
dem_shandong_steel,demand,山东钢铁焦化(日照/济南/莱芜) Shandong steel & coking,Shandong,117.7,36.0
dem_henan_power,demand,河南电厂(焦作/新乡/安阳/郑州) Henan power,Henan,113.6,35.0
dem_henan_industry,demand,河南钢铁焦化(安阳/济源) Henan steel & coking,Henan,114.3,36.1
dem_hubei_power,demand,湖北电厂(浩吉线+晋东南-荆门特高压) Hubei power (Haoji + UHV),Hubei,112.5,30.8
dem_hunan_jiangxi_power,demand,湘赣电厂(浩吉线) Hunan/Jiangxi power via Haoji,Hunan/Jiangxi,113.5,28.5
dem_jiangsu_coast,demand,江苏沿海沿江电厂(含晋北-南京特高压受端) Jiangsu coastal power (incl. UHV receiving end),Jiangsu,120.5,32.0
dem_shanghai,demand,上海电厂 Shanghai power,Shanghai,121.5,31.2
dem_zhejiang,demand,浙江沿海电厂 Zhejiang coastal power,Zhejiang,121.8,29.9
dem_fujian,demand,福建沿海电厂 Fujian coastal power,Fujian,119.4,25.5
dem_guangdong,demand,广东沿海电厂 Guangdong coastal power,Guangdong,113.6,22.5
dem_uhv_jiangsu,demand,雁淮直流受端(淮安)煤电合同电量 Jiangsu receiving end of the Jinbei(Yanmenguan)–Huai'an DC line (contracted coal power),Jiangsu,119.0,33.6
dem_uhv_hubei,demand,晋东南—南阳—荆门特高压受端煤电合同电量 Hubei/Henan receiving end of Jindongnan–Nanyang–Jingmen (contracted coal power),Hubei,112.5,31.9
dem_uhv_tianjin,demand,蒙西—晋北—天津南特高压受端煤电合同电量 Tianjin South receiving end (contracted coal power),Tianjin,117.2,38.85
dem_uhv_shandong,demand,榆横—晋中—潍坊特高压受端煤电合同电量 Weifang receiving end of Yuheng–Jinzhong–Weifang (contracted coal power),Shandong,119.1,36.7
dem_east_steel_coast,demand,"华东沿海钢铁(沙钢/宝钢,海运焦煤) East China coastal steel (seaborne coking coal)",Jiangsu/Shanghai,120.55,31.95
"""

# Port loaders (load_*) at their working rates, not design (SOURCES.md §5): Qinhuangdao 0.504 Mt
# and Jingtang 0.376 Mt of daily offtake in December (S28) × 365; Huanghua its 2023 shipments
# (S23, so its calibration row is in-sample); Caofeidian (S29), Tianjin (S31), Rizhao (S32):
# design, no working figure found.
# Links: topology, distance, tariff rule, capacity in Mt/yr (blank = unlimited), sea freight (S35).
# tariff: siding | rail | rail_haoji | truck | truck_feeder | conveyor | port_load | sea | reserve | uhv
LINKS = """
id,from,to,mode,distance_km,tariff,cap_mt_yr,freight_cny_per_t,products,corridor
rail_datong_large__ld_datong,mine_datong_large,hub_ld_datong,rail,20,siding,,,,siding
conv_datong_large__power_north,mine_datong_large,dem_power_north,conveyor,8,conveyor,15.0,,thermal,mine_mouth
truck_datong_small__ld_datong,mine_datong_small,hub_ld_datong,truck,35,truck_feeder,,,,truck_feeder
truck_datong_small__power_north,mine_datong_small,dem_power_north,truck,40,truck,,,thermal,truck_direct
truck_datong_small__heat_north,mine_datong_small,dem_heat_north,truck,30,truck,,,thermal,truck_direct
truck_datong_small__ind_north,mine_datong_small,dem_ind_north,truck,60,truck,,,thermal,truck_direct
rail_shuozhou_large__ld_shuozhou,mine_shuozhou_large,hub_ld_shuozhou,rail,15,siding,,,,siding
rail_shuozhou_large__shenchi,mine_shuozhou_large,hub_shenchi,rail,60,siding,,,,siding
conv_shuozhou_large__plant_jinbei,mine_shuozhou_large,hub_plant_jinbei,conveyor,20,conveyor,,,thermal,mine_mouth
truck_shuozhou_small__ld_shuozhou,mine_shuozhou_small,hub_ld_shuozhou,truck,30,truck_feeder,,,,truck_feeder
truck_shuozhou_small__shenchi,mine_shuozhou_small,hub_shenchi,truck,55,truck_feeder,,,,truck_feeder
truck_shuozhou_small__plant_jinbei,mine_shuozhou_small,hub_plant_jinbei,truck,35,truck_feeder,,,thermal,truck_feeder
truck_shuozhou_small__ind_north,mine_shuozhou_small,dem_ind_north,truck,30,truck,,,thermal,truck_direct
truck_shuozhou_small__power_north,mine_shuozhou_small,dem_power_north,truck,45,truck,,,thermal,truck_direct
rail_xinzhou_large__ld_xinzhou,mine_xinzhou_large,hub_ld_xinzhou,rail,25,siding,,,,siding
rail_xinzhou_large__shenchi,mine_xinzhou_large,hub_shenchi,rail,50,siding,,,,siding
truck_xinzhou_small__ld_xinzhou,mine_xinzhou_small,hub_ld_xinzhou,truck,40,truck_feeder,,,,truck_feeder
truck_xinzhou_small__shenchi,mine_xinzhou_small,hub_shenchi,truck,60,truck_feeder,,,,truck_feeder
truck_xinzhou_small__power_north,mine_xinzhou_small,dem_power_north,truck,50,truck,,,thermal,truck_direct
rail_luliang_large__watang,mine_luliang_large,hub_watang,rail,40,siding,,,,siding
rail_luliang_large__ld_luliang,mine_luliang_large,hub_ld_luliang,rail,20,siding,,,,siding
truck_luliang_small__ld_luliang,mine_luliang_small,hub_ld_luliang,truck,35,truck_feeder,,,,truck_feeder
truck_luliang_small__watang,mine_luliang_small,hub_watang,truck,60,truck_feeder,,,,truck_feeder
truck_luliang_small__coke_luliang,mine_luliang_small,dem_coke_luliang,truck,45,truck,,,coking,truck_direct
rail_taiyuan_large__ld_gujiao,mine_taiyuan_large,hub_ld_gujiao,rail,15,siding,,,,siding
truck_taiyuan_small__ld_gujiao,mine_taiyuan_small,hub_ld_gujiao,truck,25,truck_feeder,,,,truck_feeder
truck_taiyuan_small__steel_taiyuan,mine_taiyuan_small,dem_steel_taiyuan,truck,40,truck,,,coking,truck_direct
truck_taiyuan_small__heat_taiyuan,mine_taiyuan_small,dem_heat_taiyuan,truck,35,truck,,,thermal,truck_direct
truck_taiyuan_small__power_central,mine_taiyuan_small,dem_power_central,truck,40,truck,,,thermal,truck_direct
rail_yangquan_large__yangquan,mine_yangquan_large,hub_yangquan,rail,15,siding,,,,siding
truck_yangquan_small__yangquan,mine_yangquan_small,hub_yangquan,truck,30,truck_feeder,,,,truck_feeder
truck_yangquan_small__ind_central,mine_yangquan_small,dem_ind_central,truck,60,truck,,,thermal,truck_direct
truck_yangquan_small__heat_central,mine_yangquan_small,dem_heat_central,truck,40,truck,,,thermal,truck_direct
rail_jinzhong_large__yuci,mine_jinzhong_large,hub_yuci,rail,30,siding,,,,siding
rail_jinzhong_large__ld_jiexiu,mine_jinzhong_large,hub_ld_jiexiu,rail,25,siding,,,,siding
truck_jinzhong_small__ld_jiexiu,mine_jinzhong_small,hub_ld_jiexiu,truck,30,truck_feeder,,,,truck_feeder
truck_jinzhong_small__yuci,mine_jinzhong_small,hub_yuci,truck,50,truck_feeder,,,,truck_feeder
truck_jinzhong_small__coke_jinzhong,mine_jinzhong_small,dem_coke_jinzhong,truck,30,truck,,,coking,truck_direct
truck_jinzhong_small__heat_central,mine_jinzhong_small,dem_heat_central,truck,40,truck,,,thermal,truck_direct
truck_jinzhong_small__power_central,mine_jinzhong_small,dem_power_central,truck,50,truck,,,thermal,truck_direct
rail_changzhi_large__changzhi,mine_changzhi_large,hub_changzhi,rail,25,siding,,,,siding
conv_changzhi_large__plant_jindongnan,mine_changzhi_large,hub_plant_jindongnan,conveyor,15,conveyor,,,thermal,mine_mouth
truck_changzhi_small__changzhi,mine_changzhi_small,hub_changzhi,truck,35,truck_feeder,,,,truck_feeder
truck_changzhi_small__coke_changzhi,mine_changzhi_small,dem_coke_changzhi,truck,30,truck,,,coking,truck_direct
truck_changzhi_small__power_south,mine_changzhi_small,dem_power_south,truck,40,truck,,,thermal,truck_direct
truck_changzhi_small__plant_jindongnan,mine_changzhi_small,hub_plant_jindongnan,truck,30,truck_feeder,,,thermal,truck_feeder
rail_jincheng_large__jincheng,mine_jincheng_large,hub_jincheng,rail,20,siding,,,,siding
rail_jincheng_large__yangcheng,mine_jincheng_large,hub_yangcheng,rail,35,siding,,,,siding
truck_jincheng_small__jincheng,mine_jincheng_small,hub_jincheng,truck,30,truck_feeder,,,,truck_feeder
truck_jincheng_small__yangcheng,mine_jincheng_small,hub_yangcheng,truck,40,truck_feeder,,,,truck_feeder
truck_jincheng_small__ind_south,mine_jincheng_small,dem_ind_south,truck,25,truck,,,thermal,truck_direct
truck_jincheng_small__power_south,mine_jincheng_small,dem_power_south,truck,50,truck,,,thermal,truck_direct
truck_jincheng_small__plant_jindongnan,mine_jincheng_small,hub_plant_jindongnan,truck,60,truck_feeder,,,thermal,truck_feeder
rail_linfen_large__ld_linfen,mine_linfen_large,hub_ld_linfen,rail,25,siding,,,,siding
rail_linfen_large__houma,mine_linfen_large,hub_houma,rail,60,siding,,,,siding
truck_linfen_small__ld_linfen,mine_linfen_small,hub_ld_linfen,truck,40,truck_feeder,,,,truck_feeder
truck_linfen_small__houma,mine_linfen_small,hub_houma,truck,60,truck_feeder,,,,truck_feeder
truck_linfen_small__coke_linfen,mine_linfen_small,dem_coke_linfen,truck,35,truck,,,coking,truck_direct
truck_linfen_small__heat_south,mine_linfen_small,dem_heat_south,truck,40,truck,,,thermal,truck_direct
rail_ext_ordos__hudong,mine_ext_ordos,hub_hudong,rail,264,siding,,,,Dazhun
rail_ext_ordos__shenchi,mine_ext_ordos,hub_shenchi,rail,179,siding,,,,Zhunchi
rail_ext_shendong__shenchi,mine_ext_shendong,hub_shenchi,rail,270,siding,,,,Shenshuo
rail_ld_datong__hudong,hub_ld_datong,hub_hudong,rail,25,rail,200.0,,,Datong feeder
rail_ld_shuozhou__hudong,hub_ld_shuozhou,hub_hudong,rail,130,rail,150.0,,,Beitongpu
rail_ld_shuozhou__ld_xinzhou,hub_ld_shuozhou,hub_ld_xinzhou,rail,110,rail,50.0,,,Beitongpu
rail_daqin_main,hub_hudong,hub_qianan,rail,560,rail,450,,,Daqin
rail_daqin__qinhuangdao,hub_qianan,port_qinhuangdao,rail,93,rail,,,,Daqin
rail_qiancao__caofeidian,hub_qianan,port_caofeidian,rail,165,rail,,,,Daqin/Qiancao
rail_daqin__jingtang,hub_qianan,port_jingtang,rail,120,rail,,,,Daqin
rail_shijiazhuang__tangshan_steel,hub_shijiazhuang,dem_tangshan_steel,rail,430,rail,25.0,,coking,Jingguang/Jinshan
rail_qianan__jingjinji_power,hub_qianan,dem_jingjinji_power,rail,150,rail,,,thermal,Daqin
rail_hudong__jingjinji_power,hub_hudong,dem_jingjinji_power,rail,380,rail,30.0,,thermal,Fengshada
rail_ld_xinzhou__jingjinji_power,hub_ld_xinzhou,dem_jingjinji_power,rail,420,rail,25.0,,thermal,Jingyuan
rail_ld_datong__power_north,hub_ld_datong,dem_power_north,rail,30,rail,,,thermal,
rail_ld_datong__heat_north,hub_ld_datong,dem_heat_north,rail,20,rail,,,thermal,
rail_ld_shuozhou__power_north,hub_ld_shuozhou,dem_power_north,rail,40,rail,,,thermal,
rail_ld_shuozhou__ind_north,hub_ld_shuozhou,dem_ind_north,rail,30,rail,,,thermal,
rail_ld_shuozhou__plant_jinbei,hub_ld_shuozhou,hub_plant_jinbei,rail,30,rail,,,thermal,
rail_ld_xinzhou__plant_jinbei,hub_ld_xinzhou,hub_plant_jinbei,rail,95,rail,,,thermal,
rail_ld_xinzhou__power_north,hub_ld_xinzhou,dem_power_north,rail,60,rail,,,thermal,
rail_ld_xinzhou__heat_north,hub_ld_xinzhou,dem_heat_north,rail,70,rail,,,thermal,
rail_ld_xinzhou__ind_north,hub_ld_xinzhou,dem_ind_north,rail,80,rail,,,thermal,
rail_shuohuang_w,hub_shenchi,hub_ld_xinzhou,rail,90,rail,380,,,Shuohuang
rail_shuohuang_main,hub_ld_xinzhou,hub_suning,rail,380,rail,380,,,Shuohuang
rail_shuohuang_e,hub_suning,hub_huanghua_jn,rail,110,rail,380,,,Shuohuang
rail_huanghua_jn__huanghua,hub_huanghua_jn,port_huanghua,rail,14,rail,,,,Shuohuang
rail_huanghua_jn__tianjin,hub_huanghua_jn,port_tianjin,rail,100,rail,60.0,,,Huangwan
rail_huanghua_jn__shandong_power,hub_huanghua_jn,dem_shandong_power,rail,220,rail,40.0,,thermal,Huangda
rail_suning__hebei_south_power,hub_suning,dem_hebei_south_power,rail,120,rail,,,thermal,Shuohuang
rail_ld_xinzhou__taiyuan,hub_ld_xinzhou,hub_taiyuan,rail,80,rail,80.0,,,Tongpu
rail_wari_1,hub_watang,hub_ld_luliang,rail,150,rail,200,,,Wari
rail_wari_2,hub_ld_luliang,hub_changzhi,rail,230,rail,200,,,Wari
rail_wari_3,hub_changzhi,hub_wari_tangyin,rail,180,rail,{wari},,,Wari
rail_wari_4,hub_wari_tangyin,hub_wari_liaocheng,rail,160,rail,200,,,Wari
rail_wari_5,hub_wari_liaocheng,port_rizhao,rail,550,rail,200,,,Wari
rail_ld_luliang__coke_luliang,hub_ld_luliang,dem_coke_luliang,rail,40,rail,,,coking,
rail_ld_luliang__power_central,hub_ld_luliang,dem_power_central,rail,120,rail,,,thermal,
rail_ld_luliang__taiyuan,hub_ld_luliang,hub_taiyuan,rail,150,rail,50.0,,,Taizhong
rail_ld_luliang__ld_jiexiu,hub_ld_luliang,hub_ld_jiexiu,rail,100,rail,50.0,,,Xiaoliu
rail_ld_gujiao__taiyuan,hub_ld_gujiao,hub_taiyuan,rail,50,rail,50.0,,,Taigu
rail_taiyuan__steel_taiyuan,hub_taiyuan,dem_steel_taiyuan,rail,20,rail,,,coking,
rail_taiyuan__heat_taiyuan,hub_taiyuan,dem_heat_taiyuan,rail,15,rail,,,thermal,
rail_taiyuan__power_central,hub_taiyuan,dem_power_central,rail,30,rail,,,thermal,
rail_taiyuan__ind_central,hub_taiyuan,dem_ind_central,rail,40,rail,,,thermal,
rail_taiyuan__yuci,hub_taiyuan,hub_yuci,rail,30,rail,100.0,,,Taiyuan hub
rail_yuci__taiyuan,hub_yuci,hub_taiyuan,rail,30,rail,100.0,,,Taiyuan hub
rail_yuci__yangquan,hub_yuci,hub_yangquan,rail,90,rail,80.0,,,Shitai
rail_shitai_main,hub_yangquan,hub_shijiazhuang,rail,120,rail,80.0,,,Shitai
rail_yangquan__power_central,hub_yangquan,dem_power_central,rail,100,rail,,,thermal,
rail_yangquan__heat_central,hub_yangquan,dem_heat_central,rail,90,rail,,,thermal,
rail_yangquan__ind_central,hub_yangquan,dem_ind_central,rail,60,rail,,,thermal,
rail_yuci__heat_central,hub_yuci,dem_heat_central,rail,10,rail,,,thermal,
rail_yuci__power_central,hub_yuci,dem_power_central,rail,20,rail,,,thermal,
rail_yuci__ind_central,hub_yuci,dem_ind_central,rail,25,rail,,,thermal,
rail_taijiao_n,hub_yuci,hub_changzhi,rail,220,rail,60.0,,,Taijiao
rail_ld_jiexiu__coke_jinzhong,hub_ld_jiexiu,dem_coke_jinzhong,rail,20,rail,,,coking,
rail_ld_jiexiu__yuci,hub_ld_jiexiu,hub_yuci,rail,110,rail,60.0,,,Nantongpu
rail_ld_jiexiu__ld_linfen,hub_ld_jiexiu,hub_ld_linfen,rail,100,rail,50.0,,,Nantongpu
rail_ld_linfen__ld_jiexiu,hub_ld_linfen,hub_ld_jiexiu,rail,100,rail,50.0,,,Nantongpu
rail_changzhi__coke_changzhi,hub_changzhi,dem_coke_changzhi,rail,20,rail,,,coking,
rail_changzhi__power_south,hub_changzhi,dem_power_south,rail,40,rail,,,thermal,
rail_changzhi__jincheng,hub_changzhi,hub_jincheng,rail,90,rail,60.0,,,Taijiao
rail_hanchang_main,hub_changzhi,hub_handan,rail,220,rail,40.0,,,Hanchang
rail_changzhi__plant_jindongnan,hub_changzhi,hub_plant_jindongnan,rail,20,rail,,,thermal,
rail_taijiao_s,hub_jincheng,hub_yueshan,rail,100,rail,80.0,,,Taijiao
rail_jincheng__ind_south,hub_jincheng,dem_ind_south,rail,20,rail,,,thermal,
rail_jincheng__power_south,hub_jincheng,dem_power_south,rail,40,rail,,,thermal,
rail_jincheng__plant_jindongnan,hub_jincheng,hub_plant_jindongnan,rail,70,rail,,,thermal,
rail_ld_linfen__coke_linfen,hub_ld_linfen,dem_coke_linfen,rail,30,rail,,,coking,
rail_ld_linfen__power_south,hub_ld_linfen,dem_power_south,rail,60,rail,,,thermal,
rail_ld_linfen__heat_south,hub_ld_linfen,dem_heat_south,rail,25,rail,,,thermal,
rail_ld_linfen__houma,hub_ld_linfen,hub_houma,rail,80,rail,80.0,,,Nantongpu
rail_houyue_w,hub_houma,hub_yangcheng,rail,170,rail,100.0,,,Houyue
rail_houyue_e,hub_yangcheng,hub_yueshan,rail,82,rail,100.0,,,Houyue
rail_houma__coke_linfen,hub_houma,dem_coke_linfen,rail,40,rail,,,coking,
rail_houma__heat_south,hub_houma,dem_heat_south,rail,80,rail,,,thermal,
rail_houma__power_south,hub_houma,dem_power_south,rail,120,rail,,,thermal,
rail_houma__yuncheng_haoji,hub_houma,hub_yuncheng_haoji,rail,90,rail,60,,,Nantongpu
rail_haoji_main,hub_yuncheng_haoji,hub_jingmen,rail,690,rail_haoji,140,,,Haoji
rail_jingmen__hubei_power,hub_jingmen,dem_hubei_power,rail,80,rail_haoji,,,thermal,Haoji
rail_jingmen__yueyang,hub_jingmen,hub_yueyang,rail,230,rail_haoji,,,,Haoji
rail_yueyang__hunan_jiangxi_power,hub_yueyang,dem_hunan_jiangxi_power,rail,150,rail_haoji,,,thermal,Haoji
rail_shijiazhuang__hebei_south_power,hub_shijiazhuang,dem_hebei_south_power,rail,60,rail,,,thermal,
rail_shijiazhuang__hebei_steel_south,hub_shijiazhuang,dem_hebei_steel_south,rail,160,rail,,,coking,
rail_shijiazhuang__shandong_power,hub_shijiazhuang,dem_shandong_power,rail,330,rail,40.0,,thermal,Shide
rail_shijiazhuang__shandong_steel,hub_shijiazhuang,dem_shandong_steel,rail,330,rail,20.0,,coking,Shide
rail_handan__hebei_steel_south,hub_handan,dem_hebei_steel_south,rail,20,rail,,,coking,
rail_handan__hebei_south_power,hub_handan,dem_hebei_south_power,rail,40,rail,,,thermal,
rail_handan__shandong_power,hub_handan,dem_shandong_power,rail,300,rail,30.0,,thermal,Hanji
rail_handan__shandong_steel,hub_handan,dem_shandong_steel,rail,300,rail,15.0,,coking,Hanji
rail_yueshan__henan_power,hub_yueshan,dem_henan_power,rail,50,rail,,,thermal,
rail_yueshan__henan_industry,hub_yueshan,dem_henan_industry,rail,60,rail,,,coking,
rail_xinheyanri_main,hub_yueshan,hub_yanzhou,rail,420,rail,60.0,,,Xinheyanri
rail_yanzhou__shandong_power,hub_yanzhou,dem_shandong_power,rail,60,rail,,,thermal,
rail_yanzhou__shandong_steel,hub_yanzhou,dem_shandong_steel,rail,120,rail,,,coking,
rail_yanzhou__rizhao,hub_yanzhou,port_rizhao,rail,190,rail,,,,Xinheyanri
rail_wari_tangyin__henan_power,hub_wari_tangyin,dem_henan_power,rail,120,rail,,,thermal,Wari
rail_wari_tangyin__henan_industry,hub_wari_tangyin,dem_henan_industry,rail,30,rail,,,coking,Wari
rail_wari_liaocheng__shandong_power,hub_wari_liaocheng,dem_shandong_power,rail,60,rail,,,thermal,Wari
rail_wari_liaocheng__shandong_steel,hub_wari_liaocheng,dem_shandong_steel,rail,150,rail,,,coking,Wari
rail_rizhao__shandong_steel,port_rizhao,dem_shandong_steel,rail,15,rail,,,coking,Rizhao port
load_qinhuangdao,port_qinhuangdao,hub_berth_qinhuangdao,conveyor,1,port_load,184,,,port loading
load_caofeidian,port_caofeidian,hub_berth_caofeidian,conveyor,1,port_load,250,,,port loading
load_jingtang,port_jingtang,hub_berth_jingtang,conveyor,1,port_load,137,,,port loading
load_huanghua,port_huanghua,hub_berth_huanghua,conveyor,1,port_load,208,,,port loading
load_tianjin,port_tianjin,hub_berth_tianjin,conveyor,1,port_load,100,,,port loading
load_rizhao,port_rizhao,hub_berth_rizhao,conveyor,1,port_load,50,,,port loading
sea_qinhuangdao__jiangsu_coast,hub_berth_qinhuangdao,dem_jiangsu_coast,sea,1390,sea,,39.7,thermal,coastal shipping
sea_qinhuangdao__shanghai,hub_berth_qinhuangdao,dem_shanghai,sea,1230,sea,,36.8,thermal,coastal shipping
sea_qinhuangdao__zhejiang,hub_berth_qinhuangdao,dem_zhejiang,sea,1300,sea,,38.5,thermal,coastal shipping
sea_qinhuangdao__fujian,hub_berth_qinhuangdao,dem_fujian,sea,1850,sea,,44.5,thermal,coastal shipping
sea_qinhuangdao__guangdong,hub_berth_qinhuangdao,dem_guangdong,sea,2550,sea,,45.9,thermal,coastal shipping
sea_caofeidian__jiangsu_coast,hub_berth_caofeidian,dem_jiangsu_coast,sea,1330,sea,,39.0,thermal,coastal shipping
sea_caofeidian__shanghai,hub_berth_caofeidian,dem_shanghai,sea,1180,sea,,36.0,thermal,coastal shipping
sea_caofeidian__zhejiang,hub_berth_caofeidian,dem_zhejiang,sea,1250,sea,,37.8,thermal,coastal shipping
sea_caofeidian__fujian,hub_berth_caofeidian,dem_fujian,sea,1800,sea,,44.0,thermal,coastal shipping
sea_caofeidian__guangdong,hub_berth_caofeidian,dem_guangdong,sea,2500,sea,,45.5,thermal,coastal shipping
sea_jingtang__jiangsu_coast,hub_berth_jingtang,dem_jiangsu_coast,sea,1350,sea,,39.3,thermal,coastal shipping
sea_jingtang__shanghai,hub_berth_jingtang,dem_shanghai,sea,1200,sea,,36.3,thermal,coastal shipping
sea_jingtang__zhejiang,hub_berth_jingtang,dem_zhejiang,sea,1270,sea,,37.8,thermal,coastal shipping
sea_jingtang__fujian,hub_berth_jingtang,dem_fujian,sea,1820,sea,,44.2,thermal,coastal shipping
sea_jingtang__guangdong,hub_berth_jingtang,dem_guangdong,sea,2520,sea,,45.7,thermal,coastal shipping
sea_huanghua__jiangsu_coast,hub_berth_huanghua,dem_jiangsu_coast,sea,1400,sea,,41.0,thermal,coastal shipping
sea_huanghua__shanghai,hub_berth_huanghua,dem_shanghai,sea,1260,sea,,39.0,thermal,coastal shipping
sea_huanghua__zhejiang,hub_berth_huanghua,dem_zhejiang,sea,1330,sea,,40.0,thermal,coastal shipping
sea_huanghua__fujian,hub_berth_huanghua,dem_fujian,sea,1880,sea,,46.0,thermal,coastal shipping
sea_huanghua__guangdong,hub_berth_huanghua,dem_guangdong,sea,2580,sea,,47.0,thermal,coastal shipping
sea_tianjin__jiangsu_coast,hub_berth_tianjin,dem_jiangsu_coast,sea,1420,sea,,44.0,thermal,coastal shipping
sea_tianjin__shanghai,hub_berth_tianjin,dem_shanghai,sea,1280,sea,,42.5,thermal,coastal shipping
sea_tianjin__zhejiang,hub_berth_tianjin,dem_zhejiang,sea,1350,sea,,43.5,thermal,coastal shipping
sea_tianjin__fujian,hub_berth_tianjin,dem_fujian,sea,1900,sea,,48.0,thermal,coastal shipping
sea_tianjin__guangdong,hub_berth_tianjin,dem_guangdong,sea,2600,sea,,49.0,thermal,coastal shipping
sea_rizhao__jiangsu_coast,hub_berth_rizhao,dem_jiangsu_coast,sea,720,sea,,27.0,thermal,coastal shipping
sea_rizhao__shanghai,hub_berth_rizhao,dem_shanghai,sea,610,sea,,25.0,thermal,coastal shipping
sea_rizhao__zhejiang,hub_berth_rizhao,dem_zhejiang,sea,700,sea,,27.0,thermal,coastal shipping
sea_rizhao__fujian,hub_berth_rizhao,dem_fujian,sea,1300,sea,,36.0,thermal,coastal shipping
sea_rizhao__guangdong,hub_berth_rizhao,dem_guangdong,sea,2200,sea,,42.0,thermal,coastal shipping
sea_rizhao__east_steel_coast,hub_berth_rizhao,dem_east_steel_coast,sea,720,sea,,27.0,coking,coastal shipping
rail_hudong__res_datong,hub_hudong,stor_res_datong,rail,10,reserve,,,thermal,reserve in
rail_res_datong__hudong,stor_res_datong,hub_hudong,rail,10,reserve,,,thermal,reserve out
rail_shenchi__res_shuozhou,hub_shenchi,stor_res_shuozhou,rail,10,reserve,,,thermal,reserve in
rail_res_shuozhou__shenchi,stor_res_shuozhou,hub_shenchi,rail,10,reserve,,,thermal,reserve out
rail_ld_luliang__res_luliang,hub_ld_luliang,stor_res_luliang,rail,10,reserve,,,,reserve in
rail_res_luliang__ld_luliang,stor_res_luliang,hub_ld_luliang,rail,10,reserve,,,,reserve out
rail_changzhi__res_changzhi,hub_changzhi,stor_res_changzhi,rail,10,reserve,,,,reserve in
rail_res_changzhi__changzhi,stor_res_changzhi,hub_changzhi,rail,10,reserve,,,,reserve out
rail_taiyuan__res_taiyuan,hub_taiyuan,stor_res_taiyuan,rail,10,reserve,,,,reserve in
rail_res_taiyuan__taiyuan,stor_res_taiyuan,hub_taiyuan,rail,10,reserve,,,,reserve out
rail_houma__res_houma,hub_houma,stor_res_houma,rail,10,reserve,,,thermal,reserve in
rail_res_houma__houma,stor_res_houma,hub_houma,rail,10,reserve,,,thermal,reserve out
rail_handan__res_xingtai,hub_handan,stor_res_xingtai,rail,70,reserve,,,thermal,reserve in
rail_res_xingtai__handan,stor_res_xingtai,hub_handan,rail,70,reserve,,,thermal,reserve out
rail_wari_liaocheng__res_taian,hub_wari_liaocheng,stor_res_taian,rail,100,reserve,,,thermal,reserve in
rail_res_taian__wari_liaocheng,stor_res_taian,hub_wari_liaocheng,rail,100,reserve,,,thermal,reserve out
rail_yueshan__res_henan,hub_yueshan,stor_res_henan,rail,20,reserve,,,thermal,reserve in
rail_res_henan__yueshan,stor_res_henan,hub_yueshan,rail,20,reserve,,,thermal,reserve out
rail_jingmen__res_jingmen,hub_jingmen,stor_res_jingmen,rail,10,reserve,,,thermal,reserve in
rail_res_jingmen__jingmen,stor_res_jingmen,hub_jingmen,rail,10,reserve,,,thermal,reserve out
rail_rizhao__res_rizhao,port_rizhao,stor_res_rizhao,rail,5,reserve,,,thermal,reserve in
rail_res_rizhao__rizhao,stor_res_rizhao,port_rizhao,rail,5,reserve,,,thermal,reserve out
rail_ext_mengji__caofeidian,mine_ext_mengji,port_caofeidian,rail,900,siding,,,,Mengji/Zhangtang
rail_ext_mengji__tianjin,mine_ext_mengji,port_tianjin,rail,850,siding,,,,Jingbao/Tanghu
truck_datong_large__power_north,mine_datong_large,dem_power_north,truck,30,truck,,,thermal,truck_direct
truck_shuozhou_large__ind_north,mine_shuozhou_large,dem_ind_north,truck,30,truck,,,thermal,truck_direct
truck_shuozhou_large__power_north,mine_shuozhou_large,dem_power_north,truck,45,truck,,,thermal,truck_direct
truck_xinzhou_large__power_north,mine_xinzhou_large,dem_power_north,truck,50,truck,,,thermal,truck_direct
truck_luliang_large__coke_luliang,mine_luliang_large,dem_coke_luliang,truck,40,truck,,,coking,truck_direct
truck_taiyuan_large__steel_taiyuan,mine_taiyuan_large,dem_steel_taiyuan,truck,40,truck,,,coking,truck_direct
truck_taiyuan_large__power_central,mine_taiyuan_large,dem_power_central,truck,40,truck,,,thermal,truck_direct
truck_yangquan_large__ind_central,mine_yangquan_large,dem_ind_central,truck,60,truck,,,thermal,truck_direct
truck_jinzhong_large__coke_jinzhong,mine_jinzhong_large,dem_coke_jinzhong,truck,30,truck,,,coking,truck_direct
truck_jinzhong_large__power_central,mine_jinzhong_large,dem_power_central,truck,50,truck,,,thermal,truck_direct
truck_changzhi_large__coke_changzhi,mine_changzhi_large,dem_coke_changzhi,truck,30,truck,,,coking,truck_direct
truck_changzhi_large__power_south,mine_changzhi_large,dem_power_south,truck,40,truck,,,thermal,truck_direct
truck_jincheng_large__ind_south,mine_jincheng_large,dem_ind_south,truck,25,truck,,,thermal,truck_direct
truck_linfen_large__coke_linfen,mine_linfen_large,dem_coke_linfen,truck,35,truck,,,coking,truck_direct
rail_jinzhong_large__plant_jinzhong,mine_jinzhong_large,hub_plant_jinzhong,rail,20,siding,,,thermal,siding
rail_yuci__plant_jinzhong,hub_yuci,hub_plant_jinzhong,rail,15,rail,,,thermal,
truck_jinzhong_small__plant_jinzhong,mine_jinzhong_small,hub_plant_jinzhong,truck,35,truck_feeder,,,thermal,truck_feeder
uhv_jinbei_jiangsu,hub_plant_jinbei,dem_uhv_jiangsu,uhv,1119,uhv,,,thermal,coal by wire
uhv_jindongnan_jingmen,hub_plant_jindongnan,dem_uhv_hubei,uhv,640,uhv,,,thermal,coal by wire
uhv_jinbei_tianjin,hub_plant_jinbei,dem_uhv_tianjin,uhv,600,uhv,,,thermal,coal by wire
uhv_jinzhong_weifang,hub_plant_jinzhong,dem_uhv_shandong,uhv,700,uhv,,,thermal,coal by wire
"""

if __name__ == "__main__":
    sys.exit(main())
