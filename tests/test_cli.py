"""The feedesk command as an officer or a scheduler runs it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import python_calamine

from feedesk import sample
from macros import cli
from macros.jobs import month_close
from tests import office
from workbook import build, filehost, layout, registry


@pytest.mark.parametrize("args", [[], ["new"], ["run"], ["import"], ["demo"], ["jobs"]])
def test_help_everywhere(args):
    result = subprocess.run([sys.executable, "-m", "macros.cli", *args, "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "usage: feedesk" in result.stdout


def test_jobs_lists_the_registry(capsys):
    assert cli.main(["jobs"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[1] for line in out.splitlines()] == [j.key.replace("_", "-") for j in registry.JOBS]


def test_new_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "FeeDesk.xlsm"
    assert cli.main(["new", str(path), "--lang", "en"]) == 0
    assert cli.main(["new", str(path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert cli.main(["new", str(path), "--force"]) == 0


def test_demo_with_defaults_opens_in_libreoffice_with_the_samples_totals(tmp_path, capsys):
    assert cli.main(["demo", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "validate: ok" in out and "0 error(s)" in out
    path = tmp_path / "demo" / "FeeDesk.xlsm"
    expected = sample.make()  # the demo's defaults
    with filehost.FileBook(str(path), writable=False) as book:
        alone = [j.key for j in registry.JOBS if not j.asks_for_file and j.key not in month_close.STEPS]
        assert book.read("Audit")["Job"].tolist() == alone[:-1] + list(month_close.STEPS) + ["month_close"]
        assert book.read("Problems").empty
        assert book.read("CloseSummary")["Status"].tolist() == ["ok"] * len(month_close.STEPS)
    copy = office.convert(path, "xlsx", tmp_path / "lo")  # LibreOffice opens it and recalculates
    cells = python_calamine.CalamineWorkbook.from_path(str(copy)).get_sheet_by_name("控制台").to_python()
    overview = {row[0]: row[2] for row in cells if row and row[0] and len(row) > 2}
    bills = expected.tables["Bills"]
    assert overview["客户数"] == len(expected.tables["Customers"])
    assert overview["账单数"] == len(bills)
    assert round(overview["应收合计"] * 100) == int(bills["Amount"].sum())
    assert round(overview["已收合计（收款记录）"] * 100) == int(expected.tables["Payments"]["Amount"].sum())
    this_period = bills[bills["Period"] == expected.settings["Period"]]["Amount"].sum()
    assert round(overview["本账期应收"] * 100) == int(this_period)
    assert overview["错误"] == 0
    row0, col0 = layout.CONTROL_CLOSE_ANCHOR  # the close's summary as LibreOffice shows it
    summary = [row[col0:col0 + 4] for row in cells[row0 + 1:row0 + 1 + len(month_close.STEPS)]]
    assert [row[1] for row in summary] == [registry.job(k).zh for k in month_close.STEPS]
    assert "应收 ¥" in summary[1][2] and [row[3] for row in summary] == ["完成"] * len(month_close.STEPS)


def test_demo_in_english(tmp_path):
    assert cli.main(["demo", str(tmp_path), "--customers", "30", "--months", "2", "--lang", "en"]) == 0
    with filehost.FileBook(str(tmp_path / "FeeDesk.xlsm"), writable=False) as book:
        assert book.lang == "en"
        assert book.sheet_name("Bills") == "Bills"
        assert len(book.read("Customers")) == 30


def test_building_twice_gives_the_same_workbook(tmp_path):
    first = build.build(str(tmp_path / "a.xlsm"), "zh")
    second = build.build(str(tmp_path / "b.xlsm"), "zh")
    import zipfile

    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        differing = [n for n in a.namelist() if a.read(n) != b.read(n)]
    assert differing in ([], ["docProps/core.xml"])  # only the creation time may differ


def test_importing_statements_twice_adds_each_line_once(desk_book, capsys):
    import pathlib

    samples = pathlib.Path(__file__).parent / "samples"
    wechat = samples / "wechatpay_trade_bill.csv"
    before = wechat.read_bytes()
    assert cli.main(["import", "payments", str(wechat), str(desk_book)]) == 0
    assert "imported 12" in capsys.readouterr().out
    assert cli.main(["import", "payments", str(samples / "alipay_account_statement.zip"), str(desk_book)]) == 0
    assert cli.main(["import", "payments", str(wechat), str(desk_book)]) == 0
    assert "imported 0, already_there 12" in capsys.readouterr().out
    assert cli.main(["import", "bank", str(samples / "bank_statement.xlsx"), str(desk_book)]) == 0
    with filehost.FileBook(str(desk_book), writable=False) as book:
        payments, bank = book.read("Payments"), book.read("BankStatement")
    assert set(payments["Channel"]) == {"wechat", "alipay", "bank", "counter"} - {"counter"}
    assert len(payments) == 3 + 12 + 6  # the desk's own 3, WeChat's 12 rows, Alipay's 5 payments and 1 refund
    assert len(bank) == 15 and int(bank["Credit"].sum()) == 2_493_507  # the export's 合计: 24,935.07
    assert wechat.read_bytes() == before  # an input file is never touched


def test_importing_a_bank_file_as_payments_names_what_is_missing(desk_book, capsys):
    import pathlib

    bank = pathlib.Path(__file__).parent / "samples" / "bank_statement_gbk.csv"
    assert cli.main(["import", "payments", str(bank), str(desk_book)]) == 1
    out = capsys.readouterr().out
    assert "bank_statement_gbk.csv" in out and "找不到表头" in out
