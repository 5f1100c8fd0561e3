"""The demo data: deterministic, shaped and typed by the layout, and internally consistent."""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

from feedesk import sample
from workbook import build, filehost, layout
from workbook.layout import Kind

INPUTS = [t.key for t in layout.INPUT_TABLES]

DTYPES = {
    Kind.MONEY: "Int64", Kind.INT: "Int64", Kind.NUMBER: "float64", Kind.PRICE: "float64", Kind.RATE: "float64",
    Kind.DATE: "datetime64[s]", Kind.DATETIME: "datetime64[s]", Kind.PERIOD: "str", Kind.BOOL: "boolean",
    Kind.TEXT: "str",  # pandas' str dtype (NaN for a blank), as the workbook's file host reads text
}


@pytest.fixture(scope="module")
def book() -> sample.SampleBook:
    return sample.make()


@pytest.fixture(scope="module")
def t(book) -> dict[str, pd.DataFrame]:
    return book.tables


def check_layout(book: sample.SampleBook) -> None:
    """Every table has the layout's columns, dtypes and rules (required, unique, choices, refs)."""
    assert list(book.tables) == INPUTS
    for key, frame in book.tables.items():
        spec = layout.table(key)
        assert list(frame.columns) == spec.keys, key
        assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0, key
        for column in spec.columns:
            series = frame[column.key]
            where = f"{key}.{column.key}"
            assert str(series.dtype) == DTYPES[column.kind], (where, series.dtype)
            present = series.dropna()
            if column.required:
                assert len(present) == len(series), f"{where} has blanks"
            if column.unique:
                assert not present.duplicated().any(), f"{where} has duplicates"
            if column.kind in (Kind.TEXT, Kind.PERIOD):
                assert isinstance(series.dtype, pd.StringDtype) and np.isnan(series.dtype.na_value), where
                values = present.tolist()
                assert all(type(v) is str for v in values), where
                assert all(v and v == v.strip() for v in values), f"{where} has padded or empty text"
            if column.choices and column.kind is not Kind.BOOL:
                codes = {c.code for c in column.choices}
                assert set(present) <= codes, (where, set(present) - codes)
            if column.kind is Kind.PERIOD:
                assert present.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").all(), where
            if column.kind is Kind.DATE:
                assert (present == present.dt.normalize()).all(), f"{where} is not at midnight"
            if column.ref:
                table, target = column.ref.split(".")
                known = set(book.tables[table][target].dropna())
                assert present.isin(known).all(), f"{where} refers to missing {column.ref}"
    # References the layout does not declare but the story needs.
    tables = book.tables
    customers = set(tables["Customers"].CustomerID)
    bills = set(tables["Bills"].BillID)
    assert tables["Payments"].CustomerID.dropna().isin(customers).all()
    assert tables["Payments"].BillID.dropna().isin(bills).all()
    assert tables["Complaints"].BillID.dropna().isin(bills).all()
    assert set(tables["Usage"].TariffCode) <= set(tables["Tariffs"].TariffCode)
    assert set(tables["DunningPolicy"].Template) <= set(tables["Templates"].TemplateKey)


# -- shape and determinism ---------------------------------------------------------------------


def test_default_book_follows_the_layout(book):
    check_layout(book)


@pytest.mark.parametrize("customers, months, start, lang", [
    (1, 1, "2026-01", "zh"), (3, 2, "2025-11", "en"), (40, 14, "2026-07", "zh"), (250, 3, "2026-12", "en"),
])
def test_small_and_odd_sizes_follow_the_layout(customers, months, start, lang):
    book = sample.make(customers, months, start_period=start, seed=3, lang=lang)
    check_layout(book)
    assert len(book.tables["Customers"]) == customers
    assert book.tables["GL"].Period.tolist() == [
        f"{(int(start[:4]) * 12 + int(start[5:]) - 1 + i) // 12:04d}-{(int(start[5:]) - 1 + i) % 12 + 1:02d}"
        for i in range(months)]
    assert book.settings["Language"] == lang


def test_same_seed_same_frames_other_seed_other_frames(book):
    again = sample.make()
    assert list(again.tables) == list(book.tables)
    for key in book.tables:
        pd.testing.assert_frame_equal(again.tables[key], book.tables[key], check_exact=True)
    assert again.settings == book.settings
    other = sample.make(seed=8)
    assert not other.tables["Bills"].Amount.equals(book.tables["Bills"].Amount)
    assert not other.tables["Customers"].Name.equals(book.tables["Customers"].Name)
    assert not other.tables["Payments"].equals(book.tables["Payments"])


