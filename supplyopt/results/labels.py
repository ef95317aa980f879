"""Report wording in English and Chinese: section titles, KPI names, axis labels.

Node, link and corridor names are never translated: they are shown as the data set gives them.
``text(key, lang)`` looks a label up; a missing key is a bug and raises ``KeyError``.
"""

from __future__ import annotations

LANGUAGES = ("en", "zh")

# key: (English, Chinese)
LABELS: dict[str, tuple[str, str]] = {
    # report and sections
    "title": ("Coal supply plan report", "煤炭供应计划报告"),
    "sec_kpis": ("Key figures", "关键指标"),
    "sec_map": ("Flow map", "煤流地图"),
    "sec_stocks": ("Stocks and days of cover", "库存与可用天数"),
    "sec_modal": ("Modal split and CO2", "运输方式结构与二氧化碳"),
    "sec_warnings": ("Warnings", "预警"),
    "sec_compare": ("Comparison", "方案比较"),
    "sec_tables": ("Tables", "明细表"),
    "results": ("Results", "结果"),
    "dataset": ("Data set", "数据集"),
    "periods": ("Periods", "计划期"),
    "status": ("Status", "求解状态"),
    "scenario": ("Scenario", "情景"),
    "profile": ("Run profile", "运行配置"),
    "extension": ("Model extension", "模型扩展"),
    "none": ("none", "无"),
    "workbook_note": ("Every result table is in results.xlsx (one sheet per table, units in the headers).",
                      "所有结果表见 results.xlsx（每表一页，表头含单位）。"),
    "no_boundary": ("Straight lines on a lon/lat grid; the interactive map (map.html) draws provinces, coast and sea lanes.",
                    "经纬网上的直线示意；交互式地图(map.html)绘有省界、海岸线和海运航线。"),
    "open_map": ("Open the interactive map (map.html)", "打开交互式地图(map.html)"),
    "no_map": ("No map: the results folder has no node coordinates.", "无地图：结果目录中没有节点坐标。"),
    "no_stock": ("No stocks in this plan.", "本计划无库存。"),
    "no_cover": ("No days of cover at demand centres (no stock held there).", "需求点无可用天数（无库存）。"),
    "delta": ("Δ vs", "较"),
    "kpi": ("Key figure", "指标"),
    "unit": ("Unit", "单位"),
    # KPIs
    "objective": ("Total cost (objective)", "总成本（目标值）"),
    "demand_t": ("Demand", "需求量"),
    "delivered_t": ("Delivered", "交付量"),
    "unmet_t": ("Unmet demand", "未满足需求"),
    "production_t": ("Produced", "产量"),
    "end_stock_t": ("Stock at the end", "期末库存"),
    "safety_shortfall_t": ("Safety stock shortfall", "安全库存缺口"),
    "end_deficit_t": ("End-stock deficit (end rule, not unmet demand)", "期末库存缺口（期末规则，非未满足需求）"),
    "tkm": ("Tonne-kilometres", "吨公里"),
    "truck_share_tkm": ("Truck share of t·km", "公路运输吨公里占比"),
    "mine_truck_share": ("Mine output leaving by truck", "煤矿公路外运占比"),
    "clean_share_tkm": ("Clean transport share of t·km", "清洁运输吨公里占比"),
    "co2_t": ("CO2", "二氧化碳"),
    # charts
    "tonnes": ("tonnes", "吨"),
    "share": ("share", "占比"),
    "days": ("days", "天"),
    "week": ("Period", "计划期"),
    "mode": ("Mode", "运输方式"),
    "tonnes_by_mode": ("Tonnes entering links by mode (each leg counts)", "各运输方式发运量（每段分别计）"),
    "tkm_by_mode": ("Tonne-km by mode", "各运输方式周转量"),
    "co2_by_mode": ("CO2 by mode", "各运输方式二氧化碳排放"),
    "truck_share_region": ("Truck share of mine output by region", "各地区煤矿公路外运占比"),
    "stock": ("stock", "库存"),
    "safety": ("safety stock", "安全库存"),
    "capacity": ("capacity", "库容"),
    "stocks_title": ("End-of-period stock against safety stock", "期末库存与安全库存"),
    "cover_title": ("Days of cover at demand centres", "需求点可用天数"),
    "foresight": ("Foresight", "预见方式"),
    "end_rule": ("End of horizon", "期末库存规则"),
    "end_rule_figures": ("{rule}: target {target} t, reached {reached} t", "{rule}：目标 {target} 吨，实际 {reached} 吨"),
    "end_rule_deficit": ("; end-stock deficit {t} t ({cny} CNY), not unmet demand", "；期末库存缺口 {t} 吨（{cny} CNY），非未满足需求"),
    "cover_legend": ("days of (stock − shortfall) ÷ daily need; red: short in the week or below its class's red line (power {red:g} d), amber: below its amber line ({amber:g} d)",
                     "（库存 − 缺口）÷ 日需求天数；红色：当周缺煤或低于其类别红线（电厂 {red:g} 天），黄色：低于黄线（{amber:g} 天）"),
    "map_title": ("Coal flows over the horizon by mode", "全计划期分运输方式煤流"),
    "map_zoom": ("Production area enlarged", "产区放大"),
    "map_unmet": ("unmet demand", "未满足需求"),
    "lon_axis": ("lon (°E)", "经度 (°E)"),
    "lat_axis": ("lat (°N)", "纬度 (°N)"),
    "map_size": ("circle area ∝ tonnes handled", "圆面积 ∝ 吞吐量"),
    "kpi_delta_title": ("Change against {base}", "相对 {base} 的变化"),
    "unmet_title": ("Unmet demand by demand class and period", "按需求类别和计划期的未满足需求"),
    "corridor_title": ("Corridor utilisation over the horizon (busiest link of each corridor)", "通道全计划期利用率（各通道最繁忙区段）"),
    "utilisation": ("utilisation", "利用率"),
    "all": ("all", "全部"),
    "more_nodes": ("{n} more not shown", "另有 {n} 个未显示"),
    # transport modes (links.csv mode): the data set's ids, named in the report language
    "mode_rail": ("rail", "铁路"),
    "mode_truck": ("truck", "公路"),
    "mode_ev_truck": ("electric truck", "电动重卡"),
    "mode_sea": ("sea", "海运"),
    "mode_river": ("river", "内河"),
    "mode_conveyor": ("conveyor", "皮带"),
    "mode_uhv": ("UHV power line", "特高压输电"),
    # node kinds
    "kind_mine": ("mine", "煤矿"),
    "kind_hub": ("hub", "集运站"),
    "kind_storage": ("storage base", "储备基地"),
    "kind_port": ("port", "港口"),
    "kind_demand": ("demand centre", "需求点"),
    "stocks_storage": ("Storage bases", "储备基地"),
    "stocks_port": ("Ports", "港口"),
    "stocks_demand": ("Plant yards (demand centres)", "电厂及用户堆场"),
    "stocks_other": ("Other stocks", "其他库存"),
    # tables
    "tab_corridors": ("Busiest links and corridors", "最繁忙线路与通道"),
    "tab_cover": ("Lowest days of cover", "可用天数最低"),
    "tab_unmet": ("Demand not met", "未满足需求"),
    "node": ("Node", "节点"),
    "cover_status": ("Status", "状态"),
    "unmet_col": ("Unmet (t)", "未满足（吨）"),
    "product": ("Product", "煤种"),
    "link": ("Link", "线路"),
    "corridor": ("Corridor", "通道"),
    # executive summary (reports/executive.py)
    "sec_summary": ("Executive summary", "摘要"),
    "es_no_short": ("No demand goes short: all {t} of demand delivered.", "无缺煤：{t} 需求全部交付。"),
    "es_short_total": ("SHORTAGE: {t} of demand not met ({share} of demand) at {n} demand centre(s), in {weeks}.",
                       "缺煤：{t} 需求未满足（占需求 {share}），涉及 {n} 个需求点，时间 {weeks}。"),
    "es_by_class": ("Short by demand class: ", "按需求类别缺煤："),
    "es_short_centre": ("{centre} short {t} in {weeks}; worst week {week}: {wt}.", "{centre} 缺煤 {t}，时间 {weeks}；最缺一周 {week}：{wt}。"),
    "es_short_more": ("… and {n} more short demand centre(s), {t} together (unmet.csv).", "…… 另有 {n} 个需求点缺煤，合计 {t}（见 unmet.csv）。"),
    "es_weeks": ("{first} … {last} ({n} weeks)", "{first} … {last}（{n} 周）"),
    "es_no_red": ("No red warnings.", "无红色预警。"),
    "es_red": ("{n} red warning(s) (warnings.csv): {kinds}.", "红色预警 {n} 条（见 warnings.csv）：{kinds}。"),
    "es_cover": ("Lowest days of cover: ", "可用天数最低："),
    "es_cost": ("Total cost {cost}", "总成本 {cost}"),
    "es_parts": ("; largest parts: ", "；主要构成："),
    "es_moved": ("; parts that moved most: ", "；变化最大的构成："),
    "es_other_parts": ("other parts {d}", "其他构成 {d}"),
    "es_change": ("{run} against {base}: cost {d} ({pct}), {before} → {after}", "{run} 相对 {base}：成本 {d}（{pct}），{before} → {after}"),
    "es_unmet_change": ("Unmet demand {before} → {after} ({d}).", "未满足需求 {before} → {after}（{d}）。"),
    "es_end": ("End-of-horizon stock deficit (the end rule's, not unmet demand): {t} below target at {n} stock(s){largest}; {cost} in the objective (end_stock.csv).",
               "期末库存缺口（期末规则的缺口，非未满足需求）：{n} 处库存低于目标共 {t}{largest}；计入目标值 {cost}（见 end_stock.csv）。"),
    "es_end_largest": (", largest {node} {t}", "，最大为 {node} {t}"),
    "es_call_reserve": ("Call up the capacity reserve of {node}: {t} in {weeks} (reserves.csv).", "启用 {node} 的产能储备：{t}，时间 {weeks}（见 reserves.csv）。"),
    "es_release_stock": ("Release reserve stock at {node}: {t} below its safety stock in {weeks} (reserves.csv).",
                         "动用 {node} 的储备库存：低于安全库存 {t}，时间 {weeks}（见 reserves.csv）。"),
    # warnings section (htmlreport.warnings_block)
    "warn_note": ("The run's own warnings and the early warnings of warnings.csv; the workbook's warnings sheet has every row.",
                  "运行自身的警告和 warnings.csv 中的预警；工作簿 warnings 表含全部记录。"),
    "warn_run": ("Warnings of the run", "运行警告"),
    "warn_none": ("No warnings.", "无预警。"),
    "warn_early": ("Early warnings (warnings.csv)", "预警（warnings.csv）"),
    "warn_kind": ("Kind", "类型"),
    "warn_more": ("The first {shown} of {n} warnings, red first; results.xlsx (sheet warnings) has every row.",
                  "仅列出 {n} 条预警中的前 {shown} 条（红色在前）；results.xlsx 的 warnings 表含全部记录。"),
    "severity": ("Severity", "级别"),
    "count": ("Count", "条数"),
    "value": ("Value", "数值"),
    "message": ("Message", "说明"),
    "status_red": ("red", "红色"),
    "status_amber": ("amber", "黄色"),
    "status_ok": ("ok", "正常"),
    "status_end": ("end (end rule)", "期末（期末规则）"),
    "wkind_unmet": ("unmet demand", "未满足需求"),
    "wkind_cover": ("days of cover", "可用天数"),
    "wkind_safety": ("below safety stock", "低于安全库存"),
    "wkind_blend": ("blend limit", "配煤限值"),
    "no_unmet": ("No demand goes short in any of the results compared.", "所比较的结果均无未满足需求。"),
    "cover_many": ("{n} periods: one cell per centre and period, coloured by status, no figures (the workbook's stocks sheet has them)",
                   "{n} 个计划期：每格为一个需求点一个计划期，按状态着色，不标数值（见工作簿 stocks 表）"),
    # cost components (summary.json costs)
    "cost_production": ("production", "生产"),
    "cost_transport": ("transport", "运输"),
    "cost_holding": ("holding stock", "库存持有"),
    "cost_unmet_penalty": ("unmet-demand penalty", "未满足需求罚金"),
    "cost_safety_penalty": ("safety-stock penalty", "安全库存罚金"),
    "cost_end_stock_penalty": ("end-stock penalty", "期末库存罚金"),
    "cost_truck_penalty": ("truck penalty", "公路运输罚金"),
    "cost_carbon": ("carbon", "碳成本"),
    "cost_reserve_production": ("reserve production", "储备产能生产"),
    "cost_reserve_callup": ("reserve call-up", "储备启用"),
}

