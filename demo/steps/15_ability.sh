# 15 — 能力提升工程: the city sets the pilot and publishes the 提升工程 courses; a pilot teacher
# takes the diagnostic questionnaire, gets recommendations and confirms 50 学时.
# Sourced by demo/run.sh (jj, say, last_code, $OUT, $PY are defined there).

export JJADMIN_NOW="2026-03-12T10:00:00+08:00"   # inside 2601's selection window

say "学校管理员为一位教师重置密码（教师登录用），查看其任教学科"
echo 'Demo2026pass' | jj login school01 --password-stdin
jj teacher list --json --limit 1 > "$OUT/ability-teacher.json"
AT=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][0]["learner_no"])' "$OUT/ability-teacher.json")
AP=$(jj teacher passwd-reset "$AT" --show --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["password"])')
ASUBJ=$(jj teacher show "$AT" --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["subject"])')

say "市级：设置 2601 期能力提升工程试点（越秀区、海珠区 × 该教师的学科和英语），发布提升工程课程"
echo 'Demo2026pass' | jj login admin --password-stdin
jj ability config --period 2601 --districts 440104,海珠区 --subjects "$ASUBJ,英语"
cat > "$OUT/ability-courses.csv" <<'CSV'
期数,课程编号,课程名称,培训级别,课程属性,课程类型,学时类型,学时,培训费用,收费单位,提升工程类别,能力维度
2601,TS2601G1,信息技术与教育教学融合通识,提升工程,必修,远程,专业科目,8,0,广州市教师继续教育指导中心,通识必修,技术素养
2601,TS2601P1,数字化学习环境下的学习组织与评价,提升工程,必修,远程,专业科目,18,0,广州市教师继续教育指导中心,专业必修,评估与诊断
2601,TS2601P2,多媒体课件设计与制作,提升工程,必修,远程,专业科目,18,0,广州市教师继续教育指导中心,专业必修,技术素养
2601,TS2601S1,校本研修：信息技术支持的课堂观察,提升工程,必修,混合,专业科目,16,0,广州市教师继续教育指导中心,校本研修,学习与发展
2601,TS2601E1,微课：课堂即时评价工具,提升工程,选修,远程,专业科目,4,0,广州市教师继续教育指导中心,任意选修,评估与诊断
2601,TS2601E2,微课：网络学习空间的使用,提升工程,选修,远程,专业科目,4,0,广州市教师继续教育指导中心,任意选修,组织与管理
2601,TS2601E3,微课：数字资源的检索与加工,提升工程,选修,远程,专业科目,8,0,广州市教师继续教育指导中心,任意选修,技术素养
CSV
jj course import "$OUT/ability-courses.csv"
jj ability show --period 2601

say "试点教师登录，生成诊断测评答题卡（20 题，每个能力维度 4 题，答案 A-D）"
printf '%s\n' "$AP" | jj login "$AT" --password-stdin
printf '%s\nTeach3rPass\n' "$AP" | jj me passwd --password-stdin
jj ability questionnaire --out "$OUT/答题卡.xlsx"
say "一份填错的答题卡：逐行列出错误（退出码 1），不计入测评次数"
"$PY" - "$OUT/答题卡.xlsx" "$OUT/答题卡-有错.xlsx" "$OUT/答题卡-已填.xlsx" <<'PY'
import sys, openpyxl
src, bad, good = sys.argv[1:]
wb = openpyxl.load_workbook(src); ws = wb.active
for n, row in enumerate(ws.iter_rows(min_row=2), start=1):
    row[2].value = "A" if 13 <= n <= 16 else ("C" if n % 2 else "D")  # 评估与诊断 weakest
wb.save(good)
ws.cell(row=4, column=3).value = "E"; ws.delete_rows(21)
wb.save(bad)
PY
jj ability assess --period 2601 --answers "$OUT/答题卡-有错.xlsx" || echo "（退出码 $?）"
say "提交填好的答题卡：各维度得分，最低的维度为课程主题；确认测评结果（每期最多 3 次）"
jj ability assess --period 2601 --answers "$OUT/答题卡-已填.xlsx" --confirm
say "按测评结果推荐课程：3 门必修直接选定（每门附推荐理由），任意选修列出"
jj ability recommend --period 2601
say "只选 4 学时选修：合计 46 学时，不足 50 学时（退出码 1，说明还差几学时）"
jj ability confirm --period 2601 --electives TS2601E1 || echo "（退出码 $?）"
say "选修 8 学时：合计 50 学时，确认提升工程选课（占名额，进入课单）"
jj ability confirm --period 2601 --electives TS2601E1,TS2601E2
say "为学员匹配的 3 门必修课程不可取消；提升工程课程也不能用 me enroll 直接选（退出码 5）"
jj me drop TS2601P1 --period 2601 || echo "（退出码 $?）"
jj me enroll TS2601E3 --period 2601 || echo "（退出码 $?）"