def test_settings(book):
    s = book.settings
    assert s["AsOfDate"] == datetime.date(2027, 1, 10)
    assert type(s["AsOfDate"]) is datetime.date
    assert s["Period"] == "2026-12"
    assert s["Language"] == "zh"
    assert s["CompanyName"] == "青禾物业服务有限公司"
    for key in ("CompanyAddress", "ContactPerson", "ContactPhone", "ContactEmail"):
        assert s[key]
    assert set(s) <= set(layout.SETTINGS_BY_KEY)
    assert sample.make(20, 3, start_period="2026-05").settings["AsOfDate"] == datetime.date(2026, 8, 10)
    assert sample.make(20, 2, lang="en").settings["CompanyName"].startswith("Qinghe")


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        sample.make(0)
    with pytest.raises(ValueError):
        sample.make(10, 0)
    with pytest.raises(ValueError):
        sample.make(10, 2, start_period="2026-13")
    with pytest.raises(ValueError):
        sample.make(10, 2, lang="fr")


def test_table_columns_repeat_the_layout():
    """feedesk may not import workbook, so sample keeps its own copy of the column list."""
    kinds = {k: k.value for k in Kind}
    for spec in layout.INPUT_TABLES:
        assert sample.TABLE_COLUMNS[spec.key] == tuple((c.key, kinds[c.kind]) for c in spec.columns)


# -- content ------------------------------------------------------------------------------------


def test_ids_look_like_the_samples(t):
    assert t["Customers"].CustomerID.str.fullmatch(r"C\d{6}").all()
    assert t["Bills"].BillID.str.fullmatch(r"B\d{10}").all()
    assert t["Payments"].PaymentID.str.fullmatch(r"P\d{12}").all()
    assert t["BankStatement"].TxnID.str.fullmatch(r"\d{18,}").all()
    # BillID = B + the period + a sequence within the period
    bills = t["Bills"]
    assert (bills.BillID.str[1:7] == bills.Period.str.replace("-", "")).all()


def test_ids_widen_for_big_books():
    bills = sample.make(10_050, 1).tables["Bills"]  # more than 9999 bills in a period
    assert (bills.Period == "2026-01").sum() == 10_050
    assert bills.BillID.str.fullmatch(r"B\d{11}").all()
    assert bills.BillID.iloc[-1] == "B20260110050"


def test_customers(t):
    c = t["Customers"]
    share = c.CustomerType.value_counts(normalize=True)
    assert 0.80 < share["residential"] < 0.90
    res = c[c.CustomerType == "residential"]
    assert res.Area.between(60, 150).all()
    assert res.Persons.between(1, 8).all() and (res.Persons > 5).any()
    assert c.Phone.str.fullmatch(r"1[3-9]\d{9}").all()
    assert 0.3 < c.Email.notna().mean() < 0.5
    assert c.Email.dropna().str.fullmatch(r"[a-z0-9]+@[a-z0-9.]+").all()
    assert (c.Status == "active").mean() > 0.9 and {"suspended", "closed"} <= set(c.Status)
    assert 0 < c.Exemption.notna().mean() < 0.03
    assert c.groupby("Region").Officer.nunique().eq(1).all()
    assert not res.Address.duplicated().any()
    assert res.Address.str.fullmatch(r"\w+?\d+栋\d单元\d{3,4}").all()