# KPIs shown in the report, with their unit key (None = a share 0–1)
KPIS: tuple[tuple[str, str], ...] = (
    ("objective", "currency"),
    ("demand_t", "t"),
    ("delivered_t", "t"),
    ("unmet_t", "t"),
    ("production_t", "t"),
    ("end_stock_t", "t"),
    ("end_deficit_t", "t"),
    ("safety_shortfall_t", "t"),
    ("tkm", "t·km"),
    ("truck_share_tkm", "%"),
    ("mine_truck_share", "%"),
    ("clean_share_tkm", "%"),
    ("co2_t", "t CO2"),
)


def kpi_unit(key: str, currency: str = "CNY") -> str | None:
    """The unit of a KPI as every output states it (None for a name that is no KPI): the one
    table above; a share (``%``) is stored 0–1."""
    unit = dict(KPIS).get(key)
    if unit is None:
        return None
    return currency if unit == "currency" else "share 0–1" if unit == "%" else unit


def text(key: str, lang: str, **fmt) -> str:
    """The label ``key`` in ``lang`` ("en" or "zh"), formatted with ``fmt``."""
    en, zh = LABELS[key]
    out = zh if lang == "zh" else en
    return out.format(**fmt) if fmt else out


def status_word(status: str, lang: str) -> str:
    """A cover or warning status (red, amber, ok, end) in ``lang``; any other as written."""
    key = f"status_{status}"
    return text(key, lang) if key in LABELS else str(status)


def warning_kind(kind: str, lang: str) -> str:
    """A warnings.csv ``kind`` (unmet, cover, safety, blend) in ``lang``; any other as written."""
    key = f"wkind_{kind}"
    return text(key, lang) if key in LABELS else str(kind)


def mode_name(mode: str, lang: str) -> str:
    """A transport mode id (rail, truck, sea …) in ``lang``; a mode the table lacks as written."""
    key = f"mode_{mode}"
    return text(key, lang) if key in LABELS else str(mode)
