# 25 — 校本培训 enrolled by the school after the window, a 专项培训 project through its three
# reviews, and 授权 (a teacher made one of the school's admins).
# Sourced by demo/run.sh (jj, say, last_code, $OUT, $PY are defined there).

export JJADMIN_NOW="2026-05-12T09:00:00+08:00"   # 2601's selection window ended on 03-20

say "5 月：学校管理员申报 2601 期校本课程，区级培训管理员审批（申报和审核截止于本年 12-31）"
echo 'Demo2026pass' | jj login school01 --password-stdin
jj course declare --period 2601 --code XB2601 --name "校本研修：课堂观察与反思" --hours 16 \
  --hour-type 专业科目 --type 面授
echo 'Demo2026pass' | jj login yuexiu --password-stdin
jj course approve XB2601 --period 2601

export JJADMIN_NOW="2026-06-18T15:00:00+08:00"
echo 'Demo2026pass' | jj login school01 --password-stdin
jj teacher list --json --limit 3 > "$OUT/staff.json"
staff() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][int(sys.argv[2])]["learner_no"])' "$OUT/staff.json" "$1"; }
T1=$(staff 0); T2=$(staff 1); T3=$(staff 2)

say "6 月：选课时间已过，学校仍为本校教师报读已审批的校本课程（招生录取，至本年 12-31）"
jj enroll add --period 2601 --course XB2601 --teachers "$T1,$T2,$T3"
say "其他级别的课程仍受选课时间限制（退出码 5）"
jj enroll add --period 2601 --course C26010001 --teachers "$T1" || echo "（退出码 $?）"

say "市级发布专项培训项目（培训级别：专项培训），开通承担项目的培训机构账号"
echo 'Demo2026pass' | jj login admin --password-stdin
cat > "$OUT/special.csv" <<'CSV'
期数,课程编号,课程名称,培训级别,课程属性,课程类型,学时类型,学时,培训费用,教材费用,主讲教师,申报单位,收费单位,培训对象,容量,状态
2601,ZX2601,骨干教师信息技术专项培训,专项培训,选修,面授,专业科目,36,0,0,专家组,华南师大教师培训学院,华南师大教师培训学院,区级以上骨干教师,20,上线
CSV
jj course import "$OUT/special.csv"
echo 'Demo2026pass' | jj account add huashi --role institution --institution 华南师大教师培训学院 --name 华师培训学院管理员 --mobile 13600136000 --password-stdin

say "学校管理员代两位教师报名（教师本人：jjadmin me apply ZX2601），本校先审核"
echo 'Demo2026pass' | jj login school01 --password-stdin
A1=$(jj special-training apply ZX2601 --teacher "$T1" --note "区级骨干教师")
A2=$(jj special-training apply ZX2601 --teacher "$T2")
jj special-training review "$A1" --approve
jj special-training review "$A2" --approve
say "区培训管理员审核：一份通过，一份不通过（须说明原因，申请结束）"
echo 'Demo2026pass' | jj login yuexiu --password-stdin
jj special-training list --state 待区审核
jj special-training review "$A1" --approve
jj special-training review "$A2" --reject --reason "本区名额已分配完"
say "承担项目的培训机构最后审核：通过即获得培训资格（已选课）"
echo 'Demo2026pass' | jj login huashi --password-stdin
jj special-training review "$A1" --approve
jj special-training show "$A1"
say "专项培训不能直接选课（退出码 5），越级或重复审核也不行"
echo 'Demo2026pass' | jj login school01 --password-stdin
jj enroll add --period 2601 --course ZX2601 --teachers "$T3" || echo "（退出码 $?）"
jj special-training review "$A1" --approve || echo "（退出码 $?）"

say "授权：本校一位教师为学校继续教育管理员（与校长共同分担管理工作）"
jj teacher admin grant "$T3"
jj teacher list --school-admin
