"""Pluggable SMS delivery: file:PATH (JSON lines), console, or an HTTP gateway."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jjadmin.errors import InputRejected


@dataclass
class SmsSender:
    spec: str

    def send(self, to: str, text: str, code: str | None, at: datetime) -> None:
        kind, _, arg = self.spec.partition(":")
        if kind == "file":
            path = Path(arg)
            path.parent.mkdir(parents=True, exist_ok=True)
            line = {"to": to, "text": text, "code": code, "at": at.isoformat()}
            with path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        elif kind == "console":
            sys.stderr.write(f"[短信] 发往 {to}：{text}\n")
        elif kind in ("http", "https"):
            import urllib.request

            body = json.dumps({"to": to, "text": text}, ensure_ascii=False).encode("utf-8")
            req = urllib.request.Request(
                self.spec, data=body, method="POST", headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                resp.read()
        else:
            raise InputRejected(
                f"短信通道配置不正确：{self.spec}",
                hint="JJADMIN_SMS=file:PATH、console 或 http(s)://网关地址",
            )


def make_sender(spec: str | None) -> SmsSender:
    return SmsSender(spec or "console")
