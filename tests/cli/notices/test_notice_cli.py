"""`jjadmin notice …` and `me notices` end to end: posting by role, texts through file and
HTTP sinks (one failing every third call, one down), resend, reading."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from jjadmin.db import make_engine, session_factory
from tests.conftest import Cli
from tests.factories import make_school, make_teacher


@dataclass
class Units:
    a: str
    c: str
    teacher: tuple[str, str]


@pytest.fixture
def units(cli: Cli) -> Units:
    engine = make_engine(cli.db_url)
    with session_factory(engine)() as s:
        a = make_school(s, "4401040001", "440104")
        c = make_school(s, "4401050001", "440105")
        t = make_teacher(s, a)
        s.commit()
        made = Units(a.code, c.code, (t.learner_no, t.id_number[-6:].upper()))
    engine.dispose()
    cli.add_account("d104", "district", "--district", "440104", mobile="13900000104")
    cli.add_account("sa", "school", "--school", "4401040001", mobile="13900000001")
    cli.add_account("sa2", "school", "--school", "4401040001", mobile="13900000011")
    cli.add_account("sc", "school", "--school", "4401050001", mobile="13900000003")
    return made


def test_post_with_texts_list_show_and_me_notices(cli: Cli, units: Units, tmp_path: Any) -> None:
    dry = cli.json(
        "notice", "post", "--title", "选课通知", "--body", "b", "--to", "all", "--sms", "--dry-run"
    )
    assert dry["id"] is None and dry["recipients"] == 4 and dry["sms"] == 3
    assert {i["username"] for i in dry["items"]} == {"d104", "sa", "sa2", "sc"}
    assert cli.json("notice", "list")["total"] == 0
    body = tmp_path / "通知.txt"
    body.write_text("2602 期选课将于 9 月 1 日开始。", encoding="gbk")
    doc = cli.json("notice", "post", "--title", "选课通知", "--body-file", str(body), "--sms")
    assert doc == {
        "id": doc["id"], "recipients": 4, "sms": 3, "sms_failed": 0, "already_posted": False
    }  # fmt: skip
    again = cli.json("notice", "post", "--title", "选课通知", "--body-file", str(body), "--sms")
    assert (again["id"], again["sms"], again["already_posted"]) == (doc["id"], 0, True)
    texts = cli.outbox.messages()
    assert sorted(m["to"] for m in texts) == ["13900000001", "13900000003", "13900000011"]
    assert "选课通知" in texts[0]["text"]

    cli.login("sa")
    listed = cli.json("notice", "list", "--unread")
    assert listed["total"] == 1 and listed["items"][0]["title"] == "选课通知"
    assert listed["items"][0]["read"] is False
    shown = cli.json("notice", "show", str(doc["id"]))
    assert shown["body"].startswith("2602 期选课") and shown["read"] is True
    assert cli.json("notice", "list", "--unread")["total"] == 0
    human = cli.run("notice", "list").stdout
    assert "已读" in human and "选课通知" in human

    cli.login_teacher(*units.teacher)
    mine = cli.json("me", "notices")
    assert [i["id"] for i in mine["items"]] == [doc["id"]]
    assert "选课通知" in cli.run("notice", "show", str(doc["id"])).stdout


def test_who_posts_to_whom_and_bad_input(cli: Cli, units: Units) -> None:
    cli.run("notice", "post", "--title", "t", "--body", "x" * 20_001, code=1)
    cli.run("notice", "post", "--title", "t", code=2)  # no body
    cli.run("notice", "post", "--title", "t", "--body", "b", "--to", "nowhere", code=2)
    cli.run("notice", "post", "--title", "t", "--body", "b", "--to", "school:4409999999", code=4)
    cli.login("d104")
    cli.run("notice", "post", "--title", "t", "--body", "b", "--to", "district:440105", code=3)
    cli.run("notice", "post", "--title", "t", "--body", "b", "--to", f"school:{units.c}", code=3)
    cli.run("notice", "post", "--title", "t", "--body", "b", "--to", "all", code=3)
    mine = cli.json(
        "notice", "post", "--title", "区通知", "--body", "b", "--to", f"school:{units.a}"
    )
    assert mine["recipients"] == 2 and mine["sms"] == 0
    cli.login("sc")
    assert cli.json("notice", "list")["total"] == 0
    cli.run("notice", "show", str(mine["id"]), code=3)
    cli.run("notice", "post", "--title", "t", "--body", "b", code=3)  # a school does not post


class _FlakyGateway(BaseHTTPRequestHandler):
    calls: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", "0"))
        _FlakyGateway.calls.append(json.loads(self.rfile.read(length)))
        self.send_response(500 if len(_FlakyGateway.calls) % 3 == 0 else 200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[str]:
    _FlakyGateway.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FlakyGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms"
    server.shutdown()
    server.server_close()


def test_an_http_gateway_failing_every_third_call_and_one_that_is_down(
    cli: Cli, units: Units, gateway: str
) -> None:
    cli.monkeypatch.setenv("JJADMIN_SMS", gateway)
    doc = cli.json("notice", "post", "--title", "缴费提醒", "--body", "b", "--sms")
    assert (doc["sms"], doc["sms_failed"]) == (3, 0)  # the third call failed; its retry did not
    delivered = [c["to"] for i, c in enumerate(_FlakyGateway.calls, 1) if i % 3]
    assert sorted(delivered) == ["13900000001", "13900000003", "13900000011"]

    cli.monkeypatch.setenv("JJADMIN_SMS", "http://127.0.0.1:9/down")  # nothing listens
    down = cli.run(
        "notice", "post", "--title", "验证通知", "--body", "b", "--sms", "--json", code=1
    )
    doc = json.loads(down.stdout)
    assert (doc["sms"], doc["sms_failed"]) == (0, 3) and doc["id"]
    assert "notice resend" in down.stderr
    cli.monkeypatch.setenv("JJADMIN_SMS", f"file:{cli.outbox.path}")
    again = cli.json("notice", "resend", str(doc["id"]))
    assert (again["sms"], again["sms_failed"]) == (3, 0)
    assert len(cli.outbox.messages()) == 3
    cli.run("notice", "resend", str(doc["id"]), code=5)  # nothing left: never a duplicate
    assert len(cli.outbox.messages()) == 3
