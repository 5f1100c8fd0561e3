"""Shared fixtures: a small desk an officer could check by hand, built into real workbooks."""

from __future__ import annotations

import datetime
import pathlib

import pandas as pd
import pytest

from workbook import build

SETTINGS = {
    "AsOfDate": datetime.date(2026, 4, 10),
    "Period": "2026-03",
    "CompanyName": "青禾物业服务有限公司",
    "ContactPhone": "0571-88880000",
}


def small_desk() -> dict[str, pd.DataFrame]:
    """Five customers, two tariffs, one month: money in fen, choices as codes."""
    return {
        "Customers": pd.DataFrame({
            "CustomerID": ["C000101", "C000102", "C000103", "C000104", "C000105"],
            "Name": ["张伟", "王芳", "李娜", "刘洋餐饮店", "陈静"],
            "CustomerType": ["residential", "residential", "residential", "commercial", "residential"],
            "Region": ["东区", "东区", "西区", "西区", "南区"],
            "Address": ["3栋1单元502", "3栋2单元101", "5栋1单元1101", "商铺A-07", "8栋3单元302"],
            "Area": [89.5, 120.0, 76.3, 210.0, 95.0],
            "Persons": [3, 4, 2, None, 5],
            "Status": ["active"] * 5,
        }),
        "Tariffs": pd.DataFrame({
            "TariffCode": ["W-RES", "W-RES", "P-RES"],
            "TariffName": ["居民生活用水", "居民生活用水", "住宅物业费"],
            "FeeItem": ["water", "water", "property"],
            "CustomerType": ["residential", "residential", "residential"],
            "Model": ["graduated", "graduated", "per_unit"],
            "Tier": [1, 2, 1],
            "UpperBound": [15.0, None, None],
            "UnitPrice": [3.45, 4.83, 2.2],
            "EffectiveFrom": ["2026-01-01"] * 3,
        }),
        "Usage": pd.DataFrame({
            "CustomerID": ["C000101", "C000102", "C000103", "C000105", "C000101"],
            "Period": ["2026-03"] * 5,
            "FeeItem": ["water", "water", "water", "water", "property"],
            "TariffCode": ["W-RES", "W-RES", "W-RES", "W-RES", "P-RES"],
            "PrevReading": [100.0, 230.0, 55.0, 12.0, None],
            "CurrReading": [120.0, 240.0, 70.0, 30.0, None],
            "Quantity": [20.0, 10.0, 15.0, 18.0, 89.5],
        }),
        "Bills": pd.DataFrame({
            "BillID": ["B2026030001", "B2026030002", "B2026030003", "B2026030004", "B2026030005"],
            "CustomerID": ["C000101", "C000102", "C000103", "C000105", "C000101"],
            "Period": ["2026-03"] * 5,
            "FeeItem": ["water", "water", "water", "water", "property"],
            "BillDate": ["2026-04-01"] * 5,
            "DueDate": ["2026-04-16"] * 5,
            "Amount": [7590, 3450, 5175, 6624, 19690],  # 15*3.45+5*4.83=75.90 ... 89.5*2.20=196.90
            "Status": ["open", "paid", "open", "partial", "open"],
        }),
        "Payments": pd.DataFrame({
            "PaymentID": ["P20260403001", "P20260405002", "P20260406003"],
            "Channel": ["wechat", "bank", "alipay"],
            "PaidDate": ["2026-04-03", "2026-04-05", "2026-04-06"],
            "Amount": [3450, 3000, 123456],
            "CustomerID": ["C000102", "C000105", None],
            "Reference": ["B2026030002|C000102", "c000105 水费", "物业费"],
        }),
    }


def small_desk_totals() -> dict[str, float]:
    """What an officer would expect the Control sheet's overview to show for small_desk()."""
    return {"customers": 5, "bills": 5, "billed": 425.29, "collected": 1299.06, "billed_period": 425.29}


@pytest.fixture
def desk_book(tmp_path) -> pathlib.Path:
    """A zh workbook holding the small desk."""
    return pathlib.Path(build.build(str(tmp_path / "FeeDesk.xlsm"), "zh", small_desk(), SETTINGS))


@pytest.fixture
def desk_book_en(tmp_path) -> pathlib.Path:
    return pathlib.Path(build.build(str(tmp_path / "FeeDesk-en.xlsm"), "en", small_desk(), SETTINGS))


@pytest.fixture
def unbilled_book(tmp_path) -> pathlib.Path:
    """The small desk before its first bill run: no bills yet."""
    desk = {key: frame for key, frame in small_desk().items() if key != "Bills"}
    return pathlib.Path(build.build(str(tmp_path / "FeeDesk.xlsm"), "zh", desk, SETTINGS))
