# 20 — bills, a payment notice, payments from a sheet (one wrong amount), the close by cron,
# special users listed, one cleared at the counter.
# Sourced by demo/run.sh (jj, say, last_code, $OUT, $PY are defined there).

export JJADMIN_NOW="2026-03-25T09:00:00+08:00"   # 2601's selection ended on 03-20
say "选课结束：市级生成 2601 期账单（每所学校、每个收费单位一张）；再生成一次不改变任何账单"
echo 'Demo2026pass' | jj login admin --password-stdin
jj bill generate --period 2601
jj bill generate --period 2601 --json
jj bill list --period 2601

say "学校管理员查看本校账单明细，打印缴款通知书（PDF，缴款单位为学校公章名，大小写金额）"
echo 'Demo2026pass' | jj login school01 --password-stdin
jj bill list --period 2601 --json > "$OUT/bills.json"
FIRST_BILL=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][0]["bill_no"])' "$OUT/bills.json")
jj bill show "$FIRST_BILL"
jj bill notice "$FIRST_BILL" --out "$OUT/缴款通知书-$FIRST_BILL.pdf"
jj bill summary --period 2601

say "收费单位寄回缴费表（其中一行金额写错）：对账，正确的行先入账（--skip-invalid），错行写入错误工作簿"
"$PY" - "$OUT/bills.json" "$OUT/缴费.xlsx" <<'PY'
import json, sys
from openpyxl import Workbook
items = json.load(open(sys.argv[1]))["items"]
wb = Workbook()
ws = wb.active
ws.append(["账单号", "金额", "缴费日期", "票据号"])
for n, item in enumerate(items, start=1):
    amount = item["amount"]
    if item["charging_unit"] == "广州市广播电视大学":
        amount = f"{float(amount) - 100:.2f}"  # the wrong amount
    ws.append([item["bill_no"], amount, "2026-04-02", f"GZ2026{n:04d}"])
wb.save(sys.argv[2])
PY
echo 'Demo2026pass' | jj login admin --password-stdin
jj bill import-payments "$OUT/缴费.xlsx" --skip-invalid --errors-to "$OUT/缴费-错误.xlsx" || echo "（退出码 $?：金额不符的一行未入账）"
jj bill import-payments "$OUT/缴费.xlsx" --dry-run --json || true
jj bill summary --period 2601

export JJADMIN_NOW="2026-04-11T02:00:00+08:00"   # the night after 2601's payment deadline
say "缴费截止后，cron 以自动化账号结算 2601 期（每次一行 JSON；重复运行不会重复标记）"
echo 'Demo2026pass' | jj login admin --password-stdin
echo 'Demo2026pass' | jj account add cron --role system --name 定时任务 --mobile 13600136000 --password-stdin
CRON_TOKEN=$(jj account token cron --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["token"])')
JJADMIN_TOKEN="$CRON_TOKEN" jj period close 2601 --json
JJADMIN_TOKEN="$CRON_TOKEN" jj period close 2601 --json
JJADMIN_TOKEN="$CRON_TOKEN" jj period close 2601 --level 区级培训 --json

say "特殊用户：学校查看本校特殊用户；中心查看一名教师的记录"
echo 'Demo2026pass' | jj login school01 --password-stdin
jj special-user list --limit 5
jj special-user list --json --limit 1 > "$OUT/special.json"
SPECIAL=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][0]["learner_no"])' "$OUT/special.json")
jj verify send
jj verify check "$(last_code)"
jj special-user form individual "$SPECIAL" --out "$OUT/附表1-$SPECIAL.pdf"
jj special-user form collective --school 4401040001 --out "$OUT/附表2.xlsx"
jj special-user clear "$SPECIAL" --evidence 本人持有效证件到中心办理 || echo "（退出码 $?：学校管理员不能取消特殊用户）"

say "教师本人持有效证件到中心：取消特殊用户（作废引起记录的未缴费选课），可以调动了"
echo 'Demo2026pass' | jj login admin --password-stdin
jj special-user history "$SPECIAL"
jj special-user clear "$SPECIAL" --evidence 本人持有效证件到中心办理
jj special-user history "$SPECIAL" --json
jj special-user list --state open --json | "$PY" -c 'import json,sys; print("仍为特殊用户：", json.load(sys.stdin)["total"], "人")'

say "学校集体取消：中心收到学校盖章的书面申请和填好的附表2（已取消的那位教师跳过）"
"$PY" - "$OUT/盖章申请.pdf" <<'PY'
import sys
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
c = canvas.Canvas(sys.argv[1])
c.setFont("STSong-Light", 14)
c.drawString(72, 760, "广州市越秀区示范小学：2601期全员培训未缴费被设为特殊用户，现申请取消（盖章）")
c.save()
PY
jj special-user clear --file "$OUT/附表2.xlsx" --school 4401040001 --seal-proof "$OUT/盖章申请.pdf"
jj special-user list --state open --json | "$PY" -c 'import json,sys; print("仍为特殊用户：", json.load(sys.stdin)["total"], "人")'
jj audit list --action special_user --limit 3
