"""A rolling upgrade with a real older binary (docs/upgrading.md): the test
builds qpayd as it was just before the newest migration came in (the first
parent of the commit on main's first-parent history that added it), lets
that binary migrate and serve a database, then migrates the database to this
tree's schema under it with this tree's `qpayd migrate`. Throughout, the old
binary answers /readyz, reads, invoice creates and refund creates without a
503, and says afterwards that the schema is newer but compatible.

The old tree comes from `git archive` into build/upgrade/<commit> (built
once, kept for the next run). Without the project's git history (an export,
a shallow clone) there is no older binary to build: the test says so and
skips; test_upgrade.py's simulated newer schema still runs."""
import glob
import os
import subprocess
import threading
import time

import pytest

from apiutil import API
from conftest import QPAYD, TEST_ENV, Server, base_env, run

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BTC_DEST = "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"
PAYOUT = TEST_ENV["QPAYD_PAYOUT_TOKEN"]  # [auth] payout_token_env of the default config
INVOICE = "inv_" + "0" * 25 + "1"
REFUNDS = """
[stores.bitcoin_payout.refunds]
enabled = true
max_refund_sats = 100000
"""


def git(*args):
    r = subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True, timeout=60)
    return r.stdout.strip() if r.returncode == 0 else None


def older_commit():
    """(commit, newest migration): the tree just before the newest migration."""
    newest = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "sql", "0*.sql")))[-1]
    added = git("log", "--first-parent", "--diff-filter=A", "--format=%H", "-1", "--",
                f"sql/{newest}")
    if not added or git("rev-parse", "--verify", "-q", f"{added}^1") is None:
        pytest.skip("no git history of the project here (an export or a shallow clone): "
                    "no older binary to build")
    return git("rev-parse", f"{added}^1"), newest


@pytest.fixture(scope="module")
def old_qpayd():
    commit, newest = older_commit()
    src = os.path.join(ROOT, "build", "upgrade", commit)
    binary = os.path.join(src, "bin", "qpayd")
    if not os.path.exists(binary):
        subprocess.run(["rm", "-rf", src], check=True)
        os.makedirs(src)
        archive = subprocess.run(["git", "-C", ROOT, "archive", commit], capture_output=True,
                                 timeout=120)
        assert archive.returncode == 0, archive.stderr
        subprocess.run(["tar", "-x", "-C", src], input=archive.stdout, check=True)
        r = subprocess.run(["make", "-j2", "--no-print-directory", "bin/qpayd"], cwd=src,
                           capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert not os.path.exists(os.path.join(src, "sql", newest)), newest
    return binary, commit, newest


class Traffic(threading.Thread):
    """Back to back: /readyz, an invoice read, an invoice create, a refund
    create of 1 sat, recording every status."""

    def __init__(self, server, invoice):
        super().__init__(daemon=True)
        self.server, self.invoice = server, invoice
        self.seen, self.done = [], threading.Event()

    def run(self):
        s = self.server
        while not self.done.is_set():
            self.seen.append(("readyz", s.request("GET", "/readyz")[0]))
            self.seen.append(("get", s.request("GET", f"/v1/stores/main/invoices/{self.invoice}",
                                                token=API)[0]))
            self.seen.append(("invoice", s.request("POST", "/v1/stores/main/invoices",
                                                    {"amount_sats": 1000}, token=API)[0]))
            self.seen.append(("refund", s.request(
                "POST", f"/v1/stores/main/invoices/{self.invoice}/refunds",
                {"amount_sats": 1, "destination": BTC_DEST}, token=PAYOUT)[0]))

    def stop(self):
        self.done.set()
        self.join(20)
        return self.seen


def test_newest_migration_under_the_older_binary(old_qpayd, tmp_path, cluster, dbname, daemons):
    binary, commit, newest = old_qpayd
    old = Server(tmp_path, cluster.url(dbname), extra=REFUNDS, binary=binary)
    daemons.append(old)
    assert old.request("GET", "/readyz")[0] == 200
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("SELECT max(version) FROM schema_migrations")
        before = cur.fetchone()[0]
        cur.execute("INSERT INTO invoices (id, store_id, amount_sats, amount_paid_sats, status, "
                    "paid_at) VALUES (%s, 'main', 1000000, 1000000, 'paid', now())", (INVOICE,))
    traffic = Traffic(old, INVOICE)
    traffic.start()
    time.sleep(1.0)
    # This tree's migrate, while the old binary serves.
    r = run(QPAYD, ["--config", str(old.config), "migrate"], base_env(cluster.url(dbname)))
    assert r.returncode == 0, r.stdout + r.stderr
    time.sleep(1.0)
    seen = traffic.stop()
    with conn.cursor() as cur:
        cur.execute("SELECT max(version) FROM schema_migrations")
        after = cur.fetchone()[0]
    assert after > before, (before, after)
    bad = [(what, st) for what, st in seen if st not in (200, 201)]
    kinds = {what for what, _ in seen}
    assert not bad and kinds == {"readyz", "get", "invoice", "refund"}, (bad[:10], len(seen))
    st, _, body = old.request("GET", "/readyz")
    assert st == 200 and body["schema"] == "newer_compatible", body
    assert body["schema_version"] == after, body
    # The refunds the old binary made on the newer schema read back whole
    # through this tree's rendering.
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), bool_and(refund_json(r) IS NOT NULL) FROM refunds r "
                    "WHERE invoice_id = %s", (INVOICE,))
        n, ok = cur.fetchone()
    assert n >= 2 and ok, (n, ok)
    conn.close()
