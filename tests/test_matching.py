"""Input slips a planner makes in Excel never give a silent wrong answer: each is read as
meant with a warning quoting the cell as written, or is an error. (Issue 9, items 1–3 and
the audit: full-width digits, near-miss column names, file and sheet name case, merged
cells, formulas, blank booleans, ids differing only in case, percent signs, digit groups.)"""

from __future__ import annotations

import shutil

import openpyxl
import pandas as pd
import pytest
from conftest import REPO

from supplyopt.io.data import read_dataset
from supplyopt.io.matching import looks_like, normalise
from supplyopt.io.validate import check, validate

WINTER = REPO / "data/examples/winter"


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "winter"
    shutil.copytree(WINTER, folder)
    return folder


def edit(folder, name, old, new, count=1):
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, (name, old)
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def problems(folder):
    found = check(read_dataset(folder))
    return [p for p in found if p.severity == "error"], [p for p in found if p.severity == "warning"]


def test_full_width_digits_are_read_as_meant_with_a_warning(data):
    edit(data, "supply.csv", "mine_a,coal,6000", "mine_a,coal,６０００")
    edit(data, "demand.csv", "plant_in,coal,2500", "plant_in,coal,２５００")
    errors, warnings = problems(data)
    assert errors == []
    net = validate(read_dataset(data))
    cap = net.supply.set_index("node")["capacity_t"]
    assert (cap["mine_a"] == 6000).all()  # not blank (= unlimited)
    assert (net.demand.set_index(["node", "period"]).loc[("plant_in", 0), "demand_t"] == 2500)
    shown = [str(w) for w in warnings]
    assert any("'６０００'" in w and "read as '6000'" in w and "capacity_t" in w for w in shown), shown
    assert any("'２５００'" in w and "demand_t" in w for w in shown), shown


def test_unreadable_cell_is_quoted_as_written_not_as_blank(data):
    edit(data, "demand.csv", "plant_in,coal,2500", "plant_in,coal,２５００吨")
    errors, _ = problems(data)
    assert len(errors) == 1 and errors[0].value == "２５００吨" and errors[0].column == "demand_t"
    assert "blank" not in errors[0].message


@pytest.mark.parametrize("cell, hint", [
    ("6\u00a0000", "spaces"), ('"6,000"', "thousands separator"), ("12%", "percentage"), ("#N/A", "Excel error"),
    ('"0,5"', "decimal comma"), ("６０００t", "text after the number"),
])
def test_number_slips_are_errors_naming_the_cell(data, cell, hint):
    edit(data, "supply.csv", "mine_a,coal,6000", f"mine_a,coal,{cell}")
    errors, _ = problems(data)
    assert len(errors) == 1 and hint in errors[0].message and errors[0].row == 1 and errors[0].column == "capacity_t"


def test_negative_zero_and_scientific_notation_are_numbers(data):
    edit(data, "supply.csv", "mine_a,coal,6000,300,0", "mine_a,coal,6E3,300,-0")
    errors, _ = problems(data)
    assert errors == []
    sup = validate(read_dataset(data)).supply.set_index("node")
    assert (sup.loc["mine_a", "capacity_t"] == 6000).all() and (sup.loc["mine_a", "min_t"] == 0).all()


def test_invisible_characters_in_ids_are_dropped_with_a_warning(data):
    edit(data, "supply.csv", "mine_a,coal", "mine_a\u200b,coal")
    errors, warnings = problems(data)
    assert errors == []
    assert any("invisible" in w.message and w.column == "node" for w in warnings)


def test_near_miss_optional_column_is_a_warning_naming_both(data):
    edit(data, "storage.csv", "initial_t", "initial_stock_t")
    errors, warnings = problems(data)
    assert errors == []
    w = [w for w in warnings if w.column == "initial_stock_t"]
    assert w and "initial_t" in w[0].message


@pytest.mark.parametrize("header", ["demand_t (t)", "demand_kt", "demand", "demnad_t"])
def test_near_miss_required_column_is_an_error_naming_both(data, header):
    edit(data, "demand.csv", "demand_t", header)
    errors, _ = problems(data)
    assert any(e.column == "demand_t" and repr(header) in e.message for e in errors), [str(e) for e in errors]


