# 10 — set-up, schools, accounts, period 2601, courses, the roster, collective selection.
# Sourced by demo/run.sh (jj, say, last_code, $OUT, $PY are defined there).

say "样例表格（demo/data，由 demo/make_data.py 生成）"
cp demo/data/*.xlsx "$OUT/"
ls "$OUT"/*.xlsx

say "初始化数据库，创建市级管理员 admin"
echo 'Demo2026pass' | jj db init --admin admin --name 市培训中心管理员 --mobile 13800138000 --password-stdin
echo 'Demo2026pass' | jj login admin --password-stdin

say "导入学校（进度条在标准错误输出）"
jj school import "$OUT/schools.xlsx"
jj school list --district 440104

say "创建区级管理员（越秀区）和学校管理员（越秀区示范小学）"
echo 'Demo2026pass' | jj account add yuexiu --role district --district 440104 --name 越秀区管理员 --mobile 13900139000 --password-stdin
echo 'Demo2026pass' | jj account add school01 --role school --school 4401040001 --name 示范小学管理员 --mobile 13700137000 --password-stdin
jj account list

say "市级：创建 2601 期，导入课程目录"
jj period create 2601 --select-from 2026-03-01 --select-to 2026-03-20 --pay-by 2026-04-10
jj course import "$OUT/courses.xlsx"
jj course list --period 2601 --limit 8

say "学校管理员登录，导入本校教师名册（含几处录入错误：全部拒绝，列出错误，写出错误工作簿）"
echo 'Demo2026pass' | jj login school01 --password-stdin
jj teacher import "$OUT/roster.xlsx" --errors-to "$OUT/roster-errors.xlsx" || echo "（退出码 $?：有错误行，未写入任何数据）"

say "改正后的名册导入成功；再导入一次不做任何修改（幂等）"
jj teacher import "$OUT/roster-corrected.xlsx"
jj teacher import "$OUT/roster-corrected.xlsx"
jj teacher list --limit 5

say "学校管理员按本校名册填写选课表（其中一行姓名与学号不符：错行）"
jj teacher list --json --limit 1000 > "$OUT/roster.json"
"$PY" demo/make_data.py "$OUT" enroll "$OUT/roster.json"
jj enroll import "$OUT/enroll.xlsx" --period 2601 --skip-invalid --errors-to "$OUT/enroll-errors.xlsx" || echo "（退出码 $?：错误行已跳过，其余已写入）"

say "在错误工作簿中改正那一行，再导入错误工作簿"
"$PY" demo/make_data.py "$OUT" fix "$OUT/enroll-errors.xlsx" "$OUT/roster.json"
jj enroll import "$OUT/enroll-errors.xlsx" --period 2601

say "选课统计（按课程；--out 生成带原生图表的 xlsx）"
jj enroll stats --period 2601 --by course --out "$OUT/enroll-stats.xlsx"

say "导出敏感数据前的短信验证（短信写入 $OUT/sms.jsonl）"
jj verify send
jj verify check "$(last_code)"
jj enroll list --period 2601 --limit 5

say "导入批次与审计日志"
jj batch list
jj audit list --limit 8
