# The end of the day at the centre: a backup that never overwrites silently, and the roles
# check a city on PostgreSQL runs (on this SQLite demo there is nothing to sync; see
# docs/deploy.md for the PostgreSQL set-up, the cron lines and restoring a backup).

say "数据库备份（市级管理员；已存在的备份文件只在 --overwrite 时替换）"
echo 'Demo2026pass' | jj login admin --password-stdin
jj db backup "$OUT/backup.db"
jj db backup "$OUT/backup.db" --overwrite --json
if jj db backup "$OUT/backup.db" 2>/dev/null; then
  echo "备份文件被意外覆盖" >&2
  exit 1
fi

say "数据库角色与行级安全（市级 PostgreSQL 才需要；SQLite 只在本机使用）"
jj db roles sync --dry-run
