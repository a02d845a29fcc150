#!/bin/bash
# usage: harness.sh BIN OUT [scans]
cd /work/wt/deskres
export TMPDIR=/tmp/deskres/tmp
export BENCH_DESK_SHOP_DB=/tmp/deskres/shop/shop.db BENCH_DESK_DATA=/tmp/deskres/c1
export BENCH_DESK_BIN=$1 BENCH_DESK_SCANS=${3:-50} BENCH_DESK_SYNC_ROUNDS=0 BENCH_DESK_CATCHUP_ROUNDS=0
{ date -u; uptime; go test -tags benchdesk,no_animations,no_emoji,migrated_fynedo -run '^TestRealDeskBench$' -v -count 1 -timeout 30m ./cmd/skranke/ ; date -u; uptime; } > $2 2>&1
