#!/bin/sh
# make demo: a throwaway PostgreSQL and qpayd on loopback, driven the way an
# operator would. Everything started here is stopped on exit, Ctrl-C included.
# The refund flow through qpayd-executor joins when the executor lands.
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
step "Refunds on this host"
show "bin/qpayd --config $work/qpayd.toml refunds-once || echo \"(exit \$?)\""
step "The server's log"
cat "$work/qpayd.log"
step "Stopping (SIGTERM)"
kill "$serve_pid"
wait "$serve_pid" && echo "qpayd exited 0"
serve_pid=""
echo
echo "demo: done. The refund flow through qpayd-executor arrives with the executor."
