#!/usr/bin/env bash
# The README's first command: installs what is missing, builds tsync, and runs
# it end to end against the bundled mock API on 127.0.0.1 — a full sync of the
# user stream and of an orders stream (integer ids, a unix_millis cursor) into
# replica.db, a change at the API that brings a new field, an incremental sync,
# a look at the replica with the sqlite3 shell. Starts replica.db afresh each time.
set -euo pipefail
cd "$(dirname "$0")/.."

users=${TSYNC_DEMO_USERS:-100000}

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target tsync tsync-mock-api >/dev/null
echo "built build/tsync and build/tsync-mock-api"

log=$(mktemp)
orders_spec="path=/v1/orders,records=2000,key=integer,cursor_field=updated_at"
orders_spec+=",cursor_format=unix_millis,since_param=updated_since,records_path=results"
orders_spec+=",require=api_version:2,fields=amount:float;qty:integer;paid:bool;lines:array"
build/tsync-mock-api --users "$users" --port 0 --endpoint "$orders_spec" >"$log" 2>&1 &
mock=$!
trap 'kill "$mock" 2>/dev/null || true; wait "$mock" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 600); do
  grep -q "serving" "$log" && break
  kill -0 "$mock" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
base_url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/incremental/timestamp' "$log")
api=${base_url%/incremental/timestamp}
echo "mock API: $users users at $base_url, 2,000 orders at $api/v1/orders"

config=build/demo-configuration.json
cat >"$config" <<JSON
{
  "database": "replica.db",
  "streams": [
    {"name": "user", "url": "$base_url"},
    {"name": "orders", "url": "$api/v1/orders",
     "cursor_field": "updated_at", "cursor_format": "unix_millis",
     "since_param": "updated_since", "records_path": "results",
     "params": {"api_version": "2"}, "columns": {"amount": "DOUBLE"}}
  ]
}
JSON
rm -f replica.db replica.db-wal replica.db-shm replica.db.lock

echo
echo "== full sync"
build/tsync sync --config "$config"

echo
echo "== the API changes: 250 users updated, 40 added; orders gain a field, coupon, on 30 changed and 10 new"
curl -fsS --data "" "$api/admin/mutate?update=250&add=40" >/dev/null
curl -fsS --data "" "$api/admin/add_field?endpoint=/v1/orders&name=coupon&kind=string" >/dev/null
curl -fsS --data "" "$api/admin/mutate?endpoint=/v1/orders&update=30&add=10" >/dev/null

echo
echo "== incremental sync"
build/tsync sync --config "$config"

echo
echo "== sqlite3 replica.db: the five users updated last"
sqlite3 -header -column replica.db \
  "SELECT id, name, company, job, updatedAt FROM user ORDER BY updatedAt DESC LIMIT 5;"

echo
echo "== sqlite3 replica.db: orders, the newest three (coupon became a column in the second sync)"
sqlite3 -header -column replica.db \
  "SELECT id, amount, qty, paid, lines, coupon, updated_at FROM orders ORDER BY updated_at DESC LIMIT 3;"
sqlite3 -header -column replica.db \
  "SELECT count(*) AS orders, count(coupon) AS with_coupon, typeof(id) AS id_type FROM orders;"

echo
echo "== sqlite3 replica.db: the runs"
sqlite3 -header -column replica.db \
  "SELECT run_id, stream, status, rows_new, rows_updated, requests, cursor_after FROM _sync_log ORDER BY run_id;"

echo
echo "== tsync status"
build/tsync status --db replica.db
