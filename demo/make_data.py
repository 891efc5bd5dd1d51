"""Build the demo's sample spreadsheets (deterministic), with a few planted mistakes.

python demo/make_data.py OUTDIR                 → schools.xlsx, roster*.xlsx, courses.xlsx
python demo/make_data.py OUTDIR enroll LIST.json → enroll.xlsx from `teacher list --json`
python demo/make_data.py OUTDIR fix FILE.xlsx    → corrects the planted enrollment mistake
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import citygen  # noqa: E402

SCHOOL = "4401040001"


def build(out: Path) -> None:
    import random

    schools = citygen.schools(12)
    schools[1][0] = SCHOOL  # the demo school admin's school, in 越秀区
    schools[1][2] = "440104"
    schools[1][1] = schools[1][4] = "广州市越秀区示范小学"
    citygen.write_xlsx(out / "schools.xlsx", citygen.SCHOOL_HEADERS, schools)

    teachers = list(citygen.teachers(40, [SCHOOL], seed=7))
    citygen.write_xlsx(out / "roster-corrected.xlsx", citygen.TEACHER_HEADERS, teachers)
    bad = [list(r) for r in teachers]
    good_id = str(bad[4][2])
    bad[4][2] = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")  # wrong check digit
    bad[9][2] = float(str(bad[9][2])[:17])  # an ID Excel turned into a number
    bad[15][5] = "1380013800"  # a mobile with ten digits
    bad[22][2] = bad[3][2]  # the same ID twice
    bad[30][7] = "大学"  # not a 任教学段
    citygen.write_xlsx(out / "roster.xlsx", citygen.TEACHER_HEADERS, bad)

    rng = random.Random(3)
    courses = citygen.courses("2601", 12)
    for row in courses[:3]:
        row[14] = 30  # a few courses with limited seats
    district = [["2601", f"YX2601{i:02d}", f"越秀区区级培训{i}", "区级培训", "选修", "面授",
                 "专业科目", 12, 80, 0, "区讲师", "越秀区教师发展中心", "越秀区教师发展中心",
                 "越秀区教师", "", "上线", "440104"] for i in range(1, 4)]
    headers = [*citygen.COURSE_HEADERS, "所属区代码"]
    citygen.write_xlsx(out / "courses.xlsx", headers, [r + [""] for r in courses] + district)
    _ = rng


def enroll(out: Path, listing: Path) -> None:
    doc = json.loads(listing.read_text("utf-8"))
    rows = []
    codes = ["C26010000", "C26010001", "C26010004", "YX260101"]
    for i, item in enumerate(doc["items"]):
        for j in range(2):
            rows.append([item["learner_no"], codes[(i + j) % len(codes)], item["name"]])
    rows[7][2] = "张冠李戴"  # a shifted row: the name does not match the 学号
    citygen.write_xlsx(out / "enroll.xlsx", ["学号", "课程编号", "姓名"], rows)


def fix(path: Path, listing: Path) -> None:
    """Correct the planted name in the error workbook, as a school admin would."""
    import openpyxl

    names = {i["learner_no"]: i["name"] for i in json.loads(listing.read_text("utf-8"))["items"]}
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    col_no, col_name = headers.index("学号") + 1, headers.index("姓名") + 1
    for r in range(2, ws.max_row + 1):
        ws.cell(r, col_name).value = names.get(str(ws.cell(r, col_no).value))
    wb.save(path)


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    if len(sys.argv) == 2:
        build(target)
    elif sys.argv[2] == "enroll":
        enroll(target, Path(sys.argv[3]))
    elif sys.argv[2] == "fix":
        fix(Path(sys.argv[3]), Path(sys.argv[4]))
