# 35 — 能力提升工程 completed: once every confirmed course of the pilot teacher (step 15) is
# passed, the project's 50 学时 reach the ledger once (source ability); the courses' own grades
# credit nothing. Sourced by demo/run.sh (jj, say, last_code, $OUT, $PY are defined there).

export JJADMIN_NOW="2026-12-16T10:00:00+08:00"

say "市级登记该教师 5 门提升工程课程的成绩（全部合格）：项目完成，50 学时一次记入学时台账"
echo 'Demo2026pass' | jj login admin --password-stdin
cat > "$OUT/ability-grades.csv" <<CSV
学号,课程编号,成绩,备注
$AT,TS2601G1,合格,
$AT,TS2601P1,92,
$AT,TS2601S1,合格,
$AT,TS2601E1,85,
$AT,TS2601E2,合格,
CSV
jj grade import "$OUT/ability-grades.csv" --period 2601
jj credits ledger "$AT" --year 2026