def test_tariffs(t):
    tariffs = t["Tariffs"]
    proposed = tariffs[tariffs.Proposed]
    # a proposed residential water price from the day after the span, for the tariff-impact job
    assert proposed.UnitPrice.tolist() == [4.0, 5.81, 7.22] and (proposed.TariffCode == "WATER-RES").all()
    assert proposed.EffectiveFrom.iloc[0] == pd.Timestamp("2027-01-01")
    tariffs = tariffs[~tariffs.Proposed]
    water = tariffs[tariffs.TariffCode == "WATER-RES"]
    assert water.Tier.tolist() == [1, 2, 3, 1, 2, 3]
    assert water.UnitPrice.tolist()[:3] == [3.45, 4.83, 5.83]
    assert water.UpperBound.tolist()[:2] == [15.0, 22.0] and water.UpperBound.isna().tolist()[2]
    assert water.EffectiveTo.iloc[0] == pd.Timestamp("2026-06-30")
    assert water.EffectiveFrom.iloc[3] == pd.Timestamp("2026-07-01") and pd.isna(water.EffectiveTo.iloc[3])
    assert (water.UnitPrice.iloc[3:].to_numpy() > water.UnitPrice.iloc[:3].to_numpy()).all()
    power = tariffs[tariffs.TariffCode == "ELEC-RES"]
    assert power.UnitPrice.tolist()[:3] == [0.4883, 0.5383, 0.7883]
    assert power.UpperBound.tolist()[:2] == [240.0, 400.0]
    assert set(tariffs.Model) == {"graduated", "per_unit"}
    assert tariffs.VATIncluded.all() and (tariffs.Rounding == "half_up").all()
    prop = tariffs[tariffs.FeeItem == "property"].set_index("TariffCode")
    assert prop.UnitPrice.to_dict() == {"PROP-RES": 2.2, "PROP-COM": 6.5, "PROP-INS": 4.0}
    assert prop.Unit.eq("㎡").all()
    assert dict(zip(tariffs.FeeItem, tariffs.VATRate)) == {"water": 0.09, "electricity": 0.13, "property": 0.06}


def test_usage_readings_run_on(t):
    usage = t["Usage"]
    metered = usage[usage.FeeItem != "property"].sort_values(["MeterID", "Period"], kind="stable")
    assert metered.MeterID.notna().all() and metered.ReadingDate.notna().all()
    assert (metered.Quantity == metered.CurrReading - metered.PrevReading).all()
    assert (metered.Quantity >= 0).all() and (metered.Quantity == metered.Quantity.round()).all()
    same_meter = metered.MeterID.eq(metered.MeterID.shift())
    assert (metered.PrevReading[same_meter] == metered.CurrReading.shift()[same_meter]).all()
    # read late in the month of the period
    assert (metered.ReadingDate.dt.strftime("%Y-%m") == metered.Period).all()
    assert (metered.ReadingDate.dt.day >= 20).all()
    assert 0.005 < metered.Estimated.mean() < 0.03
    prop = usage[usage.FeeItem == "property"]
    assert prop.MeterID.isna().all() and prop.PrevReading.isna().all() and prop.ReadingDate.isna().all()
    area = t["Customers"].set_index("CustomerID").Area
    assert (prop.Quantity.to_numpy() == area[prop.CustomerID].to_numpy()).all()
    # the tariff matches the customer's type and the fee item
    kind = t["Customers"].set_index("CustomerID").CustomerType[usage.CustomerID].to_numpy()
    expected = {("residential", "water"): "WATER-RES", ("commercial", "electricity"): "ELEC-COM",
                ("institutional", "property"): "PROP-INS"}
    for (ctype, item), code in expected.items():
        assert set(usage.TariffCode[(kind == ctype) & (usage.FeeItem == item).to_numpy()]) == {code}


def test_usage_is_seasonal(t):
    usage = t["Usage"]
    mean = usage.groupby(["FeeItem", "Period"]).Quantity.mean()
    assert mean["water"]["2026-08"] > 1.2 * mean["water"]["2026-02"]
    assert mean["electricity"]["2026-08"] > 1.3 * mean["electricity"]["2026-04"]
    assert mean["electricity"]["2026-01"] > 1.2 * mean["electricity"]["2026-04"]


def test_one_bill_per_customer_and_month(t):
    """A month's bill covers all of a customer's fee items; the items are the usage rows."""
    usage, bills = t["Usage"], t["Bills"]
    keys = ["CustomerID", "Period"]
    assert not usage.duplicated(keys + ["FeeItem"]).any()
    assert not bills.duplicated(keys).any()
    assert (usage.groupby(keys).FeeItem.agg(lambda x: tuple(sorted(x))) == ("electricity", "property", "water")).all()
    joined = usage.merge(bills, on=keys, how="left", validate="many_to_one", suffixes=("", "_bill"))
    assert joined.BillID.notna().all()
    combined = bills[bills.BillID.isin(joined.BillID)]
    assert len(combined) == len(usage) // 3
    assert combined.FeeItem.isna().all() and combined.Quantity.isna().all()
    carried = bills[~bills.BillID.isin(joined.BillID)]
    assert len(carried) and (carried.Period < "2026-01").all() and (carried.FeeItem == "property").all()
    assert carried.Quantity.notna().all() and (carried.Status == "open").all()
    # about one bill per customer a month (a few move in, a few close)
    assert 0.95 * 2000 * 12 < len(combined) <= 2000 * 12
    # the note says which reading was estimated
    estimated = usage[usage.Estimated.fillna(False)].merge(bills, on=keys, suffixes=("", "_bill"))
    assert estimated.Note.str.contains("估抄").all()
    assert bills.Note[~bills.BillID.isin(estimated.BillID) & ~bills.BillID.isin(carried.BillID)].isna().all()


