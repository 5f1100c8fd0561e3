"""The built master workbook: tables, headers per language, names, drop-downs, VBA, Guide."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
from oletools import olevba

from workbook import build, guide, layout, registry


@pytest.fixture(scope="module", params=["zh", "en"])
def built(request, tmp_path_factory):
    path = tmp_path_factory.mktemp(request.param) / "FeeDesk.xlsm"
    build.build(str(path), request.param)
    return request.param, path


def test_every_table_is_an_excel_table_with_headers_in_the_language(built):
    lang, path = built
    workbook = openpyxl.load_workbook(path, keep_vba=True)
    found = {name: sheet.title for sheet in workbook.worksheets for name in sheet.tables}
    assert set(found) == set(layout.TABLES_BY_KEY)  # ListObject names are English keys
    for spec in layout.TABLES:
        sheet = workbook[found[spec.key]]
        assert sheet.title == (layout.CONTROL_SHEET[lang] if spec.sheet_key == "Control" else spec.sheet_name(lang))
        table = sheet.tables[spec.key]
        assert [c.name for c in table.tableColumns] == [c.header(lang) for c in spec.columns]
        row0, col0 = spec.anchor
        assert sheet.cell(row=row0 + 1, column=col0 + 1).value == spec.columns[0].header(lang)
        if spec.sheet_key is None:
            assert sheet.freeze_panes == "A2"


def test_sheet_order_and_hidden_conf(built):
    lang, path = built
    workbook = openpyxl.load_workbook(path, keep_vba=True)
    assert workbook.sheetnames[:2] == [layout.CONTROL_SHEET[lang], layout.GUIDE_SHEET[lang]]
    conf = workbook[layout.CONF_SHEET]
    assert conf.sheet_state == "hidden"
    assert dict(build.XLWINGS_CONF)["UDF Modules"] == "xlfuncs"
    assert [conf.cell(row=r, column=1).value for r in range(1, 4)] == ["Interpreter_Win", "Interpreter_Mac",
                                                                         "PYTHONPATH"]


def test_settings_are_named_cells(built):
    lang, path = built
    workbook = openpyxl.load_workbook(path, keep_vba=True)
    for setting in layout.SETTINGS:
        name = workbook.defined_names[setting.key]
        sheet, cell = next(name.destinations)
        assert sheet == layout.CONTROL_SHEET[lang]
        assert workbook[sheet][cell].offset(column=-2).value == setting.key


def test_drop_downs_for_closed_lists(built):
    lang, path = built
    workbook = openpyxl.load_workbook(path, keep_vba=True)
    sheet = workbook[layout.table("Customers").sheet_name(lang)]
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert lists["C2:C1048576"] == ('"居民,商业,机关事业"' if lang == "zh" else '"residential,commercial,institutional"')
    usage = workbook[layout.table("Usage").sheet_name(lang)]
    tariff = [v.formula1 for v in usage.data_validations.dataValidation if str(v.sqref) == "D2:D1048576"]
    assert tariff == [f'INDIRECT("Tariffs[{layout.table("Tariffs").column("TariffCode").header(lang)}]")']


def test_macro_workbook_with_the_xlwings_vba_project(built):
    _, path = built
    with zipfile.ZipFile(path) as archive:
        types = archive.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
        assert "xl/vbaProject.bin" in archive.namelist()
    parser = olevba.VBA_Parser(str(path))
    modules = {name for _, _, name, _ in parser.extract_macros()}
    code = "\n".join(source for _, _, _, source in parser.extract_macros())
    parser.close()
    assert "xlwings.bas" in modules
    assert "Sub RunPython" in code or "Function RunPython" in code


def test_control_sheet_lists_every_registered_job_with_room_for_its_button(built):
    lang, path = built
    sheet = openpyxl.load_workbook(path, keep_vba=True)[layout.CONTROL_SHEET[lang]]
    row0, col0 = layout.CONTROL_JOBS_ANCHOR
    listed = [sheet.cell(row=row0 + 2 + i, column=col0 + 2).value for i in range(len(registry.JOBS))]
    assert listed == [job.label(lang) for job in registry.JOBS]
    assert sheet.cell(row=row0 + 2 + len(registry.JOBS), column=col0 + 2).value is None
    assert sheet.cell(row=row0 + 1, column=layout.CONTROL_JOBS_BUTTON_COL + 1).value in ("按钮", "Button")


def test_guide_teaches_each_job_step_by_step(built):
    lang, path = built
    sheet = openpyxl.load_workbook(path, keep_vba=True)[layout.GUIDE_SHEET[lang]]
    text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    for job in registry.JOBS:
        for step in job.steps(lang):
            assert step in text
    assert ("使用说明" if lang == "zh" else "Guide") in text
    assert len(guide.lines(lang)) > 30


def test_zh_and_en_guides_have_the_same_shape():
    assert [kind for kind, _ in guide.lines("zh")] == [kind for kind, _ in guide.lines("en")]


def test_every_layout_column_has_zh_and_en_headers_and_unique_names():
    for spec in layout.TABLES:
        for lang in layout.LANGUAGES:
            headers = [c.header(lang) for c in spec.columns]
            assert len(set(headers)) == len(headers), (spec.key, lang)
            assert all(headers)
        assert len(spec.sheet_name("zh")) <= 31 and len(spec.sheet_name("en")) <= 31


def charts_of(path, table: str, lang: str) -> list[str]:
    sheet = layout.table(table).sheet_name(lang)
    with zipfile.ZipFile(path) as archive:
        charts = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/chart")]
    return [c for c in charts if f"'{sheet}'!" in c or f"<c:f>{sheet}!" in c]


def test_peer_comparison_has_a_native_chart_of_ours_and_the_peers(built):
    lang, path = built
    charts = charts_of(path, "PeerComparison", lang)
    assert len(charts) == 1
    assert "$D$2:$D$13" in charts[0]  # ours
    assert "$E$2:$E$13" in charts[0]  # the peers' average


def test_aging_summary_has_a_native_chart_of_the_total_buckets(built):
    lang, path = built
    charts = charts_of(path, "AgingSummary", lang)
    assert len(charts) == 2  # on its own sheet and on the Scorecard
    assert all("$C$2:$C$8" in c and "$D$2:$D$8" in c for c in charts)  # the total's seven buckets: label, amount
