# 30 — 成绩登记 after the period, the ledger, 年度验证 with its chart, a 学习证明 printed and
# verified. Sourced by demo/run.sh (jj, say, last_code, $OUT, $PY are defined there).

export JJADMIN_NOW="2026-12-15T10:00:00+08:00"   # the end of the year: grades are in

say "12 月：市级导入 2601 期全员培训成绩（成绩表：学号、课程编号、成绩 0–100 或 合格/不合格、备注）"
echo 'Demo2026pass' | jj login admin --password-stdin
jj enroll list --period 2601 --state active --json --limit 100000 > "$OUT/enrolled.json"
"$PY" - "$OUT" <<'PY'
import json, sys
from pathlib import Path
import xlsxwriter
out = Path(sys.argv[1])
items = [i for i in json.loads((out / "enrolled.json").read_text("utf-8"))["items"]
         if not i["course_code"].startswith(("XB", "ZX"))]
wb = xlsxwriter.Workbook(str(out / "grades.xlsx"), {"strings_to_numbers": False})
ws = wb.add_worksheet("成绩")
ws.write_row(0, 0, ["学号", "课程编号", "成绩", "备注"])
for n, i in enumerate(items, start=1):
    score = "不合格" if n % 9 == 0 else (55 if n % 7 == 0 else 60 + (n * 13) % 41)
    ws.write_string(n, 0, i["learner_no"]); ws.write_string(n, 1, i["course_code"])
    ws.write(n, 2, score)
# a slip: a score of 101
ws.write_string(len(items) + 1, 0, items[0]["learner_no"]); ws.write_string(len(items) + 1, 1, items[1]["course_code"])
ws.write_number(len(items) + 1, 2, 101)
wb.close()
PY
jj grade import "$OUT/grades.xlsx" --period 2601 --dry-run --errors-to "$OUT/grade-errors.xlsx" || echo "（退出码 $?：有错误行，未写入；错误工作簿已写出）"
"$PY" - "$OUT" <<'PY'
import sys
from pathlib import Path
from openpyxl import load_workbook
path = Path(sys.argv[1]) / "grades.xlsx"
wb = load_workbook(path); ws = wb.active
ws.delete_rows(ws.max_row)  # the slip was a duplicate line: drop it
wb.save(path)
PY
jj grade import "$OUT/grades.xlsx" --period 2601
say "学校管理员登记本校本年度的校本课程成绩（只能登记本校、本年度的校本课程）"
echo 'Demo2026pass' | jj login school01 --password-stdin
printf '学号,课程编号,成绩,备注\n%s,XB2601,合格,\n%s,XB2601,合格,\n%s,XB2601,不合格,缺课\n' "$T1" "$T2" "$T3" > "$OUT/xb-grades.csv"
jj grade import "$OUT/xb-grades.csv" --period 2601
say "学校不能登记市级课程的成绩（退出码 3）"
printf '学号,课程编号,成绩\n%s,C26010001,90\n' "$T1" > "$OUT/wrong.csv"
jj grade import "$OUT/wrong.csv" --period 2601 || echo "（退出码 $?）"

say "课程通过率（导出 xlsx）；一位教师的学时台账：每一笔学时都有来源"
jj grade stats --period 2601 --out "$OUT/pass-rates.xlsx" --overwrite
jj credits ledger "$T1" --year 2026

say "年度验证：要求学时按 credit-rules.toml（年内新入职按在岗月数折算），终端显示各校达标率"
echo 'Demo2026pass' | jj login admin --password-stdin
jj verify send
jj verify check "$(last_code)"
jj credits annual --year 2026 --out "$OUT/annual-2026.xlsx" --overwrite
jj credits cycle --cycle 2026-2030 --school 4401040001

say "学习证明：为已通过的课程打印 PDF（带验证码），用人单位凭验证码查验真伪"
CODE=$(jj credits certificate "$T1" --course XB2601 --period 2601 --out "$OUT/certificate.pdf" --overwrite --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["code"])')
jj logout
jj credits verify "$CODE"
jj credits verify AAAA-BBBB-CCCC || echo "（退出码 $?：不是本平台出具的证明）"
echo 'Demo2026pass' | jj login admin --password-stdin
