#!/usr/bin/env bash
# `make demo`: the main job end to end on an embedded SQLite database in ./demo-out.
# The steps run in order from demo/steps/ (one file per stage of the year); each may move
# JJADMIN_NOW forward.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=demo-out
rm -rf "$OUT" && mkdir -p "$OUT"
PY=.venv/bin/python
export JJADMIN_DATABASE_URL="sqlite:///$PWD/$OUT/jjadmin.db"
export JJADMIN_SESSION_FILE="$PWD/$OUT/session.json"
export JJADMIN_SMS="file:$PWD/$OUT/sms.jsonl"
export JJADMIN_LOG_DIR="$PWD/$OUT/logs"
export JJADMIN_NOW="2026-03-10T09:30:00+08:00"   # inside period 2601's selection window
unset JJADMIN_TOKEN || true
export COLUMNS="${COLUMNS:-150}"
jj() { .venv/bin/jjadmin "$@"; }
say() { printf '\n\033[1;36m▶ %s\033[0m\n' "$*"; }
last_code() { "$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["code"])' "$OUT/sms.jsonl"; }

for step in demo/steps/*.sh; do
  # shellcheck source=/dev/null
  source "$step"
done

printf '\n完成。数据库：%s；生成的文件在 %s/\n' "$OUT/jjadmin.db" "$OUT"
