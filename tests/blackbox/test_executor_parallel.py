"""Payouts in parallel ([executor] max_in_flight): a stuck payment holds one
payout, not the refunds behind it; kill -9 with 32 payouts in flight loses
nothing and pays nothing twice; max_in_flight = 1 pays one after another;
the daily limit counts the payouts in flight."""
import signal
import subprocess
import time

import pytest

from conftest import EXECUTOR, PAYOUT_ENV, Server, base_env, run
from payutil import LIMITED, ln_pay
from test_executor_pay import FAKES, STORES, Fake, executor_config

ADDR = "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"


def start_fakes(tmp_path, *latency):
    """phoenixd and bitcoind, each payment answered after `latency` (the
    fakes' --latency and friends)."""
    user, password = PAYOUT_ENV["QPAYD_BITCOIN_REFUND_RPC_AUTH"].split(":")
    phoenixd = Fake(["/usr/bin/python3", f"{FAKES}/phoenixd.py", "--port", "0", "--password",
                     PAYOUT_ENV["QPAYD_LIGHTNING_REFUND_PASSWORD"], "--limited-password",
                     LIMITED, "--ledger", str(tmp_path / "phoenixd.jsonl"), "--network",
                     "regtest", "--balance-sat", "100000000", *latency])
    bitcoind = Fake(["/usr/bin/python3", f"{FAKES}/bitcoind.py", "--port", "0", "--rpcauth",
                     f"{user}:{password}", "--chain", "regtest", "--ledger",
                     str(tmp_path / "bitcoind.jsonl"), *latency])
    return phoenixd, bitcoind


@pytest.fixture
def setup(tmp_path, dburl, daemons, cluster, dbname):
    """(make(latency argv, max_in_flight, timeout) -> (phoenixd, bitcoind,
    cfg, env), conn): the database migrated by qpayd, fakes stopped after."""
    server = Server(tmp_path, dburl, stores=STORES)
    daemons.append(server)
    conn = cluster.connect(dbname)
    started = []

    def make(latency=(), max_in_flight=8, timeout=3, daily=1000000):
        phoenixd, bitcoind = start_fakes(tmp_path, *latency)
        started.extend([phoenixd, bitcoind])
        cfg = executor_config(tmp_path, phoenixd, bitcoind)
        text = cfg.read_text().replace(
            "request_timeout_seconds = 3",
            f"request_timeout_seconds = {timeout}\nmax_in_flight = {max_in_flight}")
        text = text.replace("daily_refund_limit_sats = 1000000", f"daily_refund_limit_sats = {daily}")
        # the bitcoin backend gets the same daily limit
        text = text.replace("[stores.bitcoin_payout.refunds]\n",
                            f"[stores.bitcoin_payout.refunds]\ndaily_refund_limit_sats = {daily}\n")
        cfg.write_text(text)
        return phoenixd, bitcoind, cfg, base_env(dburl, PAYOUT_ENV)

    yield make, conn
    for f in started:
        f.stop()


def rows(conn, sql, args=()):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else []


def paid_invoice(conn, phoenixd, inv):
    rows(conn, "INSERT INTO invoices (id, store_id, amount_sats, amount_paid_sats, status, "
         "paid_at) VALUES (%s, 'main', 100000000, 100000000, 'paid', now())", (inv,))
    ln_pay(conn, phoenixd.url, inv, 1000000)  # what the executor verifies: all the refunds


def add_refunds(conn, inv, prefix, n, kind, amount=1000, destinations=None):
    """n refunds of invoice inv: kind bitcoin (ADDR), address (Lightning
    addresses) or bolt11 (destinations)."""
    for g in range(1, n + 1):
        if kind == "bitcoin":
            dest, dtype, backend = ADDR, "bitcoin_address", "bitcoin"
        elif kind == "address":
            dest, dtype, backend = f"user{g}@example.com", "lightning_address", "lightning"
        else:
            dest, dtype, backend = destinations[g - 1], "bolt11", "lightning"
        rows(conn, "INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
             "destination_type, payout_backend) VALUES (%s, 'main', %s, %s, %s, %s, %s)",
             (f"{prefix}{g}", inv, amount, dest, dtype, backend))