def test_column_name_case_and_width_variants_are_read(data):
    edit(data, "storage.csv", "initial_t", "Initial_T")
    edit(data, "supply.csv", "capacity_t", "ｃａｐａｃｉｔｙ＿ｔ")
    errors, warnings = problems(data)
    assert errors == []
    net = validate(read_dataset(data))
    assert net.storage["initial_t"].sum() == 2000 + 3000 + 1200
    assert (net.supply["capacity_t"] < float("inf")).all()
    assert sum("read as" in w.message for w in warnings) >= 2


def test_known_names_do_not_look_like_other_known_names():
    # extra columns of data/shanxi and common ones must not be mistaken for format columns
    for extra in ("corridor", "size_class", "origin", "demand_class", "scope", "storage_kind", "operator", "notes"):
        for known in ("initial_t", "end_t", "safety_t", "holding_cny_per_t", "min_t", "efficiency", "products", "period", "penalty_cny_per_t", "lon", "lat"):
            assert not looks_like(extra, known), (extra, known)
    assert looks_like("longitude", "lon") and looks_like("capacity_kt", "capacity_t") and looks_like("end_stock_t", "end_t")


def test_file_name_case_is_read_with_a_warning(data):
    (data / "storage.csv").rename(data / "Storage.csv")
    errors, warnings = problems(data)
    assert errors == []
    assert validate(read_dataset(data)).storage["initial_t"].sum() == 6200  # stocks are not lost
    assert any("'Storage.csv' read as the storage table" in w.message for w in warnings)


def test_files_differing_only_in_case_are_an_error(data):
    shutil.copy(data / "storage.csv", data / "STORAGE.csv")
    errors, _ = problems(data)
    assert any("differ only in case" in e.message for e in errors)


def test_every_file_not_read_is_listed(data):
    (data / "storage.csv").rename(data / "storages.csv")
    (data / "notes.txt").write_text("x")
    (data / "old").mkdir()
    _, warnings = problems(data)
    listed = [w.message for w in warnings if "not read" in w.message]
    assert listed and "'storages.csv' (did you mean 'storage.csv'?)" in listed[0] and "'notes.txt'" in listed[0] and "'old/'" in listed[0]


def test_missing_required_file_names_the_look_alike(data):
    (data / "links.csv").rename(data / "links (1).csv")
    errors, _ = problems(data)
    assert any(e.file == "links.csv" and "'links (1).csv' looks like it" in e.message for e in errors)


