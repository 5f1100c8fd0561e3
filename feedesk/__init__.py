"""FeeDesk's domain core: pure functions over pandas DataFrames and small frozen records.

Nothing here imports xlwings, openpyxl or XlsxWriter, and nothing reads the clock:
money is integer fen, dates come from the as-of setting.
"""

__version__ = "0.1.0"
