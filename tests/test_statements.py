"""Statement imports: WeChat Pay trade bill, Alipay 账务明细 and a bank 交易明细, trap by trap.

The sample files in tests/samples/ are invented (see tests/samples/README.md) but keep the real
layouts. Their control totals, checked here from what is parsed:
  WeChat  12 rows: 10 payments 7,444.70, 2 refunds 840.00, net fees 39.63
  Alipay  5 income rows = 3,209.40; 7 expense rows = -2,787.26 (5 fees 19.26, 1 refund 268.00,
          1 withdrawal 2,500.00); closing balance 3,637.54
  bank    4 debits = 28,515.50; 11 credits = 24,935.07; opening 86,420.15; closing 82,839.72
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import pathlib
import zipfile
from decimal import Decimal as D

import pandas as pd

from feedesk import problems
from feedesk.statements import BUILT_IN_PROFILES, profiles_from_table, read_statement

SAMPLES = pathlib.Path(__file__).parent / "samples"
WECHAT_CSV = SAMPLES / "wechatpay_trade_bill.csv"
ALIPAY_CSV = SAMPLES / "alipay_account_statement.csv"
ALIPAY_ZIP = SAMPLES / "alipay_account_statement.zip"
BANK_CSV = SAMPLES / "bank_statement_gbk.csv"
BANK_XLSX = SAMPLES / "bank_statement.xlsx"

WECHAT = BUILT_IN_PROFILES["wechat"]
ALIPAY = BUILT_IN_PROFILES["alipay"]
BANK = BUILT_IN_PROFILES["bank_generic"]


def read(path, profile, lang="zh"):
    return read_statement(str(path), profile, lang)


def codes(found) -> list[str]:
    return [p.code for p in found]


def controls(frame) -> dict[str, tuple]:
    """label -> (stated, parsed) of the control totals the reader compared."""
    return {(c["label"], type(c["stated"]).__name__): (c["stated"], c["parsed"])
            for c in frame.attrs["statement"]["controls"]}


def rewrite(tmp_path, source: pathlib.Path, name: str, edit, encoding: str) -> pathlib.Path:
    """A copy of a sample with its text edited (the sample itself is never touched)."""
    target = tmp_path / name
    target.write_bytes(edit(source.read_bytes().decode(encoding)).encode(encoding))
    return target


# --- the layout the frames must fit -----------------------------------------------------------


def test_frames_have_the_workbook_tables_keys_and_typed_dtypes():
    from workbook import layout, tables

    for path, profile, table in ((WECHAT_CSV, WECHAT, "Payments"), (BANK_CSV, BANK, "BankStatement")):
        frame, found = read(path, profile)
        assert found == ()
        expected = tables.empty_frame(layout.table(table))
        assert list(frame.columns) == list(expected.columns)
        assert frame.dtypes.to_dict() == expected.dtypes.to_dict()  # Int64 fen, datetime64[s], str


def test_saved_profile_target_headers_agree_with_the_layout():
    from feedesk import statements
    from workbook import layout

    for kind, table in (("payments", "Payments"), ("bank", "BankStatement")):
        spec = layout.table(table)
        assert statements._COLUMNS[kind] == tuple(spec.keys)
        for key, (zh, en) in statements._TARGET_HEADERS[kind].items():
            assert (spec.column(key).zh, spec.column(key).en) == (zh, en)
    assert set(statements._CHANNEL_NAMES) == {c.code for c in layout.CHANNELS}
    assert set(statements._KIND_NAMES) == {c.code for c in layout.IMPORT_KINDS}


# --- WeChat Pay trade bill --------------------------------------------------------------------


def test_wechat_bill_twelve_rows_and_its_summary_row_agree():
    frame, found = read(WECHAT_CSV, WECHAT)
    assert found == ()
    assert len(frame) == 12  # 总交易单数 12: 10 payments + 2 refunds, the summary row is not a trade
    payments, refunds = frame[frame["Amount"] > 0], frame[frame["Amount"] < 0]
    assert len(payments) == 10 and payments["Amount"].sum() == 744470  # 应结订单总金额 7,444.70
    assert len(refunds) == 2 and refunds["Amount"].sum() == -84000  # 退款总金额 840.00
    assert frame["Fee"].sum() == 3963  # 手续费总金额 39.63 (net of the fees given back on refunds)
    assert set(frame["Channel"]) == {"wechat"}
    assert controls(frame) == {
        ("总交易单数", "int"): (12, 12),
        ("应结订单总金额", "Decimal"): (D("7444.70"), D("7444.70")),
        ("退款总金额", "Decimal"): (840, 840),
        ("充值券退款总金额", "Decimal"): (0, 0),
        ("手续费总金额", "Decimal"): (D("39.63"), D("39.63")),
        ("订单总金额", "Decimal"): (D("7449.70"), D("7449.70")),  # gross, 5.00 coupon
        ("申请退款总金额", "Decimal"): (840, 840),
    }
    assert all(c["ok"] for c in frame.attrs["statement"]["controls"])


def test_bom_is_stripped_whatever_encoding_the_profile_names():
    assert WECHAT_CSV.read_bytes().startswith(b"\xef\xbb\xbf")
    for encoding in (None, "utf-8", "gbk"):  # 'utf-8' keeps the BOM in the text; gbk cannot decode the file
        frame, found = read(WECHAT_CSV, dataclasses.replace(WECHAT, encoding=encoding))
        assert found == () and len(frame) == 12
        assert frame.attrs["statement"]["header_line"] == 1
        assert frame["PaidDate"].iloc[0] == pd.Timestamp("2026-03-02")  # 交易时间 found, not '\ufeff交易时间'


def test_backticks_are_stripped_and_ids_stay_exact_text():
    frame, _ = read(WECHAT_CSV, WECHAT)
    first = frame.loc[2]  # line 2: the first trade under the header
    assert first["PaymentID"] == "4200002718202603021572843091"  # `4200… -> 28 digits, as text
    assert first["Note"] == "P20260302081532001"  # 商户订单号
    assert first["PayerName"] == "oUpF8uJq3kD9xW2mZr7TbL5vNc1A"  # 用户标识 (openid)
    assert first["Amount"] == 128000 and first["Fee"] == 768  # `1280.00 and `7.68000 (5 decimals)
    assert first["Reference"] == "物业费2026年3月 3栋1单元502 / B2026030003|C000105"  # 商品名称 / 商户数据包
    assert pd.isna(first["CustomerID"]) and pd.isna(first["BillID"])  # not mapped by the built-in profile
    coupon = frame.loc[6]  # 11:36:40 MICROPAY: 45.00 gross, 5.00 coupon
    assert coupon["Amount"] == 4000 and coupon["Fee"] == 24  # 应结订单金额 40.00, net of the coupon


def test_wechat_refunds_are_negative_payments_of_the_same_order():
    frame, _ = read(WECHAT_CSV, WECHAT)
    refund = frame.loc[8]  # 14:20:05 REFUND of the 10:02:14 order on line 5
    assert refund["Amount"] == -60000  # 退款金额 600.00, out
    assert refund["Fee"] == -360  # 手续费 -3.60000: the fee given back
    assert refund["PaymentID"] == "50300309812026030217302948811"  # 微信退款单号: unique
    assert refund["ChannelTxnID"] == frame.loc[5, "ChannelTxnID"] == "4200002718202603021606671390"
    assert refund["Note"] == "P20260302100214004 / R20260302142005001"  # 商户订单号 / 商户退款单号
    earlier = frame.loc[10]  # refunds an order of 2026-03-01 that is not in this bill
    assert earlier["Amount"] == -24000 and earlier["PaidDate"] == pd.Timestamp("2026-03-02")
    assert frame["PaymentID"].is_unique


def test_wechat_comma_inside_a_product_name_is_rejoined(tmp_path):
    def edit(text):
        return text.replace("`临时停车费,", "`临时停车费,东门,")

    path = rewrite(tmp_path, WECHAT_CSV, "comma.csv", edit, "utf-8-sig")
    frame, found = read(path, WECHAT)
    assert found == ()
    assert frame.loc[6, "Reference"] == "临时停车费,东门" and frame.loc[6, "Amount"] == 4000


def test_wechat_legacy_layout_and_full_width_times(tmp_path):
    def edit(text):
        text = text.replace("应结订单金额", "总金额").replace("`2026-03-02 08:15:32", "`2026-03-02 08：15：32")
        return text.replace("`2026-03-02 08:47:09", "`2026-03-0208:47:09")

    frame, found = read(rewrite(tmp_path, WECHAT_CSV, "legacy.csv", edit, "utf-8-sig"), WECHAT)
    assert codes(found) == []
    assert frame.loc[2, "Amount"] == 128000 and frame.loc[2, "PaidDate"] == pd.Timestamp("2026-03-02")
    assert frame.loc[3, "PaidDate"] == pd.Timestamp("2026-03-02")


# --- Alipay 账务明细 ------------------------------------------------------------------------------


def test_alipay_gbk_statement_income_expense_and_closing_balance():
    frame, found = read(ALIPAY_CSV, ALIPAY)
    assert found == ()
    info = frame.attrs["statement"]
    assert info["encoding"] == "gbk" and info["header_line"] == 5  # after four '#' lines
    assert info["info"]["账号"] == "20881234567890120156"
    assert info["detail_rows"] == 12
    assert controls(frame) == {
        ("支出合计", "int"): (7, 7),
        ("支出合计", "Decimal"): (D("-2787.26"), D("-2787.26")),
        ("收入合计", "int"): (5, 5),
        ("收入合计", "Decimal"): (D("3209.40"), D("3209.40")),
    }
    assert info["closing_balance"] == 363754  # 3,637.54: the newest row's 账户余额 (rows are newest first)
    assert info["opening_balance"] == 321540  # 3,215.40 + 3,209.40 - 2,787.26 = 3,637.54
    # 5 payments (3,209.40) and the refund (-268.00) are payments; fees and the withdrawal are not rows.
    assert frame["Amount"].tolist() == [35640, 98000, -26800, 4500, 26800, 156000]
    assert frame["Amount"][frame["Amount"] > 0].sum() == 320940
    assert frame.loc[7, "Reference"] == "物业费2026年3月 B2026030014"  # GBK decoded, TAB before the comma gone
    assert frame.loc[7, "PaymentID"] == "1812345670080460567"  # 账务流水号
    assert frame.loc[7, "ChannelTxnID"] == "2026030222001420531405148612"  # 业务流水号, 28 digits as text
    assert set(frame["Channel"]) == {"alipay"}


def test_alipay_fee_rows_become_the_fee_of_their_payment_and_withdrawals_are_not_payments():
    frame, _ = read(ALIPAY_CSV, ALIPAY)
    assert frame.loc[7, "Fee"] == 214  # line 6: 收费 -2.14 for 业务流水号 …148612
    assert frame.loc[17, "Fee"] == 936  # 1,560.00 x 0.6 %
    assert frame["Fee"].sum() == 1926  # five 收费 rows: 2.14 + 5.88 + 0.27 + 1.61 + 9.36
    refund = frame.loc[11]  # 交易退款 of the 10:41:37 payment on line 15
    assert refund["Amount"] == -26800 and pd.isna(refund["Fee"])
    assert refund["ChannelTxnID"] == frame.loc[15, "ChannelTxnID"]
    assert 8 not in frame.index  # line 8: 提现 2,500.00 to the bank
    skipped = {s["line"]: s["why"] for s in frame.attrs["statement"]["skipped"]}
    assert skipped == {8: "提现", 6: "fee", 9: "fee", 12: "fee", 14: "fee", 16: "fee"}


def test_alipay_fee_without_its_payment_is_reported(tmp_path):
    def edit(text):  # drop the 09:02:11 payment (line 17), keep its fee row (line 16)
        return "\r\n".join(line for line in text.split("\r\n") if not line.startswith("1812345670007314597"))

    frame, found = read(rewrite(tmp_path, ALIPAY_CSV, "nofee.csv", edit, "gbk"), ALIPAY, "en")
    unlinked = [p for p in found if p.code == "statement_fee_unlinked"]
    assert len(unlinked) == 1
    assert unlinked[0].row == 16 and unlinked[0].column == "业务流水号" and unlinked[0].severity == problems.WARNING
    assert unlinked[0].value == "2026030222001420531405123481" and "9.36" in unlinked[0].message
    assert frame["Fee"].sum() == 990  # the other four fees
    # The footer still says 5 income rows / 3,209.40: the missing line shows up as a mismatch.
    mismatches = {(p.row, p.column, p.value) for p in found if p.code == "statement_total_mismatch"}
    assert mismatches == {(19, "收入合计", "5"), (19, "收入合计", "3,209.40")}  # the footer moved up a line


def test_alipay_zip_with_a_gbk_entry_name_reads_like_the_csv():
    with zipfile.ZipFile(ALIPAY_ZIP) as archive:
        (info,) = archive.infolist()
        assert not info.flag_bits & 0x800  # no UTF-8 flag: the name is GBK bytes
    frame, found = read(ALIPAY_ZIP, ALIPAY)
    plain, _ = read(ALIPAY_CSV, ALIPAY)
    assert found == ()
    pd.testing.assert_frame_equal(frame, plain)
    assert frame.attrs["statement"]["file"] == \
        "alipay_account_statement.zip › 20881234567890120156_20260302_账务明细.csv"


# --- bank 交易明细 --------------------------------------------------------------------------------


def test_bank_csv_preamble_footers_and_control_totals():
    frame, found = read(BANK_CSV, BANK)
    assert found == ()
    info = frame.attrs["statement"]
    assert info["encoding"] == "gbk"
    assert info["header_line"] == 8  # after the title, five label rows and a blank line
    assert info["info"]["账号"] == "1202001209000123456"  # '账　　号：' (U+3000 padding), TAB gone
    assert list(frame.index) == list(range(9, 24))  # 15 lines; 合计 / 借方笔数 / disclaimer are not rows
    assert frame["Debit"].count() == 4 and frame["Debit"].sum() == 2851550  # 28,515.50
    assert frame["Credit"].count() == 11 and frame["Credit"].sum() == 2493507  # 24,935.07
    assert info["opening_balance"] == 8642015  # 86,420.15
    assert info["closing_balance"] == 8283972  # 82,839.72
    assert 8642015 + 2493507 - 2851550 == 8283972
    assert controls(frame) == {
        ("合计 贷方发生额（收入）", "Decimal"): (D("24935.07"), D("24935.07")),
        ("合计 借方发生额（支取）", "Decimal"): (D("28515.50"), D("28515.50")),
        ("借方笔数", "int"): (4, 4),
        ("贷方笔数", "int"): (11, 11),
    }


def test_bank_thousands_separators_blank_sides_and_yyyymmdd_dates():
    frame, _ = read(BANK_CSV, BANK)
    first = frame.loc[9]
    assert first["Credit"] == 360000 and pd.isna(first["Debit"])  # "3,600.00"; the unused side is blank
    assert first["Balance"] == 9002015  # "90,020.15"
    assert frame.loc[19, "Balance"] == 10071972  # "100,719.72"
    assert first["TxnDate"] == pd.Timestamp("2026-03-02")  # '20260302' as text
    assert first["TxnID"] == "202603020931050001"  # TAB after the digits gone, text kept
    assert first["CounterpartyAccount"] == "6217000010081234567"
    assert frame.loc[12, "Debit"] == 1200 and pd.isna(frame.loc[12, "CounterpartyName"])  # own charge 手续费


def test_bank_memo_full_width_bill_id_and_two_bill_ids_kept_as_written():
    frame, _ = read(BANK_CSV, BANK)
    assert frame.loc[15, "Memo"] == "Ｂ２０２６０３００２１　物业费"  # full-width letters, digits, U+3000
    assert frame.loc[19, "Memo"] == "B2026030027,B2026030028 商铺物业费"  # quoted: the comma is not a field break
    assert frame.loc[17, "Memo"] == "c000231停车费+物业费"
    assert pd.isna(frame.loc[16, "Memo"])  # an empty 附言 stays blank
    assert frame.loc[13, "CounterpartyName"] == "支付宝（中国）网络技术有限公司"


def test_bank_xlsx_with_merged_two_row_header_reads_like_the_csv():
    frame, found = read(BANK_XLSX, BANK)
    plain, _ = read(BANK_CSV, BANK)
    assert found == ()
    info = frame.attrs["statement"]
    assert info["header_line"] == 8  # 发生额 over 借方/贷方 on row 7, the lower headings on row 8
    assert info["info"]["账号"] == "1202001209000123456"
    pd.testing.assert_frame_equal(frame, plain)  # same rows, same Excel row numbers as the CSV's lines
    assert frame["TxnDate"].iloc[0] == pd.Timestamp("2026-03-02")  # a real Excel date
    assert {c["label"]: c["ok"] for c in info["controls"]} == \
        {"合计 贷方发生额（收入）": True, "合计 借方发生额（支取）": True}  # the merged 合计 row
    assert info["closing_balance"] == 8283972


def test_full_width_digits_currency_signs_and_time_suffixed_dates(tmp_path):
    def edit(text):
        text = text.replace('"1,280.00"', '"￥１,２８０.００"').replace('"3,600.00"', "¥3600.00")
        return text.replace("20260302,11:12:40", "20260302 11:12:40,11:12:40")

    # '¥' (U+00A5) is not in GBK: the file is GB18030, which the reader falls back to after gbk and utf-8
    frame, found = read(rewrite(tmp_path, BANK_CSV, "fullwidth.csv", edit, "gb18030"), BANK)
    assert found == () and frame.attrs["statement"]["encoding"] == "gb18030"
    assert frame.loc[10, "Credit"] == 128000 and frame.loc[9, "Credit"] == 360000
    assert frame.loc[10, "TxnDate"] == pd.Timestamp("2026-03-02")


# --- saved profiles -----------------------------------------------------------------------------


def test_a_saved_profile_maps_a_renamed_bank_header(tmp_path):
    def edit(text):  # another bank: 转入金额 / 转出金额 / 凭证号, and no 附言 column at all
        return text.replace("借方发生额（支取）", "转出金额").replace("贷方发生额（收入）", "转入金额") \
            .replace("交易流水号", "凭证号").replace(",附言,", ",用途,")

    path = rewrite(tmp_path, BANK_CSV, "otherbank.csv", edit, "gbk")
    frame, found = read(path, BANK)
    assert len(frame) == 0 and codes(found) == ["statement_wrong_kind"]
    assert "转" not in found[0].message and "贷方发生额（收入）" in found[0].message  # lists what is missing

    saved = pd.DataFrame({  # as the ImportProfiles table reads: one row per mapping, Kind as a code
        "Profile": ["城东银行", "城东银行", "城东银行", "城东银行"],
        "Kind": ["bank", "bank", "bank", "bank"],
        "TargetColumn": ["Credit", "借方（支出）", "Transaction ID", "Memo"],  # key, zh or en header
        "SourceColumn": ["转入金额", "转出金额", "凭证号", "用途"],
        "Encoding": ["gbk", None, None, None],
        "Note": [None] * 4,
    }, index=pd.Index([5, 6, 7, 8], name="row"))
    profiles, profile_problems = profiles_from_table(saved)
    assert profile_problems == ()
    assert set(profiles) == {"wechat", "alipay", "bank_generic", "城东银行"}
    mine = profiles["城东银行"]
    assert mine.kind == "bank" and mine.encoding == "gbk"
    assert dict(mine.mapping)["Credit"] == "转入金额" and dict(mine.mapping)["TxnDate"] == "交易日期"
    frame, found = read(path, mine)
    plain, _ = read(BANK_CSV, BANK)
    assert found == ()
    pd.testing.assert_frame_equal(frame, plain)  # 合计 and 笔数 checked on the renamed columns too
    assert all(c["ok"] for c in frame.attrs["statement"]["controls"])


def test_saved_profile_overrides_a_built_in_and_reports_bad_rows():
    saved = pd.DataFrame({
        "方案名称": ["alipay", "alipay", "门店", "门店"],  # zh headers work as well as keys
        "导入到": ["收款记录", "收款记录", "payments", "paymnts"],
        "目标列": ["Note", "Payer", "金额", "渠道2"],
        "来源列": ["备注", "对方户名", "实收", "x"],
        "编码": [None, "nonsense-enc", None, None],
    }, index=pd.Index([2, 3, 4, 5], name="row"))
    profiles, found = profiles_from_table(saved, "en")
    alipay = profiles["alipay"]
    assert alipay.fee_types == ("收费",) and alipay.outflow == ALIPAY.outflow  # the built-in's rules stay
    assert alipay.sources("Note") == ("备注",) and alipay.sources("PayerName") == ("对方户名",)
    assert alipay.sources("Amount") == ALIPAY.sources("Amount")
    assert profiles["门店"].sources("Amount") == ("实收",) and profiles["门店"].sources("PaidDate") == ("收款日期",)
    assert [(p.code, p.row, p.column, p.value) for p in found] == [
        ("profile_bad_encoding", 3, "Encoding", "nonsense-enc"),
        ("profile_bad_target", 5, "Target column", "渠道2"),
    ]
    assert BUILT_IN_PROFILES["alipay"].sources("Note") == ("商户订单号",)  # built-ins untouched


# --- bad input ---------------------------------------------------------------------------------


def test_text_in_an_amount_and_a_bad_date_are_problems_naming_the_line(tmp_path):
    def edit(text):
        return text.replace('"1,280.00"', "一千二百八十").replace("20260305,09:10:00", "2026-13-45,09:10:00")

    frame, found = read(rewrite(tmp_path, BANK_CSV, "bad.csv", edit, "gbk"), BANK)
    assert len(frame) == 15  # the lines stay, with the unreadable cell blank
    assert pd.isna(frame.loc[10, "Credit"]) and pd.isna(frame.loc[20, "TxnDate"])
    by_code = {p.code: p for p in found}
    amount = by_code["statement_bad_amount"]
    assert (amount.sheet, amount.row, amount.column, amount.value) == ("bad.csv", 10, "贷方发生额（收入）", "一千二百八十")
    assert amount.severity == problems.ERROR and "不是金额" in amount.message
    day = by_code["statement_bad_date"]
    assert (day.row, day.column, day.value) == (20, "交易日期", "2026-13-45")
    # The footer no longer agrees with what could be read: 合计 and 贷方笔数 are off by that line.
    mismatch = sorted((p.row, p.column, p.value) for p in found if p.code == "statement_total_mismatch")
    assert mismatch == [(24, "合计 贷方发生额（收入）", "24,935.07"), (25, "贷方笔数", "11")]
    assert "statement_balance_break" not in codes(found)  # the bad line itself explains the balance


def test_a_missing_line_breaks_the_totals_and_the_balance_chain(tmp_path):
    def edit(text):
        return "\r\n".join(line for line in text.split("\r\n") if "202603031544000008" not in line)

    frame, found = read(rewrite(tmp_path, BANK_CSV, "gap.csv", edit, "gbk"), BANK, "en")
    assert len(frame) == 14
    assert sorted(codes(found)) == ["statement_balance_break", "statement_total_mismatch",
                                    "statement_total_mismatch"]
    brk = next(p for p in found if p.code == "statement_balance_break")
    assert brk.row == 16 and brk.severity == problems.WARNING and brk.value == "95,723.22"
    assert "does not follow" in brk.message
    total = next(p for p in found if p.column == "合计 贷方发生额（收入）")
    assert total.value == "24,935.07" and "24,485.07" in total.message and "450.00" in total.message


def test_duplicate_id_within_the_file(tmp_path):
    def edit(text):
        return text.replace("202603021112400002", "202603020931050001")

    _frame, found = read(rewrite(tmp_path, BANK_CSV, "dup.csv", edit, "gbk"), BANK)
    (dup,) = [p for p in found if p.code == "statement_duplicate_id"]
    assert (dup.row, dup.column, dup.value) == (10, "交易流水号", "202603020931050001")
    assert "第 9 行" in dup.message


def test_a_file_of_another_kind_names_the_missing_headers():
    frame, found = read(BANK_CSV, WECHAT, "en")
    assert frame.empty and list(frame.columns)[:3] == ["PaymentID", "Channel", "PaidDate"]
    (problem,) = found
    assert problem.code == "statement_wrong_kind" and problem.sheet == "bank_statement_gbk.csv"
    assert problem.row is None
    assert "'微信订单号'" in problem.message and "'交易状态'" in problem.message and "'wechat'" in problem.message
    frame, found = read(WECHAT_CSV, ALIPAY)
    assert codes(found) == ["statement_wrong_kind"] and "账务流水号" in found[0].message
    frame, found = read(SAMPLES / "README.md", BANK)
    assert codes(found) == ["statement_wrong_kind"]


def test_missing_and_unreadable_files(tmp_path):
    frame, found = read(tmp_path / "nowhere.csv", BANK)
    assert frame.empty and codes(found) == ["file_missing"]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    frame, found = read(broken, BANK)
    assert frame.empty and codes(found) == ["statement_unreadable"]
    empty_zip = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("readme.txt.md", "nothing")
    assert codes(read(empty_zip, ALIPAY)[1]) == ["statement_unreadable"]


def test_header_without_rows_is_a_warning(tmp_path):
    def edit(text):
        head, _, _ = text.partition("20260302,09:31:05")
        return head

    frame, found = read(rewrite(tmp_path, BANK_CSV, "empty.csv", edit, "gbk"), BANK)
    assert frame.empty and codes(found) == ["statement_no_rows"] and found[0].severity == problems.WARNING


def test_an_optional_column_missing_is_a_warning_and_stays_blank(tmp_path):
    def edit(text):
        return text.replace(",附言,", ",附注,")

    frame, found = read(rewrite(tmp_path, BANK_CSV, "nomemo.csv", edit, "gbk"), BANK, "en")
    assert len(frame) == 15 and frame["Memo"].isna().all()
    (warning,) = found
    assert (warning.code, warning.column, warning.severity) == ("statement_column_missing", "附言", problems.WARNING)


def test_input_files_are_never_modified():
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in SAMPLES.iterdir() if p.is_file()}
    stamps = {p.name: p.stat().st_mtime_ns for p in SAMPLES.iterdir() if p.is_file()}
    for path, profile in ((WECHAT_CSV, WECHAT), (ALIPAY_CSV, ALIPAY), (ALIPAY_ZIP, ALIPAY), (BANK_CSV, BANK),
                          (BANK_XLSX, BANK), (BANK_CSV, WECHAT)):
        read(path, profile)
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in SAMPLES.iterdir() if p.is_file()} == before
    assert {p.name: p.stat().st_mtime_ns for p in SAMPLES.iterdir() if p.is_file()} == stamps


def test_every_statement_message_exists_in_both_languages():
    for code, (zh, en) in problems.MESSAGES.items():
        if code.startswith(("statement_", "profile_")):
            assert zh and en and zh != en


def test_dates_in_paid_date_are_days():
    frame, _ = read(WECHAT_CSV, WECHAT)
    assert {d.date() for d in frame["PaidDate"]} == {datetime.date(2026, 3, 2)}
