"""Cell values <-> typed DataFrames, shared by both hosts (file and Excel).

Reading turns the raw values of a table (as python-calamine or xlwings give them) into a
DataFrame typed by the layout, indexed by Excel row number, and collects every problem
found on the way. Writing turns a typed DataFrame back into values a sheet should hold.
Money is integer fen inside and yuan in the sheet; choices are codes inside and labels
in the sheet.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import re

import numpy as np
import pandas as pd

from feedesk import dates, money, problems
from workbook import layout
from workbook.layout import Kind

# Error values a cell can hold (python-calamine reads error cells as blank: the file host puts
# their text back, see sheetxml.check_sheet); each one in an input is a Problem, never a value.
EXCEL_ERRORS = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA",
                "#BLOCKED!", "#CONNECT!", "#FIELD!", "#UNKNOWN!", "#BUSY!", "#PYTHON!", "#EXTERNAL!"}
_SPACES = re.compile(r"\s+")
_UNIX_ORDINAL = datetime.date(1970, 1, 1).toordinal()


@dataclasses.dataclass(frozen=True)
class TableRead:
    frame: pd.DataFrame
    problems: tuple[problems.Problem, ...]


def normalise_header(text: object) -> str:
    return _SPACES.sub("", str(text or "")).strip().lower().replace("（", "(").replace("）", ")")


def header_lookup(spec: layout.Table) -> dict[str, str]:
    """Every accepted header spelling (zh, en, key) -> column key."""
    found = {}
    for column in spec.columns:
        for text in (column.key, column.zh, column.en):
            found[normalise_header(text)] = column.key
    return found


def unknown_headers(spec: layout.Table, headers) -> list[str]:
    """Headers of a sheet's table that the layout does not know (the officer's own columns)."""
    lookup = header_lookup(spec)
    return [str(h) for h in headers if h not in (None, "") and normalise_header(h) not in lookup]


def refuse_losing_columns(spec: layout.Table, headers, sheet: str, lang: str) -> problems.Problem | None:
    """Rewriting an input table (Bills, by the bill run) must not drop the officer's own columns."""
    extra = unknown_headers(spec, headers) if spec.role is layout.Role.INPUT else []
    if not extra:
        return None
    return problems.make("extra_columns", lang, sheet=sheet, row=spec.anchor[0] + 1, column=extra[0],
                         columns="、".join(extra) if lang == "zh" else ", ".join(extra))


def empty_frame(spec: layout.Table) -> pd.DataFrame:
    frame = pd.DataFrame({c.key: pd.Series([], dtype=_dtype(c.kind)) for c in spec.columns})
    frame.index.name = "row"
    return frame


def _dtype(kind: Kind):
    return {
        Kind.TEXT: "str", Kind.PERIOD: "str", Kind.BOOL: "boolean", Kind.MONEY: "Int64", Kind.INT: "Int64", Kind.NUMBER: "float64", Kind.PRICE: "float64",
        Kind.RATE: "float64", Kind.DATE: "datetime64[s]", Kind.DATETIME: "datetime64[s]",
    }[kind]


def type_table(spec: layout.Table, header: list, rows: list[list], first_row: int, lang: str,
               sheet: str) -> TableRead:
    """Type a table's raw values; `first_row` is the Excel row number of rows[0]."""
    found: list[problems.Problem] = []
    positions = header_positions(spec, header)
    for column in spec.columns:
        if column.key not in positions and column.required:
            found.append(problems.make("missing_column", lang, sheet=sheet, row=first_row - 1,
                                       column=column.header(lang)))
    if any(p.code == "missing_column" for p in found):
        return TableRead(empty_frame(spec), tuple(found))

    raw = cell_columns(header, rows, positions)
    return type_columns(spec, raw, np.arange(first_row, first_row + len(rows)), lang, sheet, found)


def header_positions(spec: layout.Table, header: list) -> dict[str, int]:
    """Column key -> offset in `header` (the first header that names it, in zh, en or key)."""
    lookup = header_lookup(spec)
    positions: dict[str, int] = {}
    for index, text in enumerate(header):
        key = lookup.get(normalise_header(text))
        if key and key not in positions:
            positions[key] = index
    return positions


def cell_columns(header: list, rows: list[list], positions: dict[str, int]) -> dict[str, np.ndarray]:
    """The raw cells of each located column, as object arrays."""
    grid = _grid(rows, len(header))
    return {key: grid[:, at] for key, at in positions.items()}


