"""Worksheet functions for reconciliation: checking payer names by hand."""

from __future__ import annotations

import xlwings as xw

from feedesk import reconcile


@xw.func
@xw.arg("name_a", doc="付款人名称 / the payer's name, e.g. 刘洋 餐饮店")
@xw.arg("name_b", doc="客户名称 / the customer's name, e.g. 刘洋餐饮店")
@xw.ret(doc="相似度 0-100，达到设置的户名相似度阈值（默认 90）才自动认作同一客户 / how alike, 0-100")
def FD_MATCH_SCORE(name_a, name_b):
    """付款人与客户名称的相似度（0-100），与对账作业的户名匹配规则相同。
    How alike two names are (0-100), the same score the reconciliation's payer-name rule uses."""
    return reconcile.match_score(name_a, name_b)
