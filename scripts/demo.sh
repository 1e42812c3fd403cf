#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's first command: installs what is missing, builds tsync, and runs
# it end to end against the bundled mock API on 127.0.0.1 — a full sync of the
# user stream, of an orders stream (integer ids, a unix_millis cursor) and of a
# customers stream paged the way Stripe pages (the last record's id, has_more,
# newest first, no updated filter) into replica.db, a change at the API that brings a new field, an incremental sync,
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
customers_spec="path=/v1/customers,records=1500,key=uuid,cursor_field=created"
customers_spec+=",cursor_format=unix_seconds,since_param=,paging=last_record,page_size=100"
customers_spec+=",order=newest_first,strict=true,fields=email:string;balance:integer"
build/tsync-mock-api --users "$users" --port 0 --endpoint "$orders_spec" \
  --endpoint "$customers_spec" >"$log" 2>&1 &
mock=$!
trap 'kill "$mock" 2>/dev/null || true; wait "$mock" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 600); do
  grep -q "serving" "$log" && break
  kill -0 "$mock" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
base_url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/incremental/timestamp' "$log")
api=${base_url%/incremental/timestamp}
echo "mock API: $users users at $base_url, 2,000 orders at $api/v1/orders,"
echo "  1,500 customers at $api/v1/customers in pages of 100, newest first"

config=build/demo-configuration.json
cat >"$config" <<JSON
{
  "database": "replica.db",
  "streams": [
    {"name": "user", "url": "$base_url"},
    {"name": "orders", "url": "$api/v1/orders",
     "cursor_field": "updated_at", "cursor_format": "unix_millis",
     "since_param": "updated_since", "records_path": "results",
     "params": {"api_version": "2"}, "columns": {"amount": "DOUBLE"}},
    {"name": "customers", "url": "$api/v1/customers",
     "cursor_field": "created", "cursor_format": "unix_seconds", "since_param": null,
     "params": {"limit": "100"},
     "pagination": {"type": "last_record", "field": "id", "param": "starting_after",
                    "has_more_path": "has_more"}}
  ]
}
JSON
rm -f replica.db replica.db-wal replica.db-shm replica.db.lock

echo
echo "== full sync"
build/tsync sync --config "$config"

echo
echo "== the API changes: 250 users updated, 40 added; orders gain a field, coupon, on 30 changed and 10 new;"
echo "   25 customers added"
curl -fsS --data "" "$api/admin/mutate?update=250&add=40" >/dev/null
curl -fsS --data "" "$api/admin/add_field?endpoint=/v1/orders&name=coupon&kind=string" >/dev/null
curl -fsS --data "" "$api/admin/mutate?endpoint=/v1/orders&update=30&add=10" >/dev/null
curl -fsS --data "" "$api/admin/mutate?endpoint=/v1/customers&update=0&add=25" >/dev/null

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
echo "== sqlite3 replica.db: customers, read page by page (16 pages of 100, newest first)"
sqlite3 -header -column replica.db \
  "SELECT count(*) AS customers, count(DISTINCT id) AS distinct_ids FROM customers;"

echo
echo "== sqlite3 replica.db: the runs"
sqlite3 -header -column replica.db \
  "SELECT run_id, stream, status, rows_new, rows_updated, requests, cursor_after FROM _sync_log ORDER BY run_id;"

echo
echo "== tsync status"
build/tsync status --db replica.db