def type_columns(spec: layout.Table, raw: dict[str, np.ndarray], row_numbers: np.ndarray, lang: str,
                 sheet: str, found: list | None = None) -> TableRead:
    """Type a table given as raw cell columns (object arrays, one value per entry of
    `row_numbers`, keyed by column key; a column the sheet lacks is absent). Shared by reading
    a sheet, reading a table continued over several sheets and re-reading a table a job wrote
    earlier in the same run, so all give the very same frame."""
    found = list(found or [])
    positions = {key: None for key in raw}
    count = len(row_numbers)
    raw_columns: dict[str, np.ndarray] = {}
    blank_columns: dict[str, np.ndarray] = {}
    for column in spec.columns:
        if column.key in raw and count:
            raw_columns[column.key] = raw[column.key]
            blank_columns[column.key] = _blank_mask(raw[column.key])
        else:
            raw_columns[column.key] = np.full(count, None, dtype=object)
            blank_columns[column.key] = np.ones(count, dtype=bool)
    row_blank = np.logical_and.reduce([blank_columns[k] for k in positions]) if positions and count else \
        np.ones(count, dtype=bool)
    row_numbers = np.asarray(row_numbers, dtype=np.int64)
    present = np.flatnonzero(~row_blank)
    if len(present):
        inside = row_numbers[:present[-1]][row_blank[:present[-1]]].tolist()
        if inside:
            found.append(problems.make("blank_rows", lang, sheet=sheet, row=inside[0], severity=problems.WARNING,
                                       count=len(inside), rows=_row_list(inside)))
    else:
        return TableRead(empty_frame(spec), tuple(found))
    if len(present) < count:
        keep = ~row_blank
        row_numbers = row_numbers[keep]
        raw_columns = {k: v[keep] for k, v in raw_columns.items()}
        blank_columns = {k: v[keep] for k, v in blank_columns.items()}

    data = {}
    for column in spec.columns:
        values, column_problems = _type_column(column, raw_columns[column.key], blank_columns[column.key],
                                               row_numbers, lang, sheet)
        data[column.key] = values
        found.extend(column_problems)
    frame = pd.DataFrame(data, index=pd.Index(row_numbers, name="row"))
    frame = frame.astype({c.key: _dtype(c.kind) for c in spec.columns})
    for column in spec.columns:
        if column.unique:
            found.extend(_duplicates(frame[column.key], column, lang, sheet))
    return TableRead(frame, tuple(found))


