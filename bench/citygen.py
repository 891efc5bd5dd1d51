"""Deterministic city-scale data: districts, schools, teachers (valid IDs), courses."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

DISTRICTS = [
    "440103",
    "440104",
    "440105",
    "440106",
    "440111",
    "440112",
    "440113",
    "440114",
    "440115",
    "440117",
    "440118",
]
# real ID numbers also carry abolished address codes (东山 440102, 芳村 440107) and other cities
ID_REGIONS = DISTRICTS + ["440102", "440107", "440181", "440301", "445102", "360102", "430104"]
SURNAMES = (
    "李 王 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 林 罗 高 梁 郑 谢 宋 唐 许 韩 冯 邓 曹 "
    "彭 曾 肖 田 董 潘 袁 蔡 蒋 余 于 杜 叶 程 魏 苏 吕 丁 任 卢 姚 沈 钟 姜 崔 谭 陆 范 汪 廖 "
    "欧阳 司徒 上官"
).split()
GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀 霞 平 刚 桂 英 华 玉 萍 红 "
    "建 文 辉 力 燕 晓 婷 雪 琳 俊 峰 嘉 颖 思 宇 欣 浩 然 子 梓 晨 悦 佳 诗 雨 泽 睿 博"
).split()
STAGES = ["小学", "初中", "高中", "幼儿园", "中职", "特殊教育"]
STAGE_WEIGHTS = [45, 25, 15, 10, 4, 1]
SUBJECTS = [
    "语文",
    "数学",
    "英语",
    "物理",
    "化学",
    "生物",
    "政治",
    "历史",
    "地理",
    "科学",
    "信息技术",
    "音乐",
    "美术",
    "体育",
    "心理健康",
    "综合实践活动",
    "幼教",
    "其他",
]
TITLES = ["高级教师", "一级教师", "二级教师", "三级教师", "未定级", "正高级教师"]
SCHOOL_TYPES = ["小学", "初级中学", "高级中学", "完全中学", "九年一贯制学校", "幼儿园"]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"

SCHOOL_HEADERS = [
    "学校代码",
    "学校名称",
    "所属区代码",
    "办学类型",
    "学校公章名",
    "所在镇街",
    "学校性质",
    "负责人姓名",
    "负责人移动电话",
]
TEACHER_HEADERS = [
    "学号",
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "手机号",
    "学校代码",
    "任教学段",
    "任教学科",
    "职称",
    "在岗状态",
    "电子邮箱",
    "通讯地址",
]
COURSE_HEADERS = [
    "期数",
    "课程编号",
    "课程名称",
    "培训级别",
    "课程属性",
    "课程类型",
    "学时类型",
    "学时",
    "培训费用",
    "教材费用",
    "主讲教师",
    "申报单位",
    "收费单位",
    "培训对象",
    "容量",
    "状态",
]


def id_number(rng: random.Random, used: set[str]) -> tuple[str, str, date]:
    while True:
        region = rng.choice(ID_REGIONS)
        birth = date(1962, 1, 1) + timedelta(days=rng.randrange(0, 365 * 38))
        order = rng.randrange(0, 1000)
        body = f"{region}{birth:%Y%m%d}{order:03d}"
        ident = body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]
        if ident not in used:
            used.add(ident)
            return ident, ("男" if order % 2 else "女"), birth


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def schools(n: int, seed: int = 1) -> list[list[object]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        d = DISTRICTS[i % len(DISTRICTS)]
        code = f"44{d[-2:]}{i:06d}"
        nm = f"广州市第{i + 1}学校"
        rows.append(
            [
                code,
                nm,
                d,
                rng.choice(SCHOOL_TYPES),
                nm,
                f"{d[-2:]}号街道",
                rng.choice(["公办", "公办", "民办"]),
                name(rng),
                f"13{rng.randrange(0, 10**9):09d}",
            ]
        )
    return rows


def teachers(n: int, school_codes: list[str], seed: int = 2) -> Iterator[list[object]]:
    rng = random.Random(seed)
    used: set[str] = set()
    for _ in range(n):
        ident, gender, birth = id_number(rng, used)
        yield [
            "",
            name(rng),
            ident,
            gender,
            birth.isoformat(),
            f"1{rng.choice('3456789')}{rng.randrange(0, 10**9):09d}",
            rng.choice(school_codes),
            rng.choices(STAGES, STAGE_WEIGHTS)[0],
            rng.choice(SUBJECTS),
            rng.choice(TITLES),
            "在职",
            "",
            "",
        ]


def courses(period: str, n: int) -> list[list[object]]:
    rows = []
    for i in range(n):
        rows.append(
            [
                period,
                f"C{period}{i:04d}",
                f"全员培训课程{i + 1}",
                "全员培训",
                "必修" if i % 3 == 0 else "选修",
                ["远程", "面授", "混合"][i % 3],
                ["公需科目", "专业科目", "个人选修"][i % 3],
                24 if i % 2 else 12,
                120 if i % 2 else 60,
                20 if i % 5 == 0 else 0,
                f"主讲{i}",
                "广州市教师继续教育指导中心",
                "广州市广播电视大学",
                "全体教师",
                "",
                "上线",
            ]
        )
    return rows


def write_xlsx(
    path: Path,
    headers: list[str],
    rows: Iterator[list[object]] | list[list[object]],
    text_cols: tuple[int, ...] = (),
) -> int:
    """Write with XlsxWriter in constant memory; code columns as text."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False},
    )
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, headers)
    n = 0
    for n, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v == "" or v is None:
                continue
            if isinstance(v, str):
                ws.write_string(n, c, v)
            else:
                ws.write(n, c, v)
    wb.close()
    return n
