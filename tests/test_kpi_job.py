"""The kpi job on a real workbook: the history filled month by month, trends against last period
and last year, targets coloured, and the Scorecard printed to a PDF that shows tiles, colours and
charts."""

from __future__ import annotations

import pathlib
import subprocess

import numpy as np
import pandas as pd
import pytest

from feedesk import sample
from macros import cli, runner
from tests import office
from workbook import build, filehost, layout

pytestmark = pytest.mark.skipif(office.SOFFICE is None, reason="LibreOffice is not installed")


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> pathlib.Path:
    """A sample desk over 14 months, reconciled and aged, its KPIs computed for every month."""
    folder = tmp_path_factory.mktemp("kpi")
    data = sample.make(customers=400, months=14, start_period="2025-11", seed=9)
    path = build.build(str(folder / "FeeDesk.xlsm"), "zh", data.tables, data.settings)
    for job in ("reconcile", "aging", "dunning"):
        assert runner.run_file(job, path).status == "ok"
    report = runner.run_file("kpi", path, params={"from_period": "2025-11"})
    assert report.status == "ok", report.problems
    assert report.counts["periods"] == 14
    return pathlib.Path(path)


def read(path, *keys):
    with filehost.FileBook(str(path), writable=False) as book:
        return [book.read(key) for key in keys]


def test_history_has_every_month_once_and_a_rerun_replaces_it(scored):
    kpis, history = read(scored, "KPI", "KPIHistory")
    assert sorted(history["Period"].unique()) == [f"2025-{m}" for m in ("11", "12")] + \
        [f"2026-{m:02d}" for m in range(1, 13)]
    assert not history.duplicated(["Period", "KPI", "Scope", "Segment"]).any()
    before = len(history)
    assert runner.run_file("kpi", str(scored)).status == "ok"
    (again,) = read(scored, "KPIHistory")
    assert len(again) == before


def test_trends_compare_with_last_period_and_last_year(scored):
    kpis, history = read(scored, "KPI", "KPIHistory")
    rate = kpis[(kpis["KPI"] == "collection_rate") & (kpis["Scope"] == "total")].iloc[0]
    past = history[(history["KPI"] == "collection_rate") & (history["Scope"] == "total")].set_index("Period")["Value"]
    assert rate["Period"] == "2026-12"
    assert rate["Value"] == pytest.approx(past["2026-12"])
    assert rate["Previous"] == pytest.approx(past["2026-11"])
    assert rate["Change"] == pytest.approx(past["2026-12"] - past["2026-11"])
    assert rate["LastYear"] == pytest.approx(past["2025-12"])
    assert rate["Status"] in {"green", "amber", "red"} and rate["Target"] == pytest.approx(0.95)
    segments = kpis[(kpis["KPI"] == "collection_rate") & (kpis["Scope"] == "region")]
    assert len(segments) == 5 and segments["Value"].between(0, 1).all()


def test_scorecard_prints_with_tiles_colours_and_charts(scored, tmp_path):
    pdf = tmp_path / "scorecard.pdf"
    code = cli.main(["run", "kpi", str(scored), "--pdf", str(pdf)])
    assert code == 0 and pdf.exists()
    assert office.pdf_pages(pdf) == 1
    text = office.pdf_text(pdf)
    kpis, = read(scored, "KPI")
    rate = kpis[(kpis["KPI"] == "collection_rate") & (kpis["Scope"] == "total")].iloc[0]["Value"]
    assert "绩效看板" in text and "当期收费率" in text and "账期 2026-12" in text
    assert f"{rate:.1%}" in text  # the tile shows the computed value
    assert "收费率趋势" in text and "账龄分布" in text
    pixels = _pixels(pdf, tmp_path / "page")
    colours = {tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in ("#C6EFCE", "#F8CBAD", "#FFEB9C")}
    found = {colour for colour in colours if (np.abs(pixels - np.array(colour)).sum(axis=2) < 12).sum() > 200}
    assert len(found) >= 2  # at least two of the green / red / amber tile colours
    chart = np.array((0x1F, 0x5C, 0x63))  # the header colour: the charts' columns and lines
    assert (np.abs(pixels - chart).sum(axis=2) < 60).sum() > 500


def _pixels(pdf: pathlib.Path, prefix: pathlib.Path) -> np.ndarray:
    """Page 1 as an RGB array (pdftoppm writes a PPM: a short text header, then the bytes)."""
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(prefix)], check=True)
    (width, height), rest = _ppm_header(prefix.with_suffix(".ppm").read_bytes())
    return np.frombuffer(rest, dtype=np.uint8)[: width * height * 3].reshape(height, width, 3).astype(int)


def _ppm_header(data: bytes):
    parts, position = [], 0
    while len(parts) < 4:
        while data[position:position + 1].isspace():
            position += 1
        start = position
        while not data[position:position + 1].isspace():
            position += 1
        parts.append(data[start:position])
    return (int(parts[1]), int(parts[2])), data[position + 1:]


def test_a_missing_target_is_a_warning_and_shows_no_target(scored, tmp_path):
    with filehost.FileBook(str(scored)) as book:
        targets = book.read("Targets")
    assert "dso" in set(targets["KPI"])
    from tests.test_validate import edit

    row = int(targets.index[targets["KPI"] == "dso"][0])
    edit(scored, "Targets", {(row, "KPI"): "dso_typo"})
    report = runner.run_file("kpi", str(scored))
    codes = {p.code for p in report.problems}
    assert {"kpi_unknown_target", "kpi_no_target"} <= codes and report.errors == 0
    (kpis,) = read(scored, "KPI")
    dso = kpis[(kpis["KPI"] == "dso") & (kpis["Scope"] == "total")].iloc[0]
    assert dso["Status"] == "none" and pd.isna(dso["Target"])
    assert layout.choice_label(layout.RAG_STATUSES, "none", "zh") == "无目标"