def test_bill_dates(t):
    bills = t["Bills"]
    start = pd.to_datetime(bills.Period + "-01")
    assert (bills.BillDate == start + pd.offsets.MonthBegin(1)).all()
    assert (bills.DueDate == bills.BillDate + pd.Timedelta(days=15)).all()


# -- money --------------------------------------------------------------------------------------


def _items(t) -> pd.DataFrame:
    """Each usage item with its bill, the day its price is taken and its Decimal amount."""
    usage = t["Usage"].merge(t["Bills"][["BillID", "CustomerID", "Period", "Amount"]], on=["CustomerID", "Period"])
    usage["Day"] = usage.ReadingDate.fillna(pd.to_datetime(usage.Period + "-01"))
    return usage


def test_hand_checked_amounts(t):
    """Item by item: a bill's amount less its other items (Decimal) is the hand-checked item."""
    items = _items(t)
    tariffs = t["Tariffs"]

    def amounts(code, quantity, before_change):
        chosen = items[(items.TariffCode == code) & (items.Quantity == quantity)
                       & ((items.Period < "2026-07") == before_change)]
        assert len(chosen), (code, quantity)
        found = set()
        for bill in chosen.BillID.tolist()[:25]:
            others = items[(items.BillID == bill) & (items.TariffCode != code)]
            assert len(others) == 2
            rest = sum(_reference_amount(tariffs, r.TariffCode, r.Day, r.Quantity) for r in others.itertuples())
            found.add(int(others.Amount.iloc[0]) - rest)
        return found

    # 15 x 3.45 + 5 x 4.83 = 51.75 + 24.15 = 75.90 yuan
    assert amounts("WATER-RES", 20, True) == {7590}
    # after the July price change: 15 x 3.65 + 5 x 5.11 = 54.75 + 25.55 = 80.30
    assert amounts("WATER-RES", 20, False) == {8030}
    # 10 m³ stays in tier 1: 34.50
    assert amounts("WATER-RES", 10, True) == {3450}
    # 240 x 0.4883 + 60 x 0.5383 = 117.19 + 32.30 (117.192, 32.298) = 149.49 yuan
    assert amounts("ELEC-RES", 300, True) == {14949}
    # each tier's line rounded: 117.19 + 86.13 + 39.42 (117.192, 86.128, 39.415) = 242.74
    assert amounts("ELEC-RES", 450, True) == {24274}


