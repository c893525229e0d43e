#!/bin/sh
# A throwaway PostgreSQL cluster in a folder: `pg.sh start DIR` prints its
# port; `pg.sh stop DIR` stops it and removes the folder. As root, the server
# runs as the postgres user (PostgreSQL refuses to run as root).
set -eu
cmd=$1
dir=$2
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -t/ -k4 -n | tail -1)
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
start)
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	as_pg "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync >/dev/null
	as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
	echo "$port" >"$dir/port"
	echo "$port"
	;;
stop)
	[ -d "$dir/data" ] && as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
*)
	echo "usage: pg.sh start|stop DIR" >&2
	exit 2
	;;
esac
