"""缴费 sheet: columns and cell parsers (SPEC §5: 账单号*, 金额*, 缴费日期*, 票据号*)."""

from __future__ import annotations

from jjadmin.importers.columns import ColumnSpec
from jjadmin.importers.common import ImportKind, LoadedService
from jjadmin.rules.billing import normalize_bill_no, normalize_receipt_no
from jjadmin.rules.ids import parse_date
from jjadmin.rules.money import parse_money

PAYMENT_COLUMNS = [
    ColumnSpec("账单号", "bill_no", required=True, parse=normalize_bill_no, unique=True),
    ColumnSpec("金额", "amount", required=True, parse=parse_money, aliases=("缴费金额",)),
    ColumnSpec("缴费日期", "paid_on", required=True, parse=parse_date),
    ColumnSpec("票据号", "receipt_no", required=True, parse=normalize_receipt_no, unique=True),
]


def _load_payment_service() -> LoadedService:
    from jjadmin.services.billing.payments import import_payments

    return LoadedService(import_payments)


PAYMENT_IMPORT = ImportKind(
    name="payment",
    title="导入缴费",
    reading="读取缴费表",
    columns=PAYMENT_COLUMNS,
    load=_load_payment_service,
    roles=("city", "institution"),
    action="导入缴费",
)