def _workbook(tmp_path, rename=None, extra=None, merge=None, formula=None):
    """data/examples/winter as a workbook, with one slip."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    meta = book.create_sheet("network")
    meta.append(["key", "value"])
    meta.append(["name", "winter"])
    meta.append(["period_days", 7])
    per = book.create_sheet("periods")
    per.append(["period"])
    for p in ["2026-W49", "2026-W50", "2026-W51", "2026-W52"]:
        per.append([p])
    for name in ("nodes", "supply", "links", "demand", "storage"):
        ws = book.create_sheet((rename or {}).get(name, name))
        frame = pd.read_csv(WINTER / f"{name}.csv", dtype=str, keep_default_na=False)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append([float(v) if v.replace(".", "", 1).isdigit() else v for v in row])
    if extra:
        book.create_sheet(extra).append(["anything"])
    if merge:
        book[merge[0]].merge_cells(merge[1])
    if formula:
        book[formula[0]][formula[1]] = formula[2]
    path = tmp_path / "winter.xlsx"
    book.save(path)
    return path


def test_workbook_sheet_case_is_read_and_unread_sheets_are_listed(tmp_path):
    path = _workbook(tmp_path, rename={"storage": "Storage "}, extra="notes")
    errors, warnings = problems(path)
    assert errors == []
    assert validate(read_dataset(path)).storage["initial_t"].sum() == 6200
    assert any("'Storage ' read as the storage table" in w.message for w in warnings)
    assert any("sheets not read" in w.message and "'notes'" in w.message for w in warnings)


def test_workbook_missing_sheet_lists_the_sheets_found(tmp_path):
    path = _workbook(tmp_path, rename={"links": "routes"})
    errors, _ = problems(path)
    assert any("missing sheet" in e.message and "'routes'" in e.message and "'storage'" in e.message for e in errors)


def test_workbook_merged_cells_and_formulas_without_results_are_errors(tmp_path):
    errors, _ = problems(_workbook(tmp_path, merge=("supply", "C2:C3")))  # capacity_t of both mines merged
    assert any("C2:C3 are merged" in e.message and e.row == 1 and e.column == "capacity_t" for e in errors)
    errors, _ = problems(_workbook(tmp_path, formula=("supply", "C2", "=2000*3")))  # no cached result
    assert any("formula" in e.message and e.row == 1 and e.column == "capacity_t" for e in errors)


def test_blank_true_false_cell_is_an_error_not_false(data):
    (data / "modes.csv").write_text("mode,truck,clean,co2_kg_per_tkm\nrail,,true,0.011\n", encoding="utf-8")
    errors, _ = problems(data)
    assert any(e.column == "truck" and "blank" in e.message for e in errors)


def test_chinese_yes_no_is_an_error_with_a_hint(data):
    (data / "modes.csv").write_text("mode,truck,clean,co2_kg_per_tkm\nrail,否,是,0.011\n", encoding="utf-8")
    errors, _ = problems(data)
    assert {e.value for e in errors} == {"否", "是"} and all("true or false" in e.message for e in errors)


def test_ids_differing_only_in_case_are_errors(data):
    edit(data, "nodes.csv", "\nport,", "\nPort,")
    with (data / "nodes.csv").open("a", encoding="utf-8") as f:
        f.write("port,port,Port 2,east,119.6,39.9\n")
    edit(data, "demand.csv", "plant_coast,coal,3500", "plant_coast,Coal,3500")
    errors, _ = problems(data)
    messages = [str(e) for e in errors]
    assert any("'port'" in m and "only in case" in m and "'Port'" in m for m in messages), messages
    assert any("'Coal'" in m and "only in case" in m for m in messages), messages


def test_normalise_is_nfkc_without_invisible_characters():
    assert normalise("\ufeff１２．５\u3000") == "12.5"
    assert normalise("ｍｉｎｅ＿ａ\u200b") == "mine_a"
    assert normalise("大同") == "大同"


def test_semicolon_separated_file_is_an_error(data):
    path = data / "supply.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    errors, _ = problems(data)
    assert any(e.file == "supply.csv" and "semicolons" in e.message for e in errors)


def test_workbook_hidden_rows_are_reported(tmp_path):
    path = _workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book["supply"].row_dimensions[3].hidden = True
    book.save(path)
    _, warnings = problems(path)
    assert any("row 2 is hidden" in w.message and w.file == "winter.xlsx[supply]" for w in warnings)


def test_network_yaml_full_width_period_labels_and_days(data):
    edit(data, "network.yaml", "period_days: 7", 'period_days: "７"')
    edit(data, "network.yaml", "2026-W49", "２０２６-W49")
    errors, warnings = problems(data)
    assert errors == []
    ds = read_dataset(data)
    assert ds.periods[0] == "2026-W49" and ds.period_days == 7
    assert {w.column for w in warnings} >= {"periods", "period_days"}


def test_network_yaml_key_slips_are_read_or_named(data):
    edit(data, "network.yaml", "periods:", "Periods:")
    edit(data, "network.yaml", "period_days: 7", "period_day: 14")
    errors, warnings = problems(data)
    assert errors == [] and len(read_dataset(data).periods) == 4  # 'Periods' read as periods
    assert any(w.column == "period_day" and "looks like period_days" in w.message for w in warnings)


@pytest.mark.parametrize("cell, severity, needle", [("6.000", "warning", "read as 6; if 6000 was meant"), ("6.000.000", "error", "dots as thousands separators")])
def test_dots_as_thousands_separators_are_named(data, cell, severity, needle):
    edit(data, "supply.csv", "mine_a,coal,6000", f"mine_a,coal,{cell}")
    errors, warnings = problems(data)
    found = [p for p in (errors if severity == "error" else warnings) if p.column == "capacity_t" and p.row == 1]
    assert found and needle in found[0].message


def test_unread_copy_of_a_table_that_was_found_gets_no_misleading_hint(data):
    shutil.copy(data / "links.csv", data / "links_old.csv")
    _, warnings = problems(data)
    listed = [w.message for w in warnings if "not read" in w.message]
    assert listed and "'links_old.csv'" in listed[0] and "did you mean" not in listed[0]
