"""缴费管理 and 特殊用户: bills, payments, notices and reports, the period close, special users.

One module per seed function or flow step: `bills` (generate, list, show), `payments` (pay,
import), `notices` (缴款通知书), `reports` (选课录取查询, 学校交费申报表, 单位缴费查询), `close`
(period close), `special_users` (list, history, clear), `forms` (附表1 / 附表2); `common`
holds what they share (scope, locks, the fee rule).
"""