def _reference_amount(tariffs: pd.DataFrame, code: str, day: pd.Timestamp, quantity: float) -> int:
    """Slow Decimal recomputation: the tariff in force that day, each tier's line half-up once."""
    rows = tariffs[(tariffs.TariffCode == code) & (tariffs.EffectiveFrom <= day)
                   & (tariffs.EffectiveTo.isna() | (tariffs.EffectiveTo >= day))].sort_values("Tier")
    assert len(rows) and rows.Tier.tolist() == list(range(1, len(rows) + 1))
    units = Decimal(repr(float(quantity)))
    total, lower = Decimal(0), Decimal(0)
    for bound, price in zip(rows.UpperBound, rows.UnitPrice):
        upper = units if pd.isna(bound) else min(units, Decimal(repr(float(bound))))
        if upper > lower:
            line = (upper - lower) * Decimal(repr(float(price)))
            total += int((line * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if not pd.isna(bound):
            lower = max(lower, Decimal(repr(float(bound))))
    return int(total)


def test_hand_checked_whole_bill():
    """One household's bill worked out by hand: every tier line rounded on its own, then added."""
    book = sample.make(5, 1)
    usage, bills = book.tables["Usage"], book.tables["Bills"]
    customer = book.tables["Customers"].query("CustomerType == 'residential'").iloc[0]
    mine = usage[usage.CustomerID == customer.CustomerID].set_index("FeeItem").Quantity
    bill = bills[(bills.CustomerID == customer.CustomerID) & (bills.Period == "2026-01")]
    assert len(bill) == 1

    def half_up(yuan: Decimal) -> int:
        return int((yuan * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def tiers(quantity, bounds, prices):
        """Each tier's line rounded on its own, as a bill shows it."""
        units, lower, total = Decimal(repr(float(quantity))), Decimal(0), 0
        for bound, price in zip(bounds, prices):
            upper = units if bound is None else min(units, Decimal(bound))
            total += half_up(max(upper - lower, Decimal(0)) * Decimal(price))
            lower = Decimal(bound) if bound is not None else lower
        return total

    water = tiers(mine["water"], (15, 22, None), ("3.45", "4.83", "5.83"))
    power = tiers(mine["electricity"], (240, 400, None), ("0.4883", "0.5383", "0.7883"))
    area = half_up(Decimal(repr(float(customer.Area))) * Decimal("2.20"))
    assert mine["property"] == customer.Area
    assert bill.Amount.iloc[0] == water + power + area
    assert pd.isna(bill.FeeItem.iloc[0]) and pd.isna(bill.Quantity.iloc[0])


def test_bill_amounts_match_a_decimal_recomputation(t):
    """A bill's amount is the sum of its usage items, each priced exactly and rounded once."""
    items = _items(t)
    bills = t["Bills"][t["Bills"].BillID.isin(items.BillID)]
    rng = np.random.default_rng(0)
    picks = set(bills.BillID.iloc[rng.choice(len(bills), 150, replace=False)])
    # and a bill for every tariff code and period, so each tariff version is covered
    picks |= set(items.drop_duplicates(["TariffCode", "Period"]).BillID)
    tariffs = t["Tariffs"]
    chosen = items[items.BillID.isin(picks)]
    assert chosen.groupby("BillID").size().eq(3).all()
    for bill, rows in chosen.groupby("BillID"):
        expected = sum(_reference_amount(tariffs, r.TariffCode, r.Day, r.Quantity) for r in rows.itertuples())
        assert expected == rows.Amount.iloc[0], (bill, rows.to_dict("records"))
    assert (bills.Amount > 0).all()  # every month's bill has at least the property fee


def test_carried_arrears_are_priced_by_the_property_tariff(t):
    bills = t["Bills"]
    carried = bills[bills.Period < "2026-01"]
    assert len(carried)
    ctype = t["Customers"].set_index("CustomerID").CustomerType
    code = {"residential": "PROP-RES", "commercial": "PROP-COM", "institutional": "PROP-INS"}
    for row in carried.itertuples():
        expected = _reference_amount(t["Tariffs"], code[ctype[row.CustomerID]], pd.Timestamp(row.Period + "-01"),
                                     row.Quantity)
        assert expected == row.Amount


# -- payments, bank, ledger ---------------------------------------------------------------------


def test_bill_status_follows_what_was_paid(t):
    bills, payments = t["Bills"], t["Payments"]
    assert bills.PaidAmount.sum() == payments.Amount.sum()
    paid = bills.PaidAmount >= bills.Amount
    assert (bills.Status[paid] == "paid").all()
    assert (bills.Status[~paid & (bills.PaidAmount > 0)] == "partial").all()
    assert (bills.Status[bills.PaidAmount == 0] == bills.Amount[bills.PaidAmount == 0].gt(0).map(
        {True: "open", False: "paid"})).all()
    by_bill = payments.dropna(subset=["BillID"]).groupby("BillID").Amount.sum()
    assert (by_bill <= bills.set_index("BillID").PaidAmount[by_bill.index]).all()
    share = bills.Status.value_counts(normalize=True)
    assert 0.03 < share["open"] < 0.12 and 0.01 < share["partial"] < 0.05
    assert (bills.PaidAmount > bills.Amount).any()  # overpaid or paid twice


def test_payments(book, t):
    payments, bills = t["Payments"], t["Bills"]
    as_of = pd.Timestamp(book.settings["AsOfDate"])
    assert (payments.PaidDate <= as_of).all()
    assert (payments.Amount > 0).all()
    share = payments.Channel.value_counts(normalize=True)
    for channel, expected in {"bank": 0.30, "wechat": 0.35, "alipay": 0.25, "counter": 0.10}.items():
        assert abs(share[channel] - expected) < 0.07, share
    online = payments.Channel.isin(["wechat", "alipay"])
    fee = (payments.Amount[online] * 6 + 500) // 1000
    assert (payments.Fee[online] == fee).all()
    assert payments.Fee[~online].isna().all()
    assert 0.2 < payments.BillID[payments.Channel == "bank"].notna().mean() < 0.5
    assert payments.BillID[payments.Channel == "wechat"].notna().mean() > 0.8
    assert payments.ChannelTxnID.notna().all() and payments.ChannelTxnID.str.fullmatch(r"\d+").all()
    assert payments.PaymentID.str[1:9].eq(payments.PaidDate.dt.strftime("%Y%m%d")).all()
    known = payments.dropna(subset=["BillID"]).merge(bills[["BillID", "DueDate", "Amount"]], on="BillID",
                                                     suffixes=("", "_bill"))
    late = (known.PaidDate > known.DueDate).mean()
    assert 0.05 < late < 0.16
    twice = known[known.BillID.duplicated(keep=False)]
    assert len(twice)  # duplicates and top-ups
    refs = payments.Reference.dropna()
    assert refs.str.contains(r"B\d{10},B\d{10}").any()  # several bills in one transfer
    assert refs.str.contains("[Ｂ０-９]").any()  # full-width digits
    assert refs.str.contains(r"c\d{6}").any()  # lowercase customer ids


def test_bank_balance_runs(t):
    bank = t["BankStatement"]
    assert (bank.Credit.notna() ^ bank.Debit.notna()).all()
    assert (bank.Credit.dropna() > 0).all() and (bank.Debit.dropna() > 0).all()
    assert bank.TxnDate.is_monotonic_increasing
    movement = bank.Credit.fillna(0) - bank.Debit.fillna(0)
    assert (bank.Balance.diff().iloc[1:] == movement.iloc[1:]).all()
    assert (bank.Balance > 0).all()
    names = set(bank.CounterpartyName.dropna())
    assert {"财付通支付科技有限公司", "支付宝（中国）网络技术有限公司"} <= names
    assert {"手续费", "代发工资", "现金存入"} <= set(bank.Summary)
    assert bank.Memo.isna().any()


def test_bank_matches_the_payments(book, t):
    bank, payments = t["BankStatement"], t["Payments"]
    transfers = payments[payments.Channel == "bank"]
    on_bank = bank.set_index("TxnID").loc[transfers.ChannelTxnID]
    assert (on_bank.Credit.to_numpy() == transfers.Amount.to_numpy()).all()
    assert (on_bank.TxnDate.to_numpy() == transfers.PaidDate.to_numpy()).all()
    assert (on_bank.Memo.fillna("").to_numpy() == transfers.Reference.fillna("").to_numpy()).all()
    # WeChat settles each day's receipts the next day, net of fees
    wechat = payments[payments.Channel == "wechat"]
    net = (wechat.Amount - wechat.Fee).groupby(wechat.PaidDate).sum()
    settled = bank[bank.CounterpartyName == "财付通支付科技有限公司"].set_index("TxnDate").Credit
    expected = net[net.index + pd.Timedelta(days=1) <= pd.Timestamp(book.settings["AsOfDate"])]
    assert (settled.to_numpy() == expected.to_numpy()).all()
    assert (settled.index == expected.index + pd.Timedelta(days=1)).all()


def test_general_ledger(t):
    gl, bills, payments = t["GL"], t["Bills"], t["Payments"]
    assert (gl.Account == "1122").all() and gl.Period.tolist() == [f"2026-{m:02d}" for m in range(1, 13)]
    assert (gl.ClosingBalance == gl.OpeningBalance + gl.Debit - gl.Credit).all()
    assert (gl.OpeningBalance.iloc[1:].to_numpy() == gl.ClosingBalance.iloc[:-1].to_numpy()).all()
    carried = bills.Amount[bills.Period < "2026-01"].sum()
    assert gl.OpeningBalance.iloc[0] == carried
    billed = bills.groupby("Period").Amount.sum()
    assert (gl.Debit.to_numpy() == billed[gl.Period].to_numpy()).all()
    received = payments.Amount.groupby(payments.PaidDate.dt.strftime("%Y-%m")).sum().reindex(gl.Period, fill_value=0)
    difference = gl.Credit.to_numpy() - received.to_numpy()
    # one day's counter cash of one period was booked in the next one
    off = np.flatnonzero(difference)
    assert len(off) == 2 and off[1] == off[0] + 1 and difference[off[0]] == -difference[off[1]] < 0


def test_complaints(book, t):
    complaints, bills = t["Complaints"], t["Bills"]
    assert 10 <= len(complaints) <= 60
    disputes = complaints[complaints.IsDispute]
    assert len(disputes) and disputes.BillID.notna().all()
    assert complaints.BillID[~complaints.IsDispute].isna().all()
    joined = disputes.merge(bills[["BillID", "CustomerID", "BillDate"]], on="BillID", suffixes=("", "_bill"))
    assert (joined.CustomerID == joined.CustomerID_bill).all()
    assert (joined.OpenedDate >= joined.BillDate).all()
    resolved = complaints.Status == "resolved"
    assert complaints.ResolvedDate[resolved].notna().all() and complaints.ResolvedDate[~resolved].isna().all()
    assert (complaints.ResolvedDate[resolved] >= complaints.OpenedDate[resolved]).all()
    assert complaints.Satisfaction[resolved].between(1, 5).all() and complaints.Satisfaction[~resolved].isna().all()
    assert (complaints.OpenedDate <= pd.Timestamp(book.settings["AsOfDate"])).all()


def test_policy_tables(t):
    rules = t["LateFeeRules"].set_index("CustomerType")
    assert rules.DailyRate["residential"] == 0.001
    assert rules.DailyRate["commercial"] == 0.002 and rules.EarlierDailyRate["commercial"] == 0.003
    assert (rules.Minimum == 100).all() and (rules.CapRatio == 1.0).all()
    dunning = t["DunningPolicy"]
    assert dunning.Level.tolist() == [1, 2, 3, 4] and dunning.DaysOverdue.tolist() == [7, 30, 60, 90]
    templates = t["Templates"]
    assert not templates.duplicated(["TemplateKey", "Language"]).any()
    assert set(templates.Language) == {"zh", "en"}
    assert {"reminder", "notice", "final_notice", "statement", "price_change"} <= set(templates.TemplateKey)
    assert templates.File.str.fullmatch(r"templates/\w+_(zh|en)\.(docx|html|txt)").all()
    assert {"collection_rate", "dso", "cei"} <= set(t["Targets"].KPI)
    profiles = t["ImportProfiles"]
    assert set(profiles.Profile) == {"wechat", "alipay", "bank_generic"}
    for row in profiles.itertuples():
        table = "BankStatement" if row.Kind == "bank" else "Payments"
        assert row.TargetColumn in layout.table(table).keys
    wechat = profiles[profiles.Profile == "wechat"].set_index("TargetColumn").SourceColumn
    assert wechat["PaidDate"] == "交易时间" and wechat["Amount"] == "应结订单金额"
    assert wechat["ChannelTxnID"] == "微信订单号" and wechat["Reference"] == "商户数据包"
    peers = t["PeerTariffs"]
    assert peers.City.nunique() >= 3 and set(peers.FeeItem) == {"water", "electricity"}


def test_english_book_keeps_codes_and_translates_notes():
    book = sample.make(60, 4, lang="en")
    check_layout(book)
    assert book.tables["DunningPolicy"].Name.iloc[0] == "SMS reminder"
    assert not book.tables["Complaints"].Description.str.contains("[\u4e00-\u9fff]").any()
    assert book.tables["Usage"].FeeItem.isin(["water", "electricity", "property"]).all()


def test_text_never_padded_even_in_messy_memos(t):
    for key in ("Payments", "BankStatement"):
        for column in t[key].columns:
            if t[key][column].dtype == "str":
                values = t[key][column].dropna()
                assert (values.str.strip() == values).all(), (key, column)
                assert not values.str.match(r"^[\s\u3000]|[\s\u3000]$").any(), (key, column)
                assert re.compile("\t").search("".join(values)) is None


# -- the workbook round trip ---------------------------------------------------------------------


@pytest.mark.parametrize("lang, customers, months, start", [("zh", 300, 12, "2026-01"), ("en", 40, 3, "2026-05")])
def test_workbook_round_trip_gives_the_same_frames(tmp_path, lang, customers, months, start):
    """The sample is what the file host reads back from a workbook built with it."""
    book = sample.make(customers=customers, months=months, start_period=start, lang=lang)
    path = str(tmp_path / "FeeDesk.xlsm")
    build.build(path, lang, book.tables, book.settings)
    with filehost.FileBook(path, writable=False) as fb:
        for key in book.tables:
            pd.testing.assert_frame_equal(fb.read(key).reset_index(drop=True),
                                          book.tables[key].reset_index(drop=True), obj=key)
        assert fb.read_problems == []
