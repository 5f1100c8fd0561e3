"""One module per job: `run(book) -> macros.runner.Report`. Listed in workbook/registry.py."""

from __future__ import annotations

import datetime

from feedesk import money, problems, settings as settings_module
from workbook import layout


def settings_in_range(book, *keys: str) -> list[problems.Problem]:
    """A Problem for each of `keys` whose value is of the right type but outside what it may be
    (feedesk.settings.LIMITS): 1e300 days to pay, a tolerance of minus five yuan, a name
    threshold of 250. The job stops on them rather than compute with them."""
    found = []
    for key, value, low, high in settings_module.out_of_range(book.settings(), keys):
        spec = layout.SETTINGS_BY_KEY[key]
        found.append(problems.make(
            "setting_out_of_range", book.lang, sheet=book.sheet_name("Settings"), row=_setting_rows(book).get(key),
            column=layout.SETTINGS_TABLE.column("Value").header(book.lang), value=_shown(spec, value),
            setting=spec.label(book.lang), low=_shown(spec, low), high=_shown(spec, high)))
    return found


def _shown(spec: layout.Setting, value) -> str:
    if spec.kind is layout.Kind.MONEY and isinstance(value, int):
        return money.format_yuan(value, symbol="")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _setting_rows(book) -> dict[str, int]:
    """Excel row of each setting's key (read again: the settings record keeps only the values)."""
    kept = len(book.read_problems)
    frame = book.read("Settings")
    del book.read_problems[kept:]  # already reported when the settings were first read
    return {key: int(row) for row, key in zip(frame.index, frame["Key"]) if isinstance(key, str)}
