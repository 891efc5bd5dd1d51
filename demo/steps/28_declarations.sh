# 28 — 学时申报: training outside the platform, declared with its proof, 学校初审 → 区终审
# (one return on the way), credited to the teacher's ledger (30_grades' 年度验证 counts it);
# a sheet of declarations imported.
# Sourced by demo/run.sh (jj, say, last_code, $OUT, $PY are defined there).

export JJADMIN_NOW="2026-07-10T10:00:00+08:00"
echo 'Demo2026pass' | jj login school01 --password-stdin
jj teacher list --json --limit 2 > "$OUT/declarants.json"
declarant() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][int(sys.argv[2])]["learner_no"])' "$OUT/declarants.json" "$1"; }
D1=$(declarant 0); D2=$(declarant 1)
printf '%%PDF-1.4\n%% 结业证书（演示）\n' > "$OUT/结业证书.pdf"
printf 'MZ\x90\x00 not a pdf' > "$OUT/setup.pdf"

say "7 月：学校管理员为本校教师申报校外培训学时（证明材料按文件内容判断，PDF/JPG/PNG ≤ 10 MB）"
DID=$(jj credits declare "$D1" --year 2026 --project 广东省中小学教师信息技术培训 \
  --institution 华南师范大学 --from 2026-06-01 --to 2026-06-05 --hours 40 \
  --hour-type 专业科目 --attach "$OUT/结业证书.pdf")
say "改了扩展名的可执行文件不是 PDF（退出码 1）"
jj credits declare "$D2" --year 2026 --project 读书会 --institution 区教育局 \
  --from 2026-06-01 --to 2026-06-02 --hours 6 --hour-type 个人选修 --attach "$OUT/setup.pdf" \
  || echo "（退出码 $?）"

say "学校初审：退回重新申报（必须写明原因）"
jj credits review "$DID" --return --reason "请补充盖章的学习证明"
say "重新提交（新的一轮，补充证明材料），学校初审通过"
jj credits resubmit "$DID" --hours 36 --attach "$OUT/结业证书.pdf"
jj credits review "$DID" --approve
say "区培训管理员终审通过：学时计入教师的学时记录"
echo 'Demo2026pass' | jj login yuexiu --password-stdin
jj credits list --state 待终审
jj credits review "$DID" --approve
jj credits show "$DID"

say "学时申报表批量导入（先 --dry-run 校验），每行一条待初审的申报"
echo 'Demo2026pass' | jj login school01 --password-stdin
jj credits template "$OUT/学时申报模板.xlsx"
cat > "$OUT/declarations.csv" <<CSV
学号,培训年度,项目名称,培训机构,开始日期,结束日期,学时,学时类型,证明材料
$D1,2026,心理健康教育专题,广州市教育研究院,2026-05-09,2026-05-10,12,公需科目,结业证书（校存）
$D2,2026,班主任能力提升,越秀区教师发展中心,2026-04-11,2026-04-12,16,专业科目,培训证明
CSV
jj credits import "$OUT/declarations.csv" --dry-run
jj credits import "$OUT/declarations.csv"
jj credits list --year 2026
