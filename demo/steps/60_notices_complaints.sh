# 60 — 公告 with SMS to the school admins, a district's notice to one school, a teacher's
# 通知公告, 我的档案 and a 年度验证 complaint handled by the district.
# Sourced by demo/run.sh (jj, say, last_code, $OUT, $PY, $T1 are defined there).

export JJADMIN_NOW="2026-08-25T09:00:00+08:00"
echo 'Demo2026pass' | jj login admin --password-stdin
say "市级发布 2602 期选课公告：先 --dry-run 看接收人，再发布并短信通知各校管理员"
jj notice post --title "2602 期选课通知" --body "2602 期选课将于 9 月 1 日开始，请各校通知教师按时选课。" \
  --to district:440104 --sms --dry-run
jj notice post --title "2602 期选课通知" --body "2602 期选课将于 9 月 1 日开始，请各校通知教师按时选课。" --sms --json
tail -n 1 "$OUT/sms.jsonl"

say "区级管理员只能向本区及本区学校发布（向其他区：退出码 3）"
echo 'Demo2026pass' | jj login yuexiu --password-stdin
jj notice post --title "越秀区继续教育工作会议" --body "请示范小学管理员 8 月 28 日参会。" --to school:4401040001
jj notice post --title "越界" --body "…" --to district:440105 || echo "（退出码 $?）"

say "学校管理员查看公告列表（未读），查看后即为已读"
echo 'Demo2026pass' | jj login school01 --password-stdin
jj notice list --unread
jj notice show 1 > /dev/null
jj notice list

say "市级设置 2026 年度验证的投诉时间（2027-01-05 至 2027-01-31）"
echo 'Demo2026pass' | jj login admin --password-stdin
jj complaint window --year 2026 --from 2027-01-05 --to 2027-01-31

export JJADMIN_NOW="2027-01-10T10:00:00+08:00"
say "教师登录（学校管理员重置的一次性密码，须先修改）：通知公告、我的档案、实名投诉"
echo 'Demo2026pass' | jj login school01 --password-stdin
ONCE=$(jj teacher passwd-reset "$T1" --show --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["password"])')
echo "$ONCE" | jj login "$T1" --password-stdin
printf '%s\nTeach2027pass\n' "$ONCE" | jj me passwd --password-stdin
jj me notices
jj me archive
C1=$(jj me complaint file --title "2026 年度校本培训学时未计入" --body "我参加了 XB2601 校本研修，年度验证中未见这 16 学时。")
jj me complaint list

say "区级管理员处理投诉（回复、关闭）；学校只能查看，不能回复（退出码 3）"
echo 'Demo2026pass' | jj login school01 --password-stdin
jj complaint list
jj complaint reply "$C1" --text "好" || echo "（退出码 $?）"
echo 'Demo2026pass' | jj login yuexiu --password-stdin
jj complaint reply "$C1" --text "已核实：校本课程成绩录入后学时即计入，请 2 月再查看。"
jj complaint close "$C1"
jj complaint stats --year 2026 --out "$OUT/投诉统计.xlsx"
