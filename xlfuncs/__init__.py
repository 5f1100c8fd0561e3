"""FeeDesk's worksheet functions (UDFs), thin @xw.func wrappers over the feedesk core.

xlwings imports this package (xlwings.conf: UDF Modules = xlfuncs) and registers every
decorated function found in its namespace, so each submodule's functions are re-exported here.
"""

from xlfuncs.aging_funcs import FD_AGE_BUCKET, FD_DAYS_OVERDUE, FD_LATE_FEE  # noqa: F401
from xlfuncs.kpi_funcs import FD_CEI, FD_DSO, FD_DSO_COUNTBACK  # noqa: F401
from xlfuncs.match_funcs import FD_MATCH_SCORE  # noqa: F401
from xlfuncs.money_funcs import FD_RMB_UPPER  # noqa: F401
from xlfuncs.tariff_funcs import FD_CHARGE, FD_TIERED  # noqa: F401