def statuses(conn, inv):
    return dict(rows(conn, "SELECT status, count(*) FROM refunds WHERE invoice_id = %s "
                     "GROUP BY status", (inv,)))


def test_stuck_payment_does_not_delay_the_others(setup):
    make, conn = setup
    phoenixd, bitcoind, cfg, env = make(timeout=10)
    paid_invoice(conn, phoenixd, "inv_stuck")
    add_refunds(conn, "inv_stuck", "rf_a", 12, "address")
    add_refunds(conn, "inv_stuck", "rf_b", 6, "bitcoin")
    # The first Lightning payment hangs until the executor gives up on it.
    phoenixd.control("/_fake/fault", {"endpoint": "paylnaddress", "fault": "hang", "count": 1})
    start = time.monotonic()
    p = subprocess.Popen([EXECUTOR, "--config", str(cfg), "refunds-once"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Every other refund is paid while the stuck one still hangs.
    while statuses(conn, "inv_stuck").get("succeeded", 0) < 17:
        assert p.poll() is None, p.communicate()
        assert time.monotonic() - start < 8, statuses(conn, "inv_stuck")
        time.sleep(0.1)
    assert p.poll() is None, "the pass ended before the stuck payment timed out"
    assert statuses(conn, "inv_stuck") == {"succeeded": 17, "processing": 1}
    out, err = p.communicate(timeout=60)
    assert time.monotonic() - start >= 10, "the stuck payment did not hang"
    assert p.returncode == 3, out + err
    assert "claimed=18 succeeded=17 failed=0 processing=1" in out, out
    assert len(phoenixd.ledger()) == 11 and len(bitcoind.ledger()) == 6


def test_kill_9_with_32_payouts_in_flight(setup):
    """kill -9 while 32 payouts are in flight at the fakes, which then make
    them: after reconcile and another pass, every refund is settled and each
    was paid at most once, as the ledgers show."""
    make, conn = setup
    timeout, latency = 5, 3
    phoenixd, bitcoind, cfg, env = make(("--latency", str(latency)), max_in_flight=32,
                                        timeout=timeout)
    paid_invoice(conn, phoenixd, "inv_k9")
    bolt11 = [phoenixd.control("/_fake/invoice", {"amount_sat": 1000}) for _ in range(40)]
    add_refunds(conn, "inv_k9", "rf_l", 40, "bolt11", destinations=[b["invoice"] for b in bolt11])
    add_refunds(conn, "inv_k9", "rf_b", 40, "bitcoin")
    p = subprocess.Popen([EXECUTOR, "--config", str(cfg), "refunds-once"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start = time.monotonic()
    while statuses(conn, "inv_k9").get("processing", 0) < 32:
        assert p.poll() is None and time.monotonic() - start < 30, statuses(conn, "inv_k9")
        time.sleep(0.05)
    time.sleep(1)  # they reach the fakes, which take `latency` to pay
    before = len(phoenixd.ledger()) + len(bitcoind.ledger())
    p.send_signal(signal.SIGKILL)
    p.wait()
    time.sleep(2 * timeout + 5 + 0.5)  # abandoned attempts are no longer "in flight"
    # what the fakes paid after the executor died was in flight at the kill
    in_flight = len(phoenixd.ledger()) + len(bitcoind.ledger()) - before
    assert in_flight >= 24, f"only {in_flight} payouts were in flight at the kill"
    r = run(EXECUTOR, ["--config", str(cfg), "reconcile"], env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(EXECUTOR, ["--config", str(cfg), "refunds-once"], env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    # each refund paid at most once
    ln = {}
    for e in phoenixd.ledger():
        ln.setdefault(e["payment_hash"], []).append(e["preimage"])
    btc = {}
    for e in bitcoind.ledger():
        btc.setdefault(e["comment"], []).append(e["txid"])
    assert all(len(v) == 1 for v in list(ln.values()) + list(btc.values())), "paid twice"
    # every refund accounted for: succeeded with the ledger's proof, or
    # failed with nothing sent (reconcile proved the claimed one unsent)
    hashes = {f"rf_l{g + 1}": b["payment_hash"] for g, b in enumerate(bolt11)}
    for rid, status, txid, proof in rows(conn, "SELECT id, status, tx_id, payment_proof "
                                         "FROM refunds WHERE invoice_id = 'inv_k9'"):
        sent = ln.get(hashes[rid]) if rid in hashes else btc.get(rid)
        if status == "succeeded":
            assert sent == ([proof] if rid in hashes else [txid]), (rid, sent)
        else:
            assert status == "failed" and sent is None, (rid, status, sent)
    assert statuses(conn, "inv_k9").get("succeeded", 0) == len(ln) + len(btc)
    r = run(EXECUTOR, ["--config", str(cfg), "audit"], env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("max_in_flight", [1, 8])
def test_max_in_flight_1_pays_one_after_another(setup, max_in_flight):
    make, conn = setup
    latency = 0.5
    phoenixd, _, cfg, env = make(("--latency", str(latency)), max_in_flight=max_in_flight)
    paid_invoice(conn, phoenixd, "inv_seq")
    bolt11 = [phoenixd.control("/_fake/invoice", {"amount_sat": 1000})["invoice"]
              for _ in range(6)]
    add_refunds(conn, "inv_seq", "rf_s", 6, "bolt11", destinations=bolt11)
    r = run(EXECUTOR, ["--config", str(cfg), "refunds-once"], env)
    assert r.returncode == 0 and "succeeded=6 " in r.stdout, r.stdout + r.stderr
    times = sorted(e["time"] for e in phoenixd.ledger())
    gaps = [b - a for a, b in zip(times, times[1:])]
    if max_in_flight == 1:
        # each payment starts after the one before was answered
        assert min(gaps) >= latency * 0.9, gaps
    else:
        assert times[-1] - times[0] < latency, gaps


def test_daily_limit_holds_with_payouts_in_flight(setup):
    """The second claim of the pass runs while the first batch is in flight:
    those are processing, and count against the day's limit."""
    make, conn = setup
    phoenixd, bitcoind, cfg, env = make(("--latency", "2"), max_in_flight=16, daily=12000)
    paid_invoice(conn, phoenixd, "inv_day")
    add_refunds(conn, "inv_day", "rf_d", 25, "bitcoin")
    r = run(EXECUTOR, ["--config", str(cfg), "refunds-once"], env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "claimed=12 succeeded=12 " in r.stdout, r.stdout
    assert sum(e["amount_sat"] for e in bitcoind.ledger()) == 12000
    assert statuses(conn, "inv_day") == {"succeeded": 12, "pending": 13}


def test_sigterm_waits_for_the_payouts_in_flight(setup):
    """SIGTERM: nothing more is sent, the claimed refunds not sent go back to
    pending, and the 4 payouts in flight are waited for and recorded. A pass
    claims what the pool can start plus at most half its size (2 here), so
    no claimed refund waits behind a long queue (and outlives the window
    that keeps reconcile away from it): never more than 6 processing."""
    make, conn = setup
    phoenixd, bitcoind, cfg, env = make(("--latency", "3"), max_in_flight=4, timeout=10)
    paid_invoice(conn, phoenixd, "inv_term")
    add_refunds(conn, "inv_term", "rf_t", 20, "bitcoin")
    p = subprocess.Popen([EXECUTOR, "--config", str(cfg), "refunds"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    start = time.monotonic()
    while statuses(conn, "inv_term").get("processing", 0) < 6:  # one claim
        assert p.poll() is None and time.monotonic() - start < 30, p.communicate()
        time.sleep(0.05)
    seen = 0
    for _ in range(20):  # a second, while 4 of them are at bitcoind
        seen = max(seen, statuses(conn, "inv_term").get("processing", 0))
        time.sleep(0.05)
    assert seen == 6, f"{seen} refunds processing with max_in_flight = 4"
    p.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, out + err
    assert time.monotonic() - stopped >= 1, "did not wait for the payouts in flight"
    assert len(bitcoind.ledger()) == 4
    assert statuses(conn, "inv_term") == {"succeeded": 4, "pending": 16}, out + err
    assert out.count("executor stopping: not sent, back to pending") == 2, out
