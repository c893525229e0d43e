"""A real PgBouncer (Debian's /usr/sbin/pgbouncer) in transaction pooling
mode in front of the test cluster, for tests that run qpayd and
qpayd-executor through a pooler (docs/pgbouncer.md). Reusable: any module can
start one per module with `PgBouncer(cluster)` and stop it after.

    bouncer = PgBouncer(cluster, pool_size=4)
    bouncer.url(dbname)   # what [database] url_env points at
    cluster.url(dbname)   # the direct URL, for [database] listen_url_env
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import free_port

PGBOUNCER = "/usr/sbin/pgbouncer"


class PgBouncer:
    """pgbouncer in the foreground on a free loopback port, every database of
    the cluster reachable under its own name (a `*` entry), auth_type trust
    with a userlist naming postgres. Runs as the postgres user when root
    (pgbouncer refuses to run as root)."""

    def __init__(self, cluster, pool_size=4, max_client_conn=400):
        if not os.access(PGBOUNCER, os.X_OK):
            pytest.fail("pgbouncer not installed (make deps installs it)")
        self.dir = tempfile.mkdtemp(prefix="qpayd-pgb-")
        self.port = free_port()
        self.logpath = os.path.join(self.dir, "pgbouncer.log")
        with open(os.path.join(self.dir, "userlist.txt"), "w") as f:
            f.write('"postgres" ""\n')
        ini = os.path.join(self.dir, "pgbouncer.ini")
        with open(ini, "w") as f:
            f.write(f"""[databases]
* = host=127.0.0.1 port={cluster.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir}/userlist.txt
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = {max_client_conn}
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = {self.logpath}
""")
        prefix = []
        if os.geteuid() == 0:
            for p in (self.dir, ini, os.path.join(self.dir, "userlist.txt")):
                shutil.chown(p, "postgres")
            prefix = ["runuser", "-u", "postgres", "--"]
        self.proc = subprocess.Popen(prefix + [PGBOUNCER, ini], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"pgbouncer did not start:\n{self.text()}")

    def url(self, dbname, user="postgres"):
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def text(self):
        try:
            with open(self.logpath, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
