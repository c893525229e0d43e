#!/bin/sh
# make demo: a throwaway PostgreSQL and qpayd on loopback, driven the way an
# operator would, with the reference documentation's curl commands. qpayd
# receives through fake phoenixd and bitcoind with receive-only credentials
# (phoenixd's limited password, a watch-only descriptor wallet made by
# wallet-init): an invoice paid over Lightning (phoenixd's signed webhook) and
# one paid on-chain (mempool, then a block), both detected by qpayd, never
# marked paid by hand. Then refunds with an Idempotency-Key, finalize, an
# approval, a refusal, the audit trail; the signed webhooks a (tiny, python3)
# shop endpoint received for all of it, checked as docs/webhooks.md shows;
# then automatic payouts: qpayd-executor
# refunds paying to a Lightning invoice, a bitcoin address and a Lightning
# address through the same fakes (payments land in their ledgers), one refund
# above the approval threshold approved first, and a refund the customer
# claims through LNURL-withdraw. Everything started here is
# stopped on exit, Ctrl-C included.
set -eu
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/qpayd-demo.XXXXXX)
chmod 755 "$work"
serve_pid=""
others=""
cleanup() {
	# Never stop half-way: every step runs whatever the previous one did.
	set +e
	for p in $others; do kill "$p" 2>/dev/null; done
	[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null
	sleep 0.3
	for p in $others $serve_pid; do kill -9 "$p" 2>/dev/null; done
	sh tests/pg.sh stop "$work/pg"
	rm -rf "$work"
	return 0
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
# What qpayd holds: receive-only credentials.
export QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD=demo-phoenixd-limited \
	QPAYD_MAIN_PHOENIXD_WEBHOOK_SECRET=demo-webhook-secret QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH=qpayd:demo-watch-rpc
# The secret qpayd signs its webhooks to the shop with (the shop has it too).
export QPAYD_MAIN_WEBHOOK_SECRET=demo-shop-webhook-secret
# The payout credentials: the fakes know them, the executor gets them later;
# qpayd refuses to start with them in its environment, so they are not exported yet.
ln_full=demo-phoenixd-full
btc_refunds=refunds:demo-rpc

step "Fake phoenixd and bitcoind: qpayd receives through them, the executor pays through them"
start_fake() { # name script args... -> prints its URL
	name=$1
	shift
	/usr/bin/python3 "$@" >"$work/$name.port" 2>"$work/$name.log" &
	echo $! >"$work/$name.pid"
	for _ in $(seq 50); do grep -q listening "$work/$name.port" 2>/dev/null && break; sleep 0.1; done
	echo "http://$(awk '{print $2}' "$work/$name.port")"
}
PHOENIXD=$(start_fake phoenixd tests/fakes/phoenixd.py --port 0 --password "$ln_full" \
	--limited-password "$QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD" --webhook-secret "$QPAYD_MAIN_PHOENIXD_WEBHOOK_SECRET" \
	--ledger "$work/phoenixd.jsonl" --network regtest)
others="$others $(cat "$work/phoenixd.pid")"
# qpayd's bitcoind login is limited to deploy/bitcoin.conf.example's rpcwhitelist
# (nothing that spends); the executor's login has the spending wallet "refunds".
whitelist=$(sed -n 's/^rpcwhitelist=qpayd://p' deploy/bitcoin.conf.example)
BITCOIND=$(start_fake bitcoind tests/fakes/bitcoind.py --port 0 --rpcauth "$btc_refunds" \
	--rpcauth "$QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH" --whitelist "qpayd:$whitelist" \
	--chain regtest --ledger "$work/bitcoind.jsonl")
others="$others $(cat "$work/bitcoind.pid")"
# The shop's webhook endpoint: records what it gets in $work/shop.
SHOP=$(start_fake shop tests/fakes/webhook_receiver.py --port 0 --dir "$work/shop")
others="$others $(cat "$work/shop.pid")"
export BITCOIND PHOENIXD
echo "the shop's webhook endpoint at $SHOP"
echo "fake phoenixd at $PHOENIXD, fake bitcoind at $BITCOIND (whitelist of qpayd's login: $whitelist)"

# deploy/qpayd.example.toml, pointed at this demo: its port, its public_url
# (where phoenixd's webhooks reach it), the fakes, regtest, faster polls, and
# the shop's webhook endpoint (on loopback: allow_private_targets).
sed -e "s/^listen = .*/listen = \"127.0.0.1:$apiport\"/" \
	-e "s|^public_url = .*|public_url = \"http://127.0.0.1:$apiport\"   # phoenixd's webhooks reach this demo's qpayd|" \
	-e "s|^url = \"http://127.0.0.1:9740\"|url = \"$PHOENIXD\"|" -e "s|^url = \"http://127.0.0.1:8332\"|url = \"$BITCOIND\"|" \
	-e '/^\[stores\.lightning\]/,/^$/s/^poll_seconds = 10 .*/poll_seconds = 2/' \
	-e '/^\[stores\.bitcoin\]/,/^$/s/^poll_seconds = 10$/poll_seconds = 1/' \
	-e 's/^admin_token_env = "QPAYD_MAIN_ADMIN_TOKEN"/#&/' \
	-e 's/^payout_token_env = "QPAYD_MAIN_PAYOUT_TOKEN"/#&/' -e 's/^network = "mainnet"/network = "regtest"/' \
	-e 's/^max_refund_sats = 100000/max_refund_sats = 500000/' \
	-e 's/^daily_refund_limit_sats = 500000/daily_refund_limit_sats = 2000000/' \
	-e "s|^url = \"https://shop.example.com/qpayd/events\"|url = \"$SHOP/qpayd/events\"|" \
	-e 's/^allow_private_targets = false .*/allow_private_targets = true        # the demo shop is on loopback/' \
	deploy/qpayd.example.toml >"$work/qpayd.toml"
grep -q "^url = \"$PHOENIXD\"" "$work/qpayd.toml" && grep -q "^url = \"$BITCOIND\"" "$work/qpayd.toml" &&
	grep -q '^poll_seconds = 1$' "$work/qpayd.toml" && grep -q "^url = \"$SHOP/qpayd/events\"" "$work/qpayd.toml" &&
	grep -q '^allow_private_targets = true ' "$work/qpayd.toml" || { echo "demo: the config rewrite missed a line" >&2; exit 1; }

step "The store's watch-only wallet, from its public descriptor (wallet-init)"
TPUB=tpubD6NzVbkrYhZ4WsRzQENPFyMBcuJNj343JyKob6f2T1k2wvKRnYoVeuaEoyVDwGoYjpvGRhtAvao35ryga5aZPNgyCZnWTGtUb3iFXrMmHVS
show "bin/qpayd --config $work/qpayd.toml wallet-init --store main --descriptor 'wpkh([d34db33f/84h/1h/0h]$TPUB/0/*)'"
step "Checking the configuration (it reaches phoenixd and bitcoind)"
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
# wait_status INVOICE STATUS SECONDS: poll the invoice until qpayd reports STATUS
wait_status() {
	n=0
	while :; do
		st=$(curl -sS "$BASE/v1/stores/main/invoices/$1" -H "Authorization: Bearer $QPAYD_API_TOKEN" |
			json '["status"]' 2>/dev/null) || st="(no answer)"
		if [ "$st" = "$2" ]; then
			echo "(polled GET /v1/stores/main/invoices/$1: $st after $((n / 5)).$((n % 5 * 2)) s)"
			return 0
		fi
		n=$((n + 1))
		if [ "$n" -gt $(($3 * 5)) ]; then
			echo "demo: FAILED: invoice $1 did not reach \"$2\" within $3 s (last status: $st). qpayd's log:" >&2
			tail -n 40 "$work/qpayd.log" >&2
			exit 1
		fi
		sleep 0.2
	done
}

step "An invoice: a Lightning invoice (bolt11) from phoenixd and a fresh address of the watch-only wallet, in one BIP21 URI"
showcap INVOICE_ID "curl -sS -X POST \$BASE/v1/stores/main/invoices -H \"Authorization: Bearer \$QPAYD_API_TOKEN\" -d '{\"amount_sats\": 400000, \"description\": \"order 123\"}'"
HASH=$(printf '%s' "$out" | json '["payment_hash"]')
export HASH
step "The payer pays it over Lightning: phoenixd posts its signed webhook to qpayd's public_url"
show "curl -sS -X POST \$PHOENIXD/_fake/receive -d '{\"paymentHash\": \"'\$HASH'\", \"webhook\": true}'"
wait_status "$INVOICE_ID" paid 30
show "curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE_ID -H \"Authorization: Bearer \$QPAYD_API_TOKEN\""
show "curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE_ID/events -H \"Authorization: Bearer \$QPAYD_API_TOKEN\""

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

step "Webhooks: the shop's endpoint got each of these events, signed (docs/webhooks.md)"
for _ in $(seq 100); do grep -q "refund.succeeded $BIG_ID" "$work/shop/index" 2>/dev/null && break; sleep 0.1; done
grep -q "refund.succeeded $BIG_ID" "$work/shop/index" || { echo "demo: FAILED: no webhook for $BIG_ID" >&2; tail -n 20 "$work/qpayd.log" >&2; exit 1; }
show "cat $work/shop/index"
show "curl -sS \"\$BASE/v1/stores/main/webhook-deliveries?limit=1\" -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\""
last=$(grep "refund.succeeded $BIG_ID" "$work/shop/index" | cut -d' ' -f1)
cp "$work/shop/$last.json" "$work/shop/body.json"
export SIG="$(cat "$work/shop/$last.sig")" SECRET="$QPAYD_MAIN_WEBHOOK_SECRET"
echo "The last one, refund.succeeded: its body (byte for byte) and its Qpayd-Signature header:"
show "cat $work/shop/body.json; echo; echo \"Qpayd-Signature: \$SIG\""
echo "The shop checks it with the secret, as docs/webhooks.md shows (its shell lines, run as written):"
check=$(sed -n '/^```sh$/,/^```$/p' docs/webhooks.md | sed '1d;$d')
printf '%s\n' "$check"
(cd "$work/shop" && sh -c "$check")
echo "The same body with one byte changed:"
sed -i 's/"status":"succeeded"/"status":"succeedeD"/' "$work/shop/body.json"
(cd "$work/shop" && sh -c "$check")
cp "$work/shop/$last.json" "$work/shop/body.json"
echo "And with docs/webhooks.md's Python verify():"
/usr/bin/python3 - "$work/shop/body.json" <<'PY'
import os, re, sys
scope = {}
exec(re.search(r"```python\n(.*?)```", open("docs/webhooks.md").read(), re.S).group(1), scope)
body = open(sys.argv[1], "rb").read()
print("verify(secret, header, body) =", scope["verify"](os.environ["SECRET"], os.environ["SIG"], body))
print("with another secret           =", scope["verify"]("not-the-secret", os.environ["SIG"], body))
PY

step "Automatic payouts: qpayd-executor with (fake) phoenixd and bitcoind"
export QPAYD_LIGHTNING_REFUND_PASSWORD="$ln_full" QPAYD_BITCOIN_REFUND_RPC_AUTH="$btc_refunds"
sed -e "s|^url = \"http://127.0.0.1:9740\"|url = \"$PHOENIXD\"|" -e "s|^url = \"http://127.0.0.1:8332\"|url = \"$BITCOIND\"|" \
	-e 's/^network = "mainnet"/network = "regtest"/' -e 's/^max_refund_sats = 100000/max_refund_sats = 500000/' \
	-e 's/^daily_refund_limit_sats = 500000/daily_refund_limit_sats = 2000000/' \
	-e "s|^journal = \"[^\"]*\"|journal = \"$work/journal\"|" \
	deploy/executor.example.toml >"$work/executor.toml"
show "bin/qpayd-executor --config $work/executor.toml check-config"
bin/qpayd-executor --config "$work/executor.toml" refunds >"$work/executor.out" 2>"$work/executor.log" &
others="$others $!"
sleep 0.5
LN_INVOICE=$(curl -sS -X POST "$PHOENIXD/_fake/invoice" -d '{"amount_sat": 3000}' | json '["invoice"]')
export LN_INVOICE
echo "(a payer's Lightning invoice for 3,000 sat: $LN_INVOICE)"
showcap LN_REFUND "curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE_ID/refunds -H \"Authorization: Bearer \$QPAYD_PAYOUT_TOKEN\" -d '{\"amount_sats\": 3000, \"destination\": \"'\$LN_INVOICE'\"}'"
showcap BTC_REFUND "curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE_ID/refunds -H \"Authorization: Bearer \$QPAYD_PAYOUT_TOKEN\" -d '{\"amount_sats\": 5000, \"destination\": \"$ADDR\"}'"
showcap BIG_AUTO "curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE_ID/refunds -H \"Authorization: Bearer \$QPAYD_PAYOUT_TOKEN\" -d '{\"amount_sats\": 60000, \"destination\": \"bob@example.com\"}'"
echo "(60,000 sat is below this demo's threshold of 250,000; the next one is above it)"
step "A second invoice, paid on-chain: seen in the mempool (processing), credited at 1 confirmation"
showcap INVOICE2 "curl -sS -X POST \$BASE/v1/stores/main/invoices -H \"Authorization: Bearer \$QPAYD_API_TOKEN\" -d '{\"amount_sats\": 300000, \"payment_methods\": [\"onchain\"]}'"
ADDR2=$(printf '%s' "$out" | json '["onchain_address"]')
export ADDR2
show "curl -sS -X POST \$BITCOIND/_fake/pay -d '{\"address\": \"'\$ADDR2'\", \"amount_sat\": 300000}'"
wait_status "$INVOICE2" processing 30
show "curl -sS -X POST \$BITCOIND/_fake/mine -d '{\"blocks\": 1}'"
wait_status "$INVOICE2" paid 30
show "curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE2/events -H \"Authorization: Bearer \$QPAYD_API_TOKEN\""
step "260,000 sat refunded from the second invoice: above the threshold, paid by the executor once approved"
showcap APPROVE_ME "curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE2/refunds -H \"Authorization: Bearer \$QPAYD_PAYOUT_TOKEN\" -d '{\"amount_sats\": 260000, \"destination\": \"$ADDR\"}'"
show "curl -sS -X POST \$BASE/v1/stores/main/refunds/\$APPROVE_ME/approve -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\""
wait_final() { # refund id: wait until it leaves pending/processing
	for _ in $(seq 100); do
		st=$(curl -sS "$BASE/v1/stores/main/refunds/$1" -H "Authorization: Bearer $QPAYD_ADMIN_TOKEN" | json '["status"]')
		case "$st" in succeeded | failed) return 0 ;; esac
		sleep 0.1
	done
}
for r in "$LN_REFUND" "$BTC_REFUND" "$BIG_AUTO" "$APPROVE_ME"; do wait_final "$r"; done
step "Each refund reached succeeded, with its payment_proof or tx_id"
for r in LN_REFUND BTC_REFUND BIG_AUTO APPROVE_ME; do
	show "curl -sS \$BASE/v1/stores/main/refunds/\$$r -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\""
done
step "What the executor printed, and the fake backends' ledgers"
cat "$work/executor.out"
show "curl -sS \$BITCOIND/_fake/ledger"
show "curl -sS \$PHOENIXD/_fake/ledger"
step "The refund summaries"
show "curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE_ID/refund-summary -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\""
show "curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE2/refund-summary -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\""
step "The reference command on the wallet host: one more pass (nothing left to pay)"
show "bin/qpayd --config $work/executor.toml refunds-once"

# --- Signed approvals (issue 13, section 4) -----------------------------------
# An approver's Ed25519 key, configured in both programs; a refund above the
# threshold is then approved only with its signature, made by `qpayd approve`
# on the approver's machine, and the executor verifies it with its own copy of
# the key before it pays.
step "Signed approvals: an approver's key (qpayd approval-key new), in both configs"
APPROVER_PUB=$(bin/qpayd approval-key new --out "$work/approver.key")
echo "\$ bin/qpayd approval-key new --out $work/approver.key"
echo "$APPROVER_PUB"
ls -l "$work/approver.key" "$work/approver.key.pub"
for f in "$work/qpayd.toml" "$work/executor.toml"; do
	sed -i "/^id = \"main\"/a approval_public_keys = \"$APPROVER_PUB\"" "$f"
	grep -q "^approval_public_keys = \"$APPROVER_PUB\"" "$f" || { echo "demo: key not configured in $f" >&2; exit 1; }
done
exec_pid=$(curl -sS "$BASE/readyz" | json '["executors"][0]["pid"]')
kill -HUP "$exec_pid" # the executor re-reads its config, keys included
kill "$serve_pid" && wait "$serve_pid"
# qpayd refuses to start with the payout credentials exported above for the executor.
env -u QPAYD_LIGHTNING_REFUND_PASSWORD -u QPAYD_BITCOIN_REFUND_RPC_AUTH \
	bin/qpayd --config "$work/qpayd.toml" serve 2>>"$work/qpayd.log" &
serve_pid=$!
for _ in $(seq 50); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done
show "bin/qpayd-executor --config $work/executor.toml check-config"
step "270,000 sat from a third invoice: above the threshold; the admin token alone no longer approves it"
showcap INVOICE3 "curl -sS -X POST \$BASE/v1/stores/main/invoices -H \"Authorization: Bearer \$QPAYD_API_TOKEN\" -d '{\"amount_sats\": 300000}'"
show "curl -sS -X POST \$BASE/v1/stores/main/invoices/\$INVOICE3/mark-paid -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\" -d '{\"amount_sats\": 300000}'"
showcap SIGNED "curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE3/refunds -H \"Authorization: Bearer \$QPAYD_PAYOUT_TOKEN\" -d '{\"amount_sats\": 270000, \"destination\": \"$ADDR\"}'"
show "curl -sS -X POST \$BASE/v1/stores/main/refunds/\$SIGNED/approve -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\""
step "The approver signs it (qpayd approve) and the executor, having verified the signature, pays it"
show "bin/qpayd approve --key $work/approver.key --store main --url \$BASE \$SIGNED"
wait_final "$SIGNED"
show "curl -sS \$BASE/v1/stores/main/refunds/\$SIGNED -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\""
show "curl -sS \$BITCOIND/_fake/ledger | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); d=d.get(\"entries\", d) if isinstance(d, dict) else d; print([e for e in d if e.get(\"comment\") == \"'\$SIGNED'\"])'"
# --- end of signed approvals --------------------------------------------------
# --- Issue 13, section 2 (the executor's journal): audit agrees -------------
# Every refund paid above has a start and an outcome record in the wallet
# host's journal; audit compares it with the database and the fake backends
# and exits 0 when all agree (4 would list each disagreement).
step "qpayd-executor audit: the journal, the database and the backends agree"
show "bin/qpayd-executor --config $work/executor.toml audit; echo \"audit exit code: \$?\""
show "head -c 600 $work/journal; echo ..."
# --- end of the journal block ------------------------------------------------

# --- Issue 18: a refund the customer claims, through LNURL-withdraw ----------
# The shop refunds without knowing where to; the customer's Lightning wallet
# scans the claim page's QR code (an LNURL-withdraw) and is paid by the
# executor. docs/claims.md.
step "A refund the customer claims: \"claim\": true and no destination (docs/claims.md)"
claim_create="curl -sS \$BASE/v1/stores/main/invoices/\$INVOICE2/refunds -H \"Authorization: Bearer \$QPAYD_PAYOUT_TOKEN\" -d '{\"amount_sats\": 4000, \"claim\": true, \"reason\": \"returned item\"}'"
printf '$ %s\n' "$claim_create"
CLAIMED_OUT=$(sh -c "$claim_create")
printf '%s\n\n' "$CLAIMED_OUT"
CLAIMABLE=$(printf '%s' "$CLAIMED_OUT" | json '["id"]')
CLAIM_URL=$(printf '%s' "$CLAIMED_OUT" | json '["claim_url"]')
LNURL=$(printf '%s' "$CLAIMED_OUT" | json '["lnurl"]')
export CLAIMABLE CLAIM_URL LNURL
step "The claim page the shop sends the customer: HTML, no script, the QR code inline"
show "curl -sS -D - -o /dev/null \$CLAIM_URL"
curl -sS "$CLAIM_URL" | grep -q '<svg' || { echo "demo: FAILED: no QR on the claim page" >&2; exit 1; }
step "The customer's wallet scans it: decodes the LNURL, reads the withdrawRequest"
WITHDRAW_URL=$(/usr/bin/python3 -c '
import sys
C = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
s = sys.argv[1].lower()
data = [C.index(c) for c in s[s.rindex("1") + 1:-6]]
acc = bits = 0
out = bytearray()
for v in data:
    acc, bits = (acc << 5) | v, bits + 5
    if bits >= 8:
        bits -= 8
        out.append((acc >> bits) & 255)
print(out.decode())' "$LNURL")
echo "(the LNURL decodes to $WITHDRAW_URL)"
show "curl -sS $WITHDRAW_URL"
step "The wallet makes an invoice of exactly that amount (here at the fake phoenixd) and sends it to the callback"
W=$(curl -sS "$WITHDRAW_URL")
PR=$(curl -sS -X POST "$PHOENIXD/_fake/invoice" -H 'Content-Type: application/json' -d '{"amount_sat": 4000}' | json '["invoice"]')
CALLBACK="$(printf '%s' "$W" | json '["callback"]')?k1=$(printf '%s' "$W" | json '["k1"]')&pr=$PR"
show "curl -sS '$CALLBACK'"
wait_final "$CLAIMABLE"
step "Claimed (refund.claimed) and paid by the executor"
show "curl -sS \$BASE/v1/stores/main/refunds/\$CLAIMABLE -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\""
show "curl -sS \$BASE/v1/stores/main/refunds/\$CLAIMABLE/events -H \"Authorization: Bearer \$QPAYD_ADMIN_TOKEN\""
st=$(curl -sS "$BASE/v1/stores/main/refunds/$CLAIMABLE" -H "Authorization: Bearer $QPAYD_ADMIN_TOKEN" | json '["status"]')
[ "$st" = succeeded ] || { echo "demo: FAILED: the claimed refund is $st" >&2; tail -n 20 "$work/executor.log" >&2; exit 1; }
step "A second claim is refused"
show "curl -sS '$CALLBACK'"
# --- end of the claim block ---------------------------------------------------

# --- Issue 17: the operator dashboard ----------------------------------------
step "The operator dashboard (docs/dashboard.md): everything above, in a browser"
show "curl -sSI \$BASE/dashboard/ | grep -iE '^(HTTP|content-type|content-security-policy|x-frame-options)'"
echo "Open $BASE/dashboard/ and sign in to store main with"
echo "  token:        $QPAYD_API_TOKEN   (invoices)"
echo "  second token: $QPAYD_PAYOUT_TOKEN   (refunds), or $QPAYD_ADMIN_TOKEN (approvals)"
if [ -t 0 ]; then
	printf 'Press Enter to stop the demo. '
	read -r _ || true
fi
# --- end of the dashboard block ----------------------------------------------

step "The server's log"
cat "$work/qpayd.log"
step "Stopping (SIGTERM)"
kill "$serve_pid"
wait "$serve_pid" && echo "qpayd exited 0"
serve_pid=""
echo
echo "demo: done; everything started here is stopped on exit."
