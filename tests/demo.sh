#!/bin/sh
# make demo: a throwaway PostgreSQL and qpayd on loopback, driven the way an
# operator would, with the reference documentation's curl commands: invoice,
# mark-paid, refund with an Idempotency-Key, finalize, an approval, a refusal,
# the audit trail. Everything started here is stopped on exit, Ctrl-C included.
# Automatic payouts through qpayd-executor join when the executor lands.
set -eu
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/qpayd-demo.XXXXXX)
chmod 755 "$work"
serve_pid=""
cleanup() {
	[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
	sh tests/pg.sh stop "$work/pg"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; sh -c "$*"; echo; }
# showcap VAR CMD: show CMD and its answer, and export the answer's "id" as VAR
showcap() {
	printf '$ %s\n' "$2"
	out=$(sh -c "$2")
	printf '%s\n\n' "$out"
	eval "$1=\$(printf '%s' \"\$out\" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"id\"])')"
	export "$1"
}

step "Starting a throwaway PostgreSQL"
pgport=$(sh tests/pg.sh start "$work/pg")
/usr/lib/postgresql/*/bin/psql -h 127.0.0.1 -p "$pgport" -U postgres -qc "CREATE DATABASE qpayd" postgres
apiport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

export QPAYD_DATABASE_URL="postgresql://postgres@127.0.0.1:$pgport/qpayd"
export QPAYD_API_TOKEN=demo-api-token QPAYD_ADMIN_TOKEN=demo-admin-token QPAYD_PAYOUT_TOKEN=demo-payout-token
sed -e "s/^listen = .*/listen = \"127.0.0.1:$apiport\"/" -e '/^\[stores\.lightning\]/,/^$/d' \
	-e '/^\[stores\.bitcoin\]/,/^$/d' -e 's/^admin_token_env = "QPAYD_MAIN_ADMIN_TOKEN"/#&/' \
	-e 's/^payout_token_env = "QPAYD_MAIN_PAYOUT_TOKEN"/#&/' -e 's/^network = "mainnet"/network = "regtest"/' \
	deploy/qpayd.example.toml >"$work/qpayd.toml"

step "Checking the configuration"
show "bin/qpayd --config $work/qpayd.toml check-config"
step "Migrating the database (twice: the second run is a no-op)"
show "bin/qpayd --config $work/qpayd.toml migrate"
show "bin/qpayd --config $work/qpayd.toml migrate"
step "Starting qpayd serve on 127.0.0.1:$apiport"
bin/qpayd --config "$work/qpayd.toml" serve 2>"$work/qpayd.log" &
serve_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$apiport/healthz" >/dev/null && break; sleep 0.1; done
show "curl -sS http://127.0.0.1:$apiport/healthz"
show "curl -sS http://127.0.0.1:$apiport/readyz"
show "curl -sS http://127.0.0.1:$apiport/v1/nothing-here"
BASE="http://127.0.0.1:$apiport"
json() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
export BASE
ADDR=bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9

step "An invoice, paid outside qpayd (mark-paid)"
showcap INVOICE_ID "curl -sS -X POST \$BASE/v1/stores/main/invoices -H \"Authorization: Bearer \$QPAYD_API_TOKEN\" -d '{\"amount_sats\": 400000, \"description\": \"order 123\"}'"
show "curl -sS -X POST \$BASE/v1/stores/main/invoices/\$INVOICE_ID/mark-paid -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\" -d '{\"amount_sats\": 400000}'"

step "Refund summary, then a refund with an Idempotency-Key (sent twice: one refund)"
show "curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE_ID/refund-summary -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\""
create="curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE_ID/refunds -H \"Authorization: Bearer \$QPAYD_PAYOUT_TOKEN\" -H 'Idempotency-Key: refund_order_123' -H 'Content-Type: application/json' -d '{\"amount_sats\": 2000, \"destination\": \"$ADDR\", \"reason\": \"overpayment\"}'"
show "$create"
show "$create"
REFUND_ID=$(sh -c "$create" | json '["id"]')
export REFUND_ID
step "Finalize it after paying it by hand"
show "curl -sS -X POST \$BASE/v1/stores/main/refunds/\$REFUND_ID/finalize -H \"Authorization: Bearer \$QPAYD_PAYOUT_TOKEN\" -H 'Content-Type: application/json' -d '{\"tx_id\": \"$(printf 'ab%.0s' $(seq 32))\"}'"

step "300,000 sat: above the approval threshold and max_refund_sats"
BIG=$(curl -sS "$BASE/v1/stores/main/invoices/$INVOICE_ID/refunds" -H "Authorization: Bearer $QPAYD_PAYOUT_TOKEN" \
	-d "{\"amount_sats\": 300000, \"destination\": \"alice@example.com\"}")
echo "$BIG"
BIG_ID=$(echo "$BIG" | json '["id"]')
export BIG_ID
show "curl -sS -X POST \$BASE/v1/stores/main/refunds/\$BIG_ID/finalize -H \"Authorization: Bearer \$QPAYD_PAYOUT_TOKEN\" -d '{\"payment_proof\": \"paid by hand\"}'"
show "curl -sS -X POST \$BASE/v1/stores/main/refunds/\$BIG_ID/approve -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\""
show "curl -sS -X POST \$BASE/v1/stores/main/refunds/\$BIG_ID/finalize -H \"Authorization: Bearer \$QPAYD_PAYOUT_TOKEN\" -d '{\"payment_proof\": \"paid by hand\"}'"
step "Over the balance: refused"
show "curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE_ID/refunds -H \"Authorization: Bearer \$QPAYD_PAYOUT_TOKEN\" -d '{\"amount_sats\": 99000, \"destination\": \"$ADDR\"}'"
step "The audit trail and the summary"
show "curl -sS \$BASE/v1/stores/main/refunds/\$BIG_ID/events -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\""
show "curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE_ID/refund-summary -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\""

step "Refunds on this host"
show "bin/qpayd --config $work/qpayd.toml refunds-once || echo \"(exit \$?)\""
step "The server's log"
cat "$work/qpayd.log"
step "Stopping (SIGTERM)"
kill "$serve_pid"
wait "$serve_pid" && echo "qpayd exited 0"
serve_pid=""
echo
echo "demo: done. Automatic payouts (qpayd-executor with phoenixd, barkd, bitcoind) join"
echo "this walkthrough with the refund executor."