def _row_list(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (" ..." if len(numbers) > 10 else "")


def _grid(rows: list[list], width: int) -> np.ndarray:
    """A 2-D object array of the cells (one C-level pass instead of a Python transpose)."""
    grid = np.empty((len(rows), width), dtype=object)
    if rows:
        if all(len(row) == width for row in (rows[0], rows[-1])):
            try:
                grid[:, :] = rows
                return grid
            except ValueError:
                pass
        for index, row in enumerate(rows):
            grid[index, :len(row)] = row[:width]
    return grid


def _blank_mask(raw: np.ndarray) -> np.ndarray:
    """None and '' are blank (vectorised: this runs on every cell); converters treat
    whitespace-only text and NaN as blank too."""
    return (raw == "") | np.equal(raw, None)


def _type_column(column: layout.Column, raw: np.ndarray, blank: np.ndarray, rows: np.ndarray, lang: str,
                 sheet: str):
    header = column.header(lang)
    bad: list[problems.Problem] = []
    reported: set[int] = set()

    def report(code: str, index: int, value, **params):
        reported.add(int(index))
        bad.append(problems.make(code, lang, sheet=sheet, row=int(rows[index]), column=header, value=value,
                                 **params))

    blank = blank.copy()
    values = _CONVERTERS[column.kind](column, raw, blank, report)
    if column.required:
        for index in np.flatnonzero(blank):
            if int(index) not in reported:
                report("blank_required", int(index), "")
    return values, bad


def _types(raw: np.ndarray, blank: np.ndarray) -> set:
    return set(map(type, raw[~blank]))


def _text(column, raw, blank, report):
    """Text stripped of export padding (spaces, tabs); numbers typed into a text cell become text."""
    out = np.full(len(raw), None, dtype=object)
    present = ~blank
    values = raw[present]
    if set(map(type, raw)) <= {str, type(None)}:
        texts = list(map(str.strip, values))
    else:
        texts = [v.strip() if v.__class__ is str else _number_as_text(v) for v in values]
    out[present] = texts
    whitespace = present & (out == "")
    out[whitespace] = None
    blank |= whitespace
    if EXCEL_ERRORS.intersection(texts):
        for index in np.flatnonzero(pd.Series(out).isin(EXCEL_ERRORS).to_numpy()):
            report("error_cell", int(index), out[index])
            blank[index] = True
            out[index] = None
    if column.choices:
        out = _as_choice(column, out, blank, report)
    return out


def _number_as_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _by_unique(values: np.ndarray, blank: np.ndarray, convert) -> np.ndarray:
    """Apply `convert` once per distinct value (choices, periods: few distinct, many rows)."""
    out = np.full(len(values), None, dtype=object)
    present = np.flatnonzero(~blank)
    if not len(present):
        return out
    codes, uniques = pd.factorize(values[present])
    converted = np.array([convert(u) for u in uniques] + [None], dtype=object)
    out[present] = converted[codes]
    return out


def _as_choice(column, texts, blank, report):
    accepted = layout.choice_by_text(column.choices)
    codes = _by_unique(texts, blank, lambda text: accepted.get(text.lower()))
    unknown = np.flatnonzero(~blank & pd.isna(codes))
    if len(unknown):
        allowed = "、".join(c.zh for c in column.choices) + " / " + ", ".join(c.en for c in column.choices)
        for index in unknown:
            report("not_in_list", int(index), texts[index], allowed=allowed)
        blank[unknown] = True
    return codes


def _bool(column, raw, blank, report):
    codes = _text(column, raw, blank, report)
    return pd.array(np.where(blank, None, codes == "yes"), dtype="boolean")


MAX_AMOUNT = 1e13  # yuan; beyond this a cell is a typo, not money (and float64 loses the fen)


def _numbers(raw, blank, report, parse=money.to_decimal) -> np.ndarray:
    """Finite float64 values; text that parses exactly (¥, commas, backticks) is accepted.
    TRUE/FALSE, dates and infinities in a number column are problems, not 1, 0 or inf."""
    kinds = _types(raw, blank)
    candidates = raw
    if kinds - {float, int, str}:
        odd = np.fromiter((v.__class__ not in (float, int, str) for v in raw), dtype=bool, count=len(raw)) & ~blank
        candidates = raw.copy()
        candidates[odd] = None  # bool, date, time: never numbers
    numbers = np.array(pd.to_numeric(pd.Series(candidates, dtype=object), errors="coerce"), dtype="float64",
                       copy=True)
    numbers[~np.isfinite(numbers)] = np.nan
    for index in np.flatnonzero(np.isnan(numbers) & ~blank):
        value = raw[index]
        if value.__class__ is float and value != value or value.__class__ is str and not value.strip():
            blank[index] = True  # NaN or whitespace only
            continue
        if value.__class__ is str and value.strip() in EXCEL_ERRORS:
            report("error_cell", int(index), value.strip())
            blank[index] = True
            continue
        try:
            if value.__class__ not in (float, int, str):
                raise ValueError(value)
            number = float(parse(value))
            if not math.isfinite(number):
                raise ValueError(value)
            numbers[index] = number
        except (ValueError, TypeError, ArithmeticError):
            report("not_a_number", int(index), value)
            blank[index] = True
    too_large = ~blank & (np.abs(np.nan_to_num(numbers)) >= MAX_AMOUNT)
    for index in np.flatnonzero(too_large):
        report("not_a_number", int(index), raw[index])
        blank[index] = True
    numbers[blank] = np.nan
    return numbers


def _money(column, raw, blank, report):
    numbers = _numbers(raw, blank, report)
    fen = np.zeros(len(raw), dtype=np.int64)
    present = ~blank
    if present.any():
        fen[present] = money.yuan_array_to_fen(numbers[present])
    return pd.arrays.IntegerArray(fen, blank.copy())


def _int(column, raw, blank, report):
    numbers = _numbers(raw, blank, report)
    whole = np.zeros(len(raw), dtype=np.int64)
    for index in np.flatnonzero(~blank & (numbers != np.floor(numbers))):
        report("not_an_integer", int(index), raw[index])
        blank[index] = True
    whole[~blank] = numbers[~blank].astype(np.int64)
    return pd.arrays.IntegerArray(whole, blank.copy())


def _float(column, raw, blank, report):
    return _numbers(raw, blank, report)


def _rate(column, raw, blank, report):
    def parse(value):
        text = dates.normalise_text(str(value))
        if text.endswith("%"):
            return money.to_decimal(text[:-1]) / 100
        if text.endswith("‰"):
            return money.to_decimal(text[:-1]) / 1000
        return money.to_decimal(text)

    return _numbers(raw, blank, report, parse)


def _date(column, raw, blank, report):
    days = np.full(len(raw), np.datetime64("NaT"), dtype="datetime64[s]")
    present = ~blank
    kinds = _types(raw, blank)
    keep_time = column.kind is Kind.DATETIME
    if kinds == {datetime.date}:  # cells Excel stores as dates: the common case, vectorised
        values = raw[present]
        ordinals = np.fromiter((d.toordinal() for d in values), dtype=np.int64, count=len(values))
        days[present] = (ordinals - _UNIX_ORDINAL).astype("datetime64[D]").astype("datetime64[s]")
        return days
    if kinds == {datetime.datetime}:  # what xlwings gives for date cells
        stamps = raw[present].astype("datetime64[s]")
        days[present] = stamps if keep_time else stamps.astype("datetime64[D]").astype("datetime64[s]")
        return days
    for index in np.flatnonzero(present):
        value = raw[index]
        try:
            if isinstance(value, datetime.datetime):
                day = value if keep_time else value.date()
            elif isinstance(value, datetime.date):
                day = value
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                day = dates.number_to_date(value)
                if keep_time:
                    day = datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(
                        days=float(value) % 1)
            elif not str(value).strip():
                blank[index] = True
                continue
            elif str(value).strip() in EXCEL_ERRORS:
                report("error_cell", index, str(value).strip())
                blank[index] = True
                continue
            else:
                day = dates.parse_date_text(str(value))
        except dates.DateTextError as error:
            report("ambiguous_date" if error.ambiguous else "bad_date", index, value)
            blank[index] = True
            continue
        days[index] = np.datetime64(day, "s")
    return days


def _period(column, raw, blank, report):
    def parse(value):
        try:
            return dates.parse_period(value)
        except ValueError:
            return None

    periods = _by_unique(raw, blank, parse)
    for index in np.flatnonzero(~blank & pd.isna(periods)):
        value = raw[index]
        error = value.__class__ is str and value.strip() in EXCEL_ERRORS
        report("error_cell" if error else "bad_period", int(index), value.strip() if error else value)
        blank[index] = True
    return periods


_CONVERTERS = {
    Kind.TEXT: _text, Kind.PERIOD: _period, Kind.BOOL: _bool, Kind.MONEY: _money, Kind.INT: _int,
    Kind.NUMBER: _float, Kind.PRICE: _float, Kind.RATE: _rate, Kind.DATE: _date, Kind.DATETIME: _date,
}


def _duplicates(values: pd.Series, column: layout.Column, lang: str, sheet: str):
    present = values.dropna()
    repeated = present[present.duplicated(keep=False)]
    if repeated.empty:
        return []
    first_rows = repeated.groupby(repeated).head(1)
    first_of = dict(zip(first_rows.to_numpy(), first_rows.index))
    found = []
    for row, value in repeated.items():
        if first_of[value] != row:
            found.append(problems.make("duplicate_id", lang, sheet=sheet, row=int(row),
                                       column=column.header(lang), value=value, first_row=first_of[value]))
    return found


def check_references(frames: dict[str, pd.DataFrame], lang: str) -> list[problems.Problem]:
    """Every value of a column with `ref` must exist in the referenced table's column."""
    found = []
    for key, frame in frames.items():
        spec = layout.table(key)
        for column in spec.columns:
            if not column.ref or column.key not in frame:
                continue
            target_table, target_column = column.ref.split(".")
            if target_table not in frames or target_table == key and column.unique:
                continue
            known = set(frames[target_table][target_column].dropna())
            values = frame[column.key]
            missing = values[values.notna() & ~values.isin(known)]
            target = layout.table(target_table).sheet_name(lang)
            for row, value in missing.items():
                found.append(problems.make("unknown_reference", lang, sheet=spec.sheet_name(lang), row=int(row),
                                           column=column.header(lang), value=value, target=target))
    return found


def to_sheet_columns(spec: layout.Table, frame: pd.DataFrame, lang: str) -> list[tuple[layout.Column, np.ndarray]]:
    """The values a sheet should hold, column by column (None for blank).

    Money becomes yuan floats, dates datetime64, choices their labels; columns the frame lacks
    are written blank.
    """
    out = []
    length = len(frame)
    for column in spec.columns:
        if column.key not in frame:
            out.append((column, np.full(length, None, dtype=object)))
            continue
        series = frame[column.key]
        kind = column.kind
        if kind is Kind.MONEY:
            fen = pd.array(series, dtype="Int64")
            values = np.where(fen.isna(), np.nan, fen.to_numpy(dtype="float64", na_value=np.nan) / 100)
        elif kind in (Kind.INT,):
            values = pd.array(series, dtype="Int64").to_numpy(dtype=object, na_value=None)
        elif kind in (Kind.NUMBER, Kind.PRICE, Kind.RATE):
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        elif kind in (Kind.DATE, Kind.DATETIME):
            values = pd.to_datetime(series, errors="coerce").to_numpy(dtype="datetime64[s]")
        elif kind is Kind.BOOL:
            labels = {True: layout.YES_NO[0].label(lang), False: layout.YES_NO[1].label(lang)}
            spelled = layout.choice_by_text(layout.YES_NO)
            values = np.array([None if pd.isna(v) else labels[spelled.get(v.strip().lower()) == "yes"]
                               if isinstance(v, str) else labels[bool(v)] for v in series], dtype=object)
        elif column.choices:
            labels = {c.code: c.label(lang) for c in column.choices}
            codes, uniques = pd.factorize(series, use_na_sentinel=True)  # a handful of codes over many rows
            shown = np.array([labels.get(v, v) for v in uniques] + [None], dtype=object)
            values = shown[codes]  # the sentinel -1 takes the trailing None
        else:
            values = _sheet_text(series)
        out.append((column, values))
    return out


def _sheet_text(series: pd.Series) -> np.ndarray:
    """Text cells: str or None, converting anything else (numbers in a text column) once."""
    values = series.to_numpy(dtype=object, na_value=None)
    kinds = set(map(type, values))
    if kinds <= {str, type(None)}:
        return values
    return np.array([None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
                     for v in values], dtype=object)


def type_settings(values: dict[str, tuple[int, object]], lang: str, sheet: str):
    """Settings record from {key: (row, text)}; a bad value is a Problem and keeps its default."""
    from feedesk import settings as settings_module

    found = []
    fields = {}
    for key, field in settings_module.FIELDS.items():
        spec = layout.SETTINGS_BY_KEY[key]
        if key not in values or values[key][1] in (None, ""):
            continue
        row, value = values[key]
        try:
            fields[field] = _setting_value(spec, value)
        except (ValueError, ArithmeticError) as error:
            reason = ("格式不对" if lang == "zh" else "wrong format") if isinstance(error, dates.DateTextError) \
                else str(error)
            found.append(problems.make("bad_setting", lang, sheet=sheet, row=row,
                                       column=layout.SETTINGS_TABLE.column("Value").header(lang), value=value,
                                       setting=spec.label(lang), reason=reason))
    return settings_module.Settings(**fields), found


def _setting_value(spec: layout.Setting, value):
    text = str(value).strip()
    if spec.choices:
        code = layout.choice_by_text(spec.choices).get(text.lower())
        if code is None:
            raise ValueError(" / ".join(c.label("zh") + "=" + c.code for c in spec.choices))
        return code == "yes" if spec.kind is Kind.BOOL else code
    if spec.kind is Kind.DATE:
        return dates.parse_date_text(text)
    if spec.kind is Kind.PERIOD:
        return dates.parse_period(value)
    if spec.kind is Kind.INT:
        number = money.to_decimal(text)
        if number != int(number):
            raise ValueError("whole number")
        return int(number)
    if spec.kind is Kind.MONEY:
        return money.yuan_to_fen(text)
    if spec.kind is Kind.RATE:
        return float(money.to_decimal(text.rstrip("%")) / (100 if text.endswith("%") else 1))
    if spec.key == "AgingBounds":
        from feedesk import settings as settings_module

        return settings_module.parse_bounds(text)
    if spec.kind is Kind.NUMBER:
        return float(money.to_decimal(text))
    if spec.key == "ReferencePattern":
        try:
            re.compile(text)
        except re.error as error:
            raise ValueError(str(error)) from None
    if spec.key == "MatchPasses":
        from feedesk import reconcile

        try:
            reconcile.parse_passes(text)
        except ValueError as error:
            raise ValueError(f"{error}: {', '.join(reconcile.PASSES)}") from None
    return text
