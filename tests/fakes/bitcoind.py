#!/usr/bin/python3
"""A fake bitcoind for qpayd's tests: JSON-RPC over HTTP like Bitcoin Core
v25-v28, a spending wallet ("refunds"), descriptor watch-only wallets, a toy
chain with mining, reorgs and RBF, and a control API under /_fake/ to drive
it and to inject faults. See tests/fakes/bitcoind.md.

Standard library only (Debian's /usr/bin/python3)."""
import argparse
import base64
import hashlib
import hmac
import json
import math
import os
import signal
import socket
import sys
import threading
import time
import traceback

import fakeutil as fu
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bitcoind_wallet as bw  # noqa: E402
import fakeutil  # noqa: E402  (the request parser shared with the Lightning fakes)
from bitcoind_wallet import (Amount, RPCError, json_type,  # noqa: E402
                             RPC_MISC_ERROR, RPC_TYPE_ERROR, RPC_WALLET_ERROR,
                             RPC_INVALID_ADDRESS_OR_KEY, RPC_WALLET_INSUFFICIENT_FUNDS,
                             RPC_INVALID_PARAMETER, RPC_WALLET_INVALID_LABEL_NAME,
                             RPC_WALLET_KEYPOOL_RAN_OUT, RPC_WALLET_NOT_FOUND,
                             RPC_WALLET_NOT_SPECIFIED, RPC_IN_WARMUP, RPC_METHOD_DEPRECATED,
                             RPC_WALLET_ALREADY_LOADED, RPC_INVALID_REQUEST,
                             RPC_METHOD_NOT_FOUND, RPC_PARSE_ERROR)

RPC_WALLET_UNLOCK_NEEDED = -13
RPC_WALLET_PASSPHRASE_INCORRECT = -14
RPC_WALLET_WRONG_ENC_STATE = -15

GENESIS = {
    "main": "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
    "test": "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943",
    "signet": "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6",
    "regtest": "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
}
TX_VSIZE = 141           # a 1-input 2-output P2WPKH transaction
MAX_TX_FEE = 10_000_000  # -maxtxfee default 0.1 BTC
WARMUP_MESSAGE = "Loading wallet\u2026"


class ControlError(Exception):
    pass


# ===================================================================== node

class Node:
    def __init__(self, args):
        self.lock = threading.RLock()
        self.chain = args.chain
        self.params = bw.CHAINS[args.chain]
        self.fee_sat = args.fee_sat
        self.keypool = args.keypool
        self.ibd = False
        self.calls = []              # [time, rpc user, method] of every call
        self.feerate = None          # sat/vB known to estimatesmartfee, or None
        self.blocks = {}             # hash -> Block (active and stale)
        self.active = []             # hashes of the active chain by height
        # Bumped by every change of chain, mempool or wallets: wallet balances
        # are cached per generation (they are sums over every transaction).
        self.gen = 0
        self.balance_cache = {}      # (wallet name, min_depth) -> (gen, trusted, pending)
        self.txs = {}                # txid -> Tx
        self.spends = {}             # (prev txid bytes, n) -> set of txids
        self.mempool = []            # txids
        self.wallets = {}            # loaded: name -> Wallet
        self.disk = {}               # every wallet ever created
        self.ledger = []
        self.ledger_path = args.ledger
        self.ledger_file = None
        self.faults = {}             # method -> [[fault, remaining]]
        self.release = threading.Event()
        self.started = time.time()
        self.salt = os.urandom(8).hex()
        self.counter = 0
        self.datadir = "/tmp/fake-bitcoind"
        if self.ledger_path and os.path.exists(self.ledger_path):
            with open(self.ledger_path) as f:
                self.ledger = [json.loads(line) for line in f if line.strip()]
        genesis = bw.Block(GENESIS.get(self.chain) or self._hash(0), 0, None,
                           int(time.time()) - args.height - 1)
        self.blocks[genesis.hash] = genesis
        self.active.append(genesis.hash)
        self.mine(args.height, backdated=True)

    # -- chain
    def _hash(self, height):
        self.counter += 1
        return hashlib.sha256(("%d:%s:%d" % (height, self.salt, self.counter)).encode()).hexdigest()

    def tip(self):
        return self.blocks[self.active[-1]]

    def height(self):
        return len(self.active) - 1

    def add_tx(self, tx, mempool=True):
        self.gen += 1
        self.txs[tx.txid] = tx
        for p in tx.prevouts:
            self.spends.setdefault(p, set()).add(tx.txid)
        if mempool:
            tx.in_mempool = True
            self.mempool.append(tx.txid)
        self.notify(tx)

    def conflicts(self, tx):
        out = []
        for p in tx.prevouts:
            for other in self.spends.get(p, ()):
                if other != tx.txid and other not in out:
                    out.append(other)
        return out

    def depth(self, tx):
        """GetTxDepthInMainChain: blocks deep, 0 unconfirmed, negative when
        a conflicting transaction is in the active chain."""
        tip = self.height()
        for other in self.conflicts(tx):
            o = self.txs[other]
            if o.block is not None:
                return -(tip - self.blocks[o.block].height + 1)
        if tx.block is not None:
            return tip - self.blocks[tx.block].height + 1
        return 0

    def mine(self, n, only=None, extra=(), backdated=False):
        self.gen += 1
        hashes = []
        for i in range(n):
            prev = self.tip()
            b = bw.Block(self._hash(prev.height + 1), prev.height + 1, prev.hash,
                         prev.time + 1 if backdated else max(prev.time + 1, int(time.time())))
            self.blocks[b.hash] = b
            self.active.append(b.hash)
            if i == 0:
                txids = [t for t in self.mempool if only is None or t in only] + list(extra)
                for txid in txids:
                    tx = self.txs[txid]
                    if tx.block is not None or self.depth(tx) < 0:
                        continue
                    tx.block = b.hash
                    b.txids.append(txid)
                    if tx.in_mempool:
                        tx.in_mempool = False
                        self.mempool.remove(txid)
                    for other in self.conflicts(tx):   # double spends leave the mempool
                        o = self.txs[other]
                        if o.in_mempool:
                            o.in_mempool = False
                            self.mempool.remove(other)
            hashes.append(b.hash)
        return hashes

    def reorg(self, depth, drop=(), blocks=None, remine=False):
        self.gen += 1
        if depth < 1 or depth > self.height():
            raise ControlError("depth must be between 1 and the height (%d)" % self.height())
        for txid in drop:
            if txid not in self.txs:
                raise ControlError("unknown txid %s" % txid)
        doomed = self.active[-depth:]
        back = [t for h in doomed for t in self.blocks[h].txids]
        for txid in drop:
            if txid not in back and not self.txs[txid].in_mempool:
                raise ControlError("%s is neither in the detached blocks nor in the mempool" % txid)
        detached = []
        for _ in range(depth):
            b = self.blocks[self.active.pop()]
            b.active = False
            detached.append(b.hash)
            for txid in b.txids:
                self.txs[txid].block = None
        double_spends = {}
        extra = []
        for txid in back:
            if txid not in drop:
                tx = self.txs[txid]
                tx.in_mempool = True
                self.mempool.append(txid)
        for txid in drop:
            old = self.txs[txid]
            if old.in_mempool:
                old.in_mempool = False
                self.mempool.remove(txid)
            ds = bw.make_tx([self._external_output(sum(o[1] for o in old.outputs))],
                            prevouts=old.prevouts, replaceable=False, nonce=self._nonce())
            self.add_tx(ds, mempool=False)
            double_spends[txid] = ds.txid
            extra.append(ds.txid)
        n = depth if blocks is None else blocks
        if extra and n < 1:
            n = 1
        hashes = self.mine(n, only=None if remine else set(), extra=extra)
        return {"detached": detached, "hashes": hashes, "height": self.height(),
                "double_spends": double_spends}

    def _nonce(self):
        self.counter += 1
        return self.counter

    def _external_output(self, sat):
        dest = bw.Dest("wpkh", os.urandom(20), 0)
        return (bw.encode_dest(dest, self.chain), sat, dest.script())

    def output(self, address, sat):
        dest, err = bw.decode_address(address, self.chain)
        if dest is None:
            raise ControlError("invalid address %s: %s" % (address, err))
        return (address, sat, dest.script())

    def pay(self, outputs, replaceable=True):
        tx = bw.make_tx(outputs, replaceable=replaceable, nonce=self._nonce())
        self.add_tx(tx)
        return tx

    def replace(self, txid, outputs=None, fee_bump=0, mine=False):
        self.gen += 1
        old = self.txs.get(txid)
        if old is None:
            raise ControlError("unknown txid %s" % txid)
        if not old.in_mempool:
            raise ControlError("%s is not in the mempool" % txid)
        new = bw.make_tx(outputs or old.outputs, prevouts=old.prevouts,
                         replaceable=old.replaceable, nonce=self._nonce())
        old.in_mempool = False
        self.mempool.remove(txid)
        # the wallet's own sends: the replacement is a fee bump (bumpfee)
        for w in self.wallets.values():
            wt = w.txs.get(txid)
            if wt is not None and wt.is_send:
                nt = bw.WalletTx(new.txid, int(time.time()))
                nt.is_send = True
                nt.send_vouts = list(wt.send_vouts)
                nt.change_vouts = list(wt.change_vouts)
                nt.fee = wt.fee + fee_bump
                nt.map_value = {k: v for k, v in wt.map_value.items() if k in ("comment", "to")}
                nt.map_value["replaces_txid"] = txid
                wt.map_value["replaced_by_txid"] = new.txid
                w.txs[new.txid] = nt
                self.gen += 1
        self.add_tx(new)
        if mine:
            self.mine(1)
        return new

    def notify(self, tx, wallets=None):
        self.gen += 1
        """Add a transaction to every loaded wallet it pays."""
        for w in (wallets or self.wallets.values()):
            if tx.txid in w.txs:
                continue
            if any(o[0] in w.owned for o in tx.outputs):
                t = self.blocks[tx.block].time if tx.block else int(time.time())
                w.txs[tx.txid] = bw.WalletTx(tx.txid, t)
                self.gen += 1

    def rescan(self, w, since_time=None):
        self.gen += 1
        """Find transactions paying `w` in active blocks (time >= since_time)
        and in the mempool."""
        for h in self.active:
            b = self.blocks[h]
            if since_time is not None and b.time < since_time:
                continue
            for txid in b.txids:
                self.notify(self.txs[txid], [w])
        for txid in self.mempool:
            self.notify(self.txs[txid], [w])

    # -- wallet facts
    def trusted(self, w, wt):
        tx = self.txs[wt.txid]
        d = self.depth(tx)
        if d >= 1:
            return True
        if d < 0 or not tx.in_mempool:
            return False
        return wt.is_send

    def superseded(self, tx):
        for other in self.conflicts(tx):
            o = self.txs[other]
            if o.in_mempool or o.block is not None:
                return True
        return False

    def received(self, w, wt, include_change=False):
        tx = self.txs[wt.txid]
        return [i for i, o in enumerate(tx.outputs)
                if o[0] in w.owned and (include_change or i not in wt.change_vouts)]

    def balances(self, w, min_depth=0):
        """(trusted, untrusted_pending) in satoshis."""
        cached = self.balance_cache.get((w.name, min_depth))
        if cached is not None and cached[0] == self.gen:
            return cached[1], cached[2]
        trusted, pending = self._balances(w, min_depth)
        self.balance_cache[(w.name, min_depth)] = (self.gen, trusted, pending)
        return trusted, pending

    def _balances(self, w, min_depth):
        trusted = w.base_sat
        pending = 0
        for wt in w.txs.values():
            tx = self.txs[wt.txid]
            d = self.depth(tx)
            if wt.is_send:
                if d >= 0 and not (d == 0 and not tx.in_mempool and self.superseded(tx)):
                    trusted -= sum(tx.outputs[i][1] for i in wt.send_vouts) + wt.fee
                continue
            got = sum(tx.outputs[i][1] for i in self.received(w, wt))
            if d >= max(1, min_depth):
                trusted += got
            elif d == 0 and tx.in_mempool:
                pending += got
        return trusted, pending

    def wallet_tx_json(self, w, wt, entry):
        tx = self.txs[wt.txid]
        d = self.depth(tx)
        entry["confirmations"] = d
        if tx.block is not None and d > 0:
            b = self.blocks[tx.block]
            entry["blockhash"] = b.hash
            entry["blockheight"] = b.height
            entry["blockindex"] = b.txids.index(tx.txid) + 1   # 0 is the coinbase
            entry["blocktime"] = b.time
        else:
            entry["trusted"] = self.trusted(w, wt)
        entry["txid"] = tx.txid
        entry["wtxid"] = tx.wtxid
        conflicts = self.conflicts(tx)
        entry["walletconflicts"] = [c for c in conflicts if c in w.txs]
        entry["mempoolconflicts"] = [c for c in conflicts if self.txs[c].in_mempool]
        entry["time"] = wt.time_received
        entry["timereceived"] = wt.time_received
        rbf = "no"
        if d <= 0:
            if tx.replaceable:
                rbf = "yes"
            elif not tx.in_mempool:
                rbf = "unknown"
        entry["bip125-replaceable"] = rbf
        for k in sorted(wt.map_value):
            entry[k] = wt.map_value[k]
        return entry

    def list_entries(self, w, wt, min_depth, long, filter_label=None, include_change=False):
        """ListTransactions() of wallet/rpc/transactions.cpp."""
        tx = self.txs[wt.txid]
        out = []
        if wt.is_send and filter_label is None:
            sent = [i for i in range(len(tx.outputs))
                    if include_change or i not in wt.change_vouts]
            for i in sent:
                addr, sat, _ = tx.outputs[i]
                e = {}
                if addr:
                    e["address"] = addr
                e["category"] = "send"
                e["amount"] = Amount(-sat)
                if addr in w.labels:
                    e["label"] = w.labels[addr]
                e["vout"] = i
                e["fee"] = Amount(-wt.fee)
                if long:
                    self.wallet_tx_json(w, wt, e)
                e["abandoned"] = wt.abandoned
                out.append(e)
        recv = self.received(w, wt, include_change)
        if recv and self.depth(tx) >= min_depth:
            for i in recv:
                addr, sat, _ = tx.outputs[i]
                label = w.labels.get(addr, "")
                if filter_label is not None and label != filter_label:
                    continue
                e = {"address": addr}
                wd = w.owned[addr][0]
                e["parent_descs"] = [wd.text()]
                e["category"] = "receive"
                e["amount"] = Amount(sat)
                if addr in w.labels:
                    e["label"] = label
                e["vout"] = i
                e["abandoned"] = wt.abandoned
                if long:
                    self.wallet_tx_json(w, wt, e)
                out.append(e)
        return out

    def last_processed(self):
        return {"hash": self.tip().hash, "height": self.height()}

    # -- ledger
    def record(self, entry):
        """Written and flushed before the answer; opened at the first payment
        and kept open. Not fsynced: the file has to outlive the fake process
        (tests kill it), not the machine."""
        self.ledger.append(entry)
        if self.ledger_path:
            if self.ledger_file is None:
                self.ledger_file = open(self.ledger_path, "a")
            self.ledger_file.write(json.dumps(entry) + "\n")
            self.ledger_file.flush()

    def restore_sends(self, w):
        self.gen += 1
        """After a restart on an existing ledger: the wallet's earlier payments
        come back as unconfirmed sends (the chain itself is not persisted)."""
        for e in self.ledger:
            if e.get("wallet") != w.name or "outputs" not in e:
                continue
            try:
                outputs = [self.output(a, sat) for a, sat in e["outputs"]]
            except ControlError:   # a ledger of another chain
                continue
            prevouts = [(bytes.fromhex(h), n) for h, n in e["prevouts"]]
            tx = bw.make_tx(outputs, prevouts=prevouts, replaceable=e["replaceable"], nonce=e["locktime"],
                            t=e["time"])
            if tx.txid != e["txid"] or tx.txid in self.txs:
                continue
            wt = bw.WalletTx(tx.txid, e["time"])
            wt.is_send = True
            wt.change_vouts = [] if e["change_vout"] is None else [e["change_vout"]]
            wt.send_vouts = [i for i in range(len(outputs)) if i not in wt.change_vouts]
            wt.fee = e["fee_sat"]
            if e.get("comment"):
                wt.map_value["comment"] = e["comment"]
            if e.get("comment_to"):
                wt.map_value["to"] = e["comment_to"]
            w.txs[tx.txid] = wt
            self.gen += 1
            self.add_tx(tx)

    # -- wallets
    def new_wallet(self, name, private_keys=True, blank=False, avoid_reuse=False, passphrase=""):
        w = bw.Wallet(name, private_keys, blank, avoid_reuse, passphrase)
        w.passphrase = passphrase
        w.unlocked_until = 0
        if private_keys and not blank:
            xprv = bw.make_xprv(self.chain, os.urandom(32))
            coin = 0 if self.chain == "main" else 1
            for fn, purpose, otype in (("pkh(%s)", 44, "legacy"), ("sh(wpkh(%s))", 49, "p2sh-segwit"),
                                       ("wpkh(%s)", 84, "bech32"), ("tr(%s)", 86, "bech32m")):
                for internal in (False, True):
                    body = fn % ("%s/%dh/%dh/0h/%d/*" % (xprv, purpose, coin, int(internal)))
                    desc = bw.Descriptor(body, self.chain).parse()
                    wd = bw.WalletDesc(desc, int(time.time()), 0, 0, 0, True, internal, "")
                    w.add_desc(wd, min(self.keypool, 100))   # the rest when addresses are handed out
                    w.active[(otype, internal)] = wd
        self.disk[name] = w
        self.wallets[name] = w
        return w

    def wallet_for(self, uri_wallet):
        """GetWalletForJSONRPCRequest."""
        if uri_wallet is not None:
            w = self.wallets.get(uri_wallet)
            if w is None:
                raise RPCError(RPC_WALLET_NOT_FOUND, "Requested wallet does not exist or is not loaded")
            return w
        if len(self.wallets) == 1:
            return next(iter(self.wallets.values()))
        if not self.wallets:
            raise RPCError(RPC_WALLET_NOT_FOUND,
                           "No wallet is loaded. Load a wallet using loadwallet or create a new one with "
                           "createwallet. (Note: A default wallet is no longer automatically created)")
        raise RPCError(RPC_WALLET_NOT_SPECIFIED,
                       "Multiple wallets are loaded. Please select which wallet to use by requesting the RPC "
                       "through the /wallet/<walletname> URI path.")

    # -- faults
    def take_fault(self, method):
        with self.lock:
            for key in (method, "*"):
                lst = self.faults.get(key)
                while lst:
                    f = lst[0]
                    if f[1] == 0:
                        lst.pop(0)
                        continue
                    if f[1] > 0:
                        f[1] -= 1
                    return f[0]
            return None


# ============================================================ RPC helpers

def hash_param(v, name):
    """ParseHashV."""
    s = str(v)
    if len(s) != 64:
        raise RPCError(RPC_INVALID_PARAMETER, "%s must be of length %d (not %d, for '%s')" % (name, 64, len(s), s))
    if not all(c in "0123456789abcdefABCDEF" for c in s):
        raise RPCError(RPC_INVALID_PARAMETER, "%s must be hexadecimal string (not '%s')" % (name, s))
    return s.lower()


def get_int(v):
    """UniValue::getInt<int>()."""
    s = str(v)
    try:
        n = int(s)
    except ValueError:
        raise RPCError(RPC_MISC_ERROR, "JSON integer out of range")
    if not -2**63 <= n < 2**63:
        raise RPCError(RPC_MISC_ERROR, "JSON integer out of range")
    return n


def label_from_value(v):
    if v is None:
        return ""
    if v == "*":
        raise RPCError(RPC_WALLET_INVALID_LABEL_NAME, "Invalid label name")
    return v


def parse_range(v):
    """ParseDescriptorRange."""
    if json_type(v) == "number":
        low, high = 0, get_int(v)
    elif json_type(v) == "array" and len(v) == 2:
        low, high = get_int(v[0]), get_int(v[1])
        if low > high:
            raise RPCError(RPC_INVALID_PARAMETER, "Range specified as [begin,end] must not have begin after end")
    else:
        raise RPCError(RPC_INVALID_PARAMETER, "Range must be specified as end or as [begin,end]")
    if low < 0:
        raise RPCError(RPC_INVALID_PARAMETER, "Range should be greater or equal than 0")
    if (high >> 31) != 0:
        raise RPCError(RPC_INVALID_PARAMETER, "End of range is too high")
    if high >= low + 1000000:
        raise RPCError(RPC_INVALID_PARAMETER, "Range is too large")
    return low, high


def ensure_unlocked(w):
    if w.encrypted and w.unlocked_until <= time.time():
        raise RPCError(RPC_WALLET_UNLOCK_NEEDED,
                       "Error: Please enter the wallet passphrase with walletpassphrase first.")


ESTIMATE_MODES = ("unset", "economical", "conservative")
OUTPUT_TYPES = ("legacy", "p2sh-segwit", "bech32", "bech32m")


def conf_target_param(v):
    n = get_int(v)
    if n < 1 or n > 1008:
        raise RPCError(RPC_INVALID_PARAMETER, "Invalid conf_target, must be between 1 and 1008")
    return n


def estimate_mode_param(v):
    if v is not None and v.lower() not in ESTIMATE_MODES:
        raise RPCError(RPC_INVALID_PARAMETER,
                       'Invalid estimate_mode parameter, must be one of: "unset", "economical", "conservative"')


# ============================================================ RPC methods
# Each takes (node, wallet or None, params list) under node.lock.

def rpc_getblockchaininfo(node, w, p):
    tip = node.tip()
    h = node.height()
    return {
        "chain": node.chain, "blocks": h, "headers": h, "bestblockhash": tip.hash,
        "difficulty": node.params.difficulty, "time": tip.time, "mediantime": tip.time - 1,
        "verificationprogress": 0.5 if node.ibd else 1.0,
        "initialblockdownload": node.ibd,
        "chainwork": "%064x" % (2 * (h + 1)), "size_on_disk": 293 * (h + 1), "pruned": False,
        "warnings": [],
    }


def rpc_getblockcount(node, w, p):
    return node.height()


def rpc_getbestblockhash(node, w, p):
    return node.tip().hash


def rpc_getblockhash(node, w, p):
    h = get_int(p[0])
    if h < 0 or h > node.height():
        raise RPCError(RPC_INVALID_PARAMETER, "Block height out of range")
    return node.active[h]


def rpc_getblockheader(node, w, p):
    bh = hash_param(p[0], "hash")
    b = node.blocks.get(bh)
    if b is None:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
    verbose = True if p[1] is None else p[1]
    if not verbose:
        return bytes.fromhex(bh)[::-1].hex().ljust(160, "0")
    out = {"hash": b.hash,
           "confirmations": node.height() - b.height + 1 if b.active else -1,
           "height": b.height, "version": 0x20000000, "versionHex": "20000000",
           "merkleroot": hashlib.sha256(b.hash.encode()).hexdigest(), "time": b.time,
           "mediantime": b.time - 1, "nonce": 0, "bits": "207fffff", "difficulty": node.params.difficulty,
           "chainwork": "%064x" % (2 * (b.height + 1)), "nTx": len(b.txids) + 1}
    if b.prev:
        out["previousblockhash"] = b.prev
    if b.active and b.height < node.height():
        out["nextblockhash"] = node.active[b.height + 1]
    return out


def rpc_getnetworkinfo(node, w, p):
    return {"version": 280000, "subversion": "/Satoshi:28.0.0/", "protocolversion": 70016,
            "localservices": "0000000000000c09", "localservicesnames": ["NETWORK", "WITNESS", "NETWORK_LIMITED", "P2P_V2"],
            "localrelay": True, "timeoffset": 0, "networkactive": True, "connections": 0,
            "connections_in": 0, "connections_out": 0, "networks": [], "relayfee": Amount(1000),
            "incrementalfee": Amount(1000), "localaddresses": [], "warnings": []}


def rpc_uptime(node, w, p):
    return int(time.time() - node.started)


def rpc_estimatesmartfee(node, w, p):
    target = conf_target_param(p[0])
    estimate_mode_param(p[1])
    if node.feerate is None:
        return {"errors": ["Insufficient data or no feerate found"], "blocks": 0}
    return {"feerate": Amount(int(round(node.feerate * 1000))), "blocks": max(2, target)}


def rpc_validateaddress(node, w, p):
    dest, err = bw.decode_address(p[0], node.chain)
    if dest is None:
        return {"isvalid": False, "error_locations": [], "error": err}
    out = {"isvalid": True, "address": p[0], "scriptPubKey": dest.script().hex(),
           "isscript": dest.kind in ("sh", "wsh"), "iswitness": dest.is_witness()}
    if dest.is_witness():
        out["witness_version"] = dest.witver
        out["witness_program"] = dest.program.hex()
    return out


def _parse_desc(node, text, require_checksum):
    try:
        return bw.parse_descriptor(text, node.chain, require_checksum)
    except bw.DescError as e:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, str(e))


def rpc_getdescriptorinfo(node, w, p):
    d = _parse_desc(node, p[0], False)
    return {"descriptor": bw.add_checksum(d.public_body),
            "checksum": bw.descriptor_checksum(p[0].split("#")[0]),
            "isrange": d.ranged, "issolvable": d.solvable, "hasprivatekeys": d.has_private()}


def rpc_deriveaddresses(node, w, p):
    d = _parse_desc(node, p[0], True)
    if not d.ranged and p[1] is not None:
        raise RPCError(RPC_INVALID_PARAMETER, "Range should not be specified for an un-ranged descriptor")
    if d.ranged and p[1] is None:
        raise RPCError(RPC_INVALID_PARAMETER, "Range must be specified for a ranged descriptor")
    low, high = parse_range(p[1]) if d.ranged else (0, 0)
    if d.hardened_public:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Cannot derive script without private keys")
    out = []
    for i in range(low, high + 1):
        addrs = d.derive(i)
        if not addrs:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Descriptor does not have a corresponding address")
        out.extend(addrs)
    return out


def rpc_createwallet(node, w, p):
    name, disable_pk, blank, passphrase, avoid_reuse, descriptors, _, external_signer = p
    warnings = []
    if name in node.disk:
        raise RPCError(RPC_WALLET_ERROR,
                       "Wallet file verification failed. Failed to create database path '%s/wallets/%s'. "
                       "Database already exists." % (node.datadir, name))
    if descriptors is False:
        raise RPCError(RPC_WALLET_ERROR,
                       "BDB wallet creation is deprecated and will be removed in a future release. In this release "
                       "it can be re-enabled temporarily with the -deprecatedrpc=create_bdb setting.")
    if external_signer:
        raise RPCError(RPC_WALLET_ERROR, "Compiled without external signing support (required for external signing)")
    if passphrase is not None:
        if passphrase == "":
            warnings.append("Empty string given as passphrase, wallet will not be encrypted.")
        elif disable_pk:
            raise RPCError(RPC_WALLET_ERROR,
                           "Passphrase provided but private keys are disabled. A passphrase is only used to encrypt "
                           "private keys, so cannot be used for wallets with private keys disabled.")
    nw = node.new_wallet(name, private_keys=not disable_pk, blank=bool(blank) or bool(disable_pk),
                         avoid_reuse=bool(avoid_reuse), passphrase=passphrase or "")
    nw.blank = bool(blank)
    out = {"name": name}
    if warnings:
        out["warnings"] = warnings
    return out


def rpc_loadwallet(node, w, p):
    name = p[0]
    if name in node.wallets:
        raise RPCError(RPC_WALLET_ALREADY_LOADED, 'Wallet "%s" is already loaded.' % name)
    if name not in node.disk:
        raise RPCError(RPC_WALLET_NOT_FOUND,
                       "Wallet file verification failed. Failed to load database path '%s/wallets/%s'. "
                       "Path does not exist." % (node.datadir, name))
    lw = node.disk[name]
    node.wallets[name] = lw
    node.rescan(lw)
    return {"name": name}


def rpc_unloadwallet(node, w, p, uri_wallet=None):
    name = p[0]
    if uri_wallet is not None:
        if name is not None and name != uri_wallet:
            raise RPCError(RPC_INVALID_PARAMETER,
                           "RPC endpoint wallet and wallet_name parameter specify different wallets")
        name = uri_wallet
    if name is None:
        name = ""
    if name not in node.wallets:
        raise RPCError(RPC_WALLET_NOT_FOUND, "Requested wallet does not exist or is not loaded")
    del node.wallets[name]
    return {}


def rpc_listwallets(node, w, p):
    return list(node.wallets)


def rpc_listwalletdir(node, w, p):
    return {"wallets": [{"name": n, "warnings": []} for n in node.disk]}


def rpc_getwalletinfo(node, w, p):
    trusted, pending = node.balances(w)
    ext = [d for (t, internal), d in w.active.items() if not internal]
    out = {"walletname": w.name, "walletversion": 169900, "format": "sqlite",
           "balance": Amount(trusted), "unconfirmed_balance": Amount(pending), "immature_balance": Amount(0),
           "txcount": len(w.txs),
           "keypoolsize": sum(max(0, d.range_end - d.next_index) for d in ext),
           "keypoolsize_hd_internal": sum(max(0, d.range_end - d.next_index)
                                          for (t, i), d in w.active.items() if i)}
    if w.encrypted:
        out["unlocked_until"] = max(0, int(w.unlocked_until))
    out.update({"paytxfee": Amount(0), "private_keys_enabled": w.private_keys, "avoid_reuse": w.avoid_reuse,
                "scanning": False, "descriptors": True, "external_signer": False, "blank": w.blank,
                "birthtime": w.birth, "lastprocessedblock": node.last_processed()})
    return out


def rpc_getbalance(node, w, p):
    dummy, minconf, _, avoid_reuse = p
    if dummy is not None and dummy != "*":
        raise RPCError(RPC_METHOD_DEPRECATED, 'dummy first argument must be excluded or set to "*".')
    min_depth = 0 if minconf is None else get_int(minconf)
    if avoid_reuse and not w.avoid_reuse:
        raise RPCError(RPC_INVALID_PARAMETER, 'wallet does not have the "avoid reuse" feature enabled')
    return Amount(node.balances(w, min_depth)[0])


def rpc_getbalances(node, w, p):
    trusted, pending = node.balances(w)
    mine = {"trusted": Amount(trusted), "untrusted_pending": Amount(pending), "immature": Amount(0)}
    if w.avoid_reuse:
        mine["used"] = Amount(0)
    return {"mine": mine, "lastprocessedblock": node.last_processed()}


def rpc_getnewaddress(node, w, p):
    if not w.can_get_addresses():
        raise RPCError(RPC_WALLET_ERROR, "Error: This wallet has no available keys")
    label = label_from_value(p[0])
    otype = "bech32"
    if p[1] is not None:
        if p[1] not in OUTPUT_TYPES:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Unknown address type '%s'" % p[1])
        otype = p[1]
    wd = w.active.get((otype, False))
    if wd is None or not wd.desc.ranged:
        raise RPCError(RPC_WALLET_KEYPOOL_RAN_OUT, "Error: No %s addresses available." % otype)
    idx = wd.next_index
    wd.next_index += 1
    w.topup(wd, node.keypool)
    addr = wd.desc.derive(idx)[0]
    w.labels[addr] = label
    return addr


def rpc_getaddressinfo(node, w, p):
    addr = p[0]
    dest, err = bw.decode_address(addr, node.chain)
    if dest is None:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, err or "Invalid address")
    mine = w.owned.get(addr)
    out = {"address": addr, "scriptPubKey": dest.script().hex(), "ismine": mine is not None,
           "solvable": mine is not None and mine[0].desc.solvable}
    if mine is not None:
        out["parent_desc"] = mine[0].text()
    out["iswatchonly"] = False
    out["isscript"] = dest.kind in ("sh", "wsh")
    out["iswitness"] = dest.is_witness()
    if dest.is_witness():
        out["witness_version"] = dest.witver
        out["witness_program"] = dest.program.hex()
    out["ischange"] = mine is not None and mine[0].internal
    if mine is not None:
        out["timestamp"] = mine[0].timestamp
        if mine[0].desc.ranged:
            out["hdkeypath"] = "m/%d" % mine[1]
    out["labels"] = [w.labels[addr]] if addr in w.labels else []
    return out


def _import_one(node, w, data, timestamp):
    warnings = []
    result = {}
    try:
        if json_type(data) != "object":
            raise RPCError(RPC_TYPE_ERROR, "JSON value of type %s is not of expected type object" % json_type(data))
        if "desc" not in data:
            raise RPCError(RPC_INVALID_PARAMETER, "Descriptor not found.")
        if json_type(data["desc"]) != "string":
            raise RPCError(RPC_TYPE_ERROR, "JSON value of type %s is not of expected type string" % json_type(data["desc"]))
        text = data["desc"]
        active = bool(data.get("active", False))
        label = label_from_value(data.get("label"))
        d = _parse_desc(node, text, True)
        internal = bool(data.get("internal", False))
        range_start, range_end, next_index = 0, 1, 0
        if not d.ranged and "range" in data:
            raise RPCError(RPC_INVALID_PARAMETER, "Range should not be specified for an un-ranged descriptor")
        if d.ranged:
            if "range" in data:
                lo, hi = parse_range(data["range"])
                range_start, range_end = lo, hi + 1
            else:
                warnings.append("Range not given, using default keypool range")
                range_start, range_end = 0, node.keypool
            next_index = range_start
            if "next_index" in data:
                next_index = get_int(data["next_index"])
                if next_index < range_start or next_index >= range_end:
                    raise RPCError(RPC_INVALID_PARAMETER, "next_index is out of range")
        if active and not d.ranged:
            raise RPCError(RPC_INVALID_PARAMETER, "Active descriptors must be ranged")
        if "range" in data and "label" in data:
            raise RPCError(RPC_INVALID_PARAMETER, "Ranged descriptors should not have a label")
        if internal and "label" in data:
            raise RPCError(RPC_INVALID_PARAMETER, "Internal addresses should not have a label")
        if active and not d.is_single_type():
            raise RPCError(RPC_WALLET_ERROR, "Combo descriptors cannot be set to active")
        if not w.private_keys and d.has_private():
            raise RPCError(RPC_WALLET_ERROR, "Cannot import private keys to a wallet with private keys disabled")
        if d.hardened_public:
            raise RPCError(RPC_WALLET_ERROR, "Cannot expand descriptor. Probably because of hardened derivations "
                                             "without private keys provided")
        if w.private_keys:
            if not d.has_private():
                raise RPCError(RPC_WALLET_ERROR, "Cannot import descriptor without private keys to a wallet with "
                                                 "private keys enabled")
            if not all(priv for _, priv in d.keys):
                warnings.append("Not all private keys provided. Some wallet functionality may return unexpected errors")
        wd = bw.WalletDesc(d, timestamp, range_start, range_end, next_index, active, internal, label)
        w.add_desc(wd, node.keypool)
        if not d.ranged and "label" in data:
            for a in d.derive(0):
                w.labels[a] = label
        otype = d.output_type()
        if active:
            if otype is None:
                warnings.append("Unknown output type, cannot set descriptor to active.")
            else:
                old = w.active.get((otype, internal))
                if old is not None and old is not wd:
                    old.active = False
                w.active[(otype, internal)] = wd
        elif otype is not None and w.active.get((otype, internal)) is not None \
                and w.active[(otype, internal)].desc.public_body == d.public_body:
            del w.active[(otype, internal)]
        result["success"] = True
    except RPCError as e:
        result["success"] = False
        result["error"] = {"code": e.code, "message": e.message}
    if warnings:
        result["warnings"] = warnings
    return result


def _import_timestamp(node, data):
    if json_type(data) == "object" and "timestamp" in data:
        ts = data["timestamp"]
        if json_type(ts) == "number":
            return get_int(ts)
        if ts == "now":
            return node.tip().time - 1   # the tip's median time past
        raise RPCError(RPC_TYPE_ERROR, 'Expected number or "now" timestamp value for key. got type %s' % json_type(ts))
    raise RPCError(RPC_TYPE_ERROR, "Missing required timestamp field for key")


def rpc_importdescriptors(node, w, p):
    ensure_unlocked(w)
    response = []
    lowest = node.tip().time
    rescan = False
    for data in p[0]:
        ts = max(_import_timestamp(node, data), 1)
        r = _import_one(node, w, data, ts)
        response.append(r)
        lowest = min(lowest, ts)
        rescan = rescan or r["success"]
    if rescan:
        node.rescan(w, since_time=lowest - 7200)   # TIMESTAMP_WINDOW
    return response


def rpc_listdescriptors(node, w, p):
    private = bool(p[0])
    if private and not w.private_keys:
        raise RPCError(RPC_WALLET_ERROR, "Can't get private descriptor string for watch-only wallets")
    if private:
        ensure_unlocked(w)
    out = []
    for wd in sorted(w.descs, key=lambda d: d.text()):
        e = {"desc": wd.private_text() if private else wd.text(), "timestamp": wd.timestamp,
             "active": wd.active and w.active.get((wd.desc.output_type(), wd.internal)) is wd}
        if e["active"]:
            e["internal"] = wd.internal
        if wd.desc.ranged:
            e["range"] = [wd.range_start, wd.range_end - 1]
            e["next"] = wd.next_index
            e["next_index"] = wd.next_index
        out.append(e)
    return {"wallet_name": w.name, "descriptors": out}


def rpc_sendtoaddress(node, w, p):
    (address, amount_v, comment, comment_to, subtract, replaceable, conf_target, estimate_mode,
     avoid_reuse, fee_rate_v, verbose) = p
    map_value = {}
    if comment:
        map_value["comment"] = comment
    if comment_to:
        map_value["to"] = comment_to
    rbf = True if replaceable is None else replaceable
    if avoid_reuse and not w.avoid_reuse:
        raise RPCError(RPC_INVALID_PARAMETER, 'wallet does not have the "avoid reuse" feature enabled')
    fee_rate_milli = None
    if fee_rate_v is not None:
        if conf_target is not None:
            raise RPCError(RPC_INVALID_PARAMETER,
                           "Cannot specify both conf_target and fee_rate. Please provide either a confirmation target "
                           "in blocks for automatic fee estimation, or an explicit fee rate.")
        if estimate_mode is not None and estimate_mode != "unset":
            raise RPCError(RPC_INVALID_PARAMETER, "Cannot specify both estimate_mode and fee_rate")
        fee_rate_milli = bw.amount_from_value(fee_rate_v, decimals=3)
    else:
        estimate_mode_param(estimate_mode)
        if conf_target is not None:
            conf_target_param(conf_target)
    ensure_unlocked(w)
    sat = bw.amount_from_value(amount_v)
    dest, _ = bw.decode_address(address, node.chain)
    if dest is None:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid Bitcoin address: " + address)
    if not w.private_keys:
        raise RPCError(RPC_WALLET_ERROR, "Error: Private keys are disabled for this wallet")
    # CreateTransaction
    if fee_rate_milli is not None:
        if fee_rate_milli < 1000:
            raise RPCError(RPC_WALLET_INSUFFICIENT_FUNDS,
                           "Fee rate (%.3f sat/vB) is lower than the minimum fee rate setting (1.000 sat/vB)"
                           % (fee_rate_milli / 1000))
        fee = math.ceil(fee_rate_milli * TX_VSIZE / 1000)
        reason = "PayTxFee set"
    elif node.feerate is not None:
        fee = math.ceil(node.feerate * TX_VSIZE)
        reason = "Conservative Double Target"
    else:
        fee = node.fee_sat
        reason = "Fallback fee"
    if sat < bw.dust_threshold(dest):
        raise RPCError(RPC_WALLET_INSUFFICIENT_FUNDS, "Transaction amount too small")
    balance = node.balances(w)[0]
    if sat + (0 if subtract else fee) > balance:
        raise RPCError(RPC_WALLET_INSUFFICIENT_FUNDS, "Insufficient funds")
    pay_sat = sat
    if subtract:
        if sat <= fee:
            raise RPCError(RPC_WALLET_INSUFFICIENT_FUNDS, "The transaction amount is too small to pay the fee")
        pay_sat = sat - fee
        if pay_sat < bw.dust_threshold(dest):
            raise RPCError(RPC_WALLET_INSUFFICIENT_FUNDS,
                           "The transaction amount is too small to send after the fee has been deducted")
    if fee > MAX_TX_FEE:
        raise RPCError(RPC_WALLET_INSUFFICIENT_FUNDS, "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)")
    # commit
    outputs = [(address, pay_sat, dest.script())]
    change_sat = balance - pay_sat - fee
    change_wd = w.active.get(("bech32", True))
    change_vouts = []
    if change_sat >= 294 and change_wd is not None:
        idx = change_wd.next_index
        change_wd.next_index += 1
        w.topup(change_wd, node.keypool)
        caddr, cdest = change_wd.desc.derive_dests(idx)[0]
        pos = int.from_bytes(os.urandom(1), "big") % 2
        outputs.insert(pos, (caddr, change_sat, cdest.script()))
        change_vouts = [pos]
    nonce = node._nonce()
    tx = bw.make_tx(outputs, replaceable=rbf, nonce=nonce)
    wt = bw.WalletTx(tx.txid, int(time.time()))
    wt.is_send = True
    wt.change_vouts = change_vouts
    wt.send_vouts = [i for i in range(len(outputs)) if i not in change_vouts]
    wt.fee = fee
    wt.map_value = map_value
    pending = node.balances(w)[1]
    w.txs[tx.txid] = wt
    node.gen += 1
    node.add_tx(tx)
    # A fresh mempool send lowers the trusted balance by its outputs and fee
    # and changes nothing else: keep the cache instead of summing every
    # transaction again on the next send.
    node.balance_cache[(w.name, 0)] = (node.gen, balance - pay_sat - fee, pending)
    node.record({"txid": tx.txid, "wallet": w.name, "address": address, "amount_sat": pay_sat,
                 "fee_sat": fee, "comment": comment or "", "comment_to": comment_to or "",
                 "subtract_fee": bool(subtract), "replaceable": rbf, "time": wt.time_received,
                 # enough to rebuild the transaction when the fake restarts on this ledger
                 "vout": wt.send_vouts[0], "change_vout": change_vouts[0] if change_vouts else None,
                 "outputs": [[o[0], o[1]] for o in outputs],
                 "prevouts": [[h.hex(), n] for h, n in tx.prevouts], "locktime": nonce})
    if verbose:
        return {"txid": tx.txid, "fee_reason": reason}
    return tx.txid


def rpc_gettransaction(node, w, p):
    txid = hash_param(p[0], "txid")
    wt = w.txs.get(txid)
    if wt is None:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid or non-wallet transaction id")
    tx = node.txs[txid]
    entry = {}
    if wt.is_send:
        entry["amount"] = Amount(-sum(tx.outputs[i][1] for i in wt.send_vouts if tx.outputs[i][0] not in w.owned))
        entry["fee"] = Amount(-wt.fee)
    else:
        entry["amount"] = Amount(sum(tx.outputs[i][1] for i in node.received(w, wt, True)))
    node.wallet_tx_json(w, wt, entry)
    entry["details"] = node.list_entries(w, wt, 0, False)
    entry["hex"] = tx.hex
    if p[2]:
        entry["decoded"] = decode_tx(node, tx)
    entry["lastprocessedblock"] = node.last_processed()
    return entry


def decode_tx(node, tx):
    raw = bytes.fromhex(tx.hex)
    vout = []
    for n, (addr, sat, spk) in enumerate(tx.outputs):
        dest = bw.decode_address(addr, node.chain)[0] if addr else None
        kind = {"pkh": "pubkeyhash", "sh": "scripthash", "wpkh": "witness_v0_keyhash",
                "wsh": "witness_v0_scripthash", "tr": "witness_v1_taproot", "anchor": "anchor"}.get(
                    dest.kind if dest else None, "witness_unknown")
        spk_json = {"asm": "", "desc": bw.add_checksum("addr(%s)" % addr) if addr else "",
                    "hex": spk.hex(), "type": kind}
        if addr:
            spk_json["address"] = addr
        vout.append({"value": Amount(sat), "n": n, "scriptPubKey": spk_json})
    return {"txid": tx.txid, "hash": tx.wtxid, "version": 2, "size": len(raw), "vsize": TX_VSIZE,
            "weight": TX_VSIZE * 4, "locktime": int.from_bytes(raw[-4:], "little"),
            "vin": [{"txid": h[::-1].hex(), "vout": n, "scriptSig": {"asm": "", "hex": ""},
                     "txinwitness": [], "sequence": 0xFFFFFFFD if tx.replaceable else 0xFFFFFFFE}
                    for h, n in tx.prevouts],
            "vout": vout}


def rpc_listtransactions(node, w, p):
    label, count, skip, _ = p
    filter_label = None
    if label is not None and label != "*":
        filter_label = label_from_value(label)
        if filter_label == "":
            raise RPCError(RPC_INVALID_PARAMETER, 'Label argument must be a valid label name or "*".')
    n = 10 if count is None else get_int(count)
    frm = 0 if skip is None else get_int(skip)
    if n < 0:
        raise RPCError(RPC_INVALID_PARAMETER, "Negative count")
    if frm < 0:
        raise RPCError(RPC_INVALID_PARAMETER, "Negative from")
    ret = []   # newest to oldest
    for wt in reversed(list(w.txs.values())):
        ret.extend(reversed(node.list_entries(w, wt, 0, True, filter_label)))
        if len(ret) >= n + frm:
            break
    frm = min(frm, len(ret))
    n = min(n, len(ret) - frm)
    return list(reversed(ret[frm:frm + n]))


def rpc_listsinceblock(node, w, p):
    blockhash, target_v, _, include_removed_v, include_change_v, label = p
    height = altheight = None
    bid = None
    if blockhash is not None and blockhash != "":
        bid = hash_param(blockhash, "blockhash")
        b = node.blocks.get(bid)
        if b is None:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
        altheight = b.height
        while not b.active:
            b = node.blocks[b.prev]
        height = b.height
    target = 1
    if target_v is not None:
        target = get_int(target_v)
        if target < 1:
            raise RPCError(RPC_INVALID_PARAMETER, "Invalid parameter")
    include_removed = include_removed_v is None or include_removed_v
    include_change = bool(include_change_v)
    filter_label = label_from_value(label) if label is not None else None
    tip = node.height()
    depth = tip + 1 - height if height is not None else -1
    transactions = []
    for wt in w.txs.values():
        if depth == -1 or abs(node.depth(node.txs[wt.txid])) < depth:
            transactions.extend(node.list_entries(w, wt, 0, True, filter_label, include_change))
    removed = []
    while include_removed and altheight is not None and altheight > height:
        blk = node.blocks[bid]
        for txid in blk.txids:
            if txid in w.txs:
                removed.extend(node.list_entries(w, w.txs[txid], -100000000, True, filter_label, include_change))
        bid = blk.prev
        altheight -= 1
    target = min(target, tip + 1)
    out = {"transactions": transactions}
    if include_removed:
        out["removed"] = removed
    out["lastblock"] = node.active[tip + 1 - target]
    return out


def rpc_getreceivedbyaddress(node, w, p):
    addr = p[0]
    dest, _ = bw.decode_address(addr, node.chain)
    if dest is None:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid Bitcoin address")
    if addr not in w.owned:
        raise RPCError(RPC_WALLET_ERROR, "Address not found in wallet")
    min_depth = 1 if p[1] is None else get_int(p[1])
    total = 0
    for wt in w.txs.values():
        tx = node.txs[wt.txid]
        if node.depth(tx) < min_depth:
            continue
        total += sum(o[1] for o in tx.outputs if o[0] == addr)
    return Amount(total)


def rpc_walletpassphrase(node, w, p):
    if not w.encrypted:
        raise RPCError(RPC_WALLET_WRONG_ENC_STATE,
                       "Error: running with an unencrypted wallet, but walletpassphrase was called.")
    if not p[0]:
        raise RPCError(RPC_INVALID_PARAMETER, "passphrase cannot be empty")
    timeout = get_int(p[1])
    if timeout < 0:
        raise RPCError(RPC_INVALID_PARAMETER, "Timeout cannot be negative.")
    if p[0] != w.passphrase:
        raise RPCError(RPC_WALLET_PASSPHRASE_INCORRECT, "Error: The wallet passphrase entered was incorrect.")
    w.unlocked_until = time.time() + min(timeout, 100000000)
    return None


def rpc_walletlock(node, w, p):
    if not w.encrypted:
        raise RPCError(RPC_WALLET_WRONG_ENC_STATE,
                       "Error: running with an unencrypted wallet, but walletlock was called.")
    w.unlocked_until = 0
    return None


S, N, B, A, ARR, OBJ, ANY = "string", "number", "bool", "amount", "array", "object", "any"
# method: (function, wallet?, [(name, type, required)])
#   wallet: None = node call; "wallet" = needs a wallet; "uri" = gets the URI wallet name
METHODS = {
    "getblockchaininfo": (rpc_getblockchaininfo, None, []),
    "getblockcount": (rpc_getblockcount, None, []),
    "getbestblockhash": (rpc_getbestblockhash, None, []),
    "getblockhash": (rpc_getblockhash, None, [("height", N, True)]),
    "getblockheader": (rpc_getblockheader, None, [("blockhash", S, True), ("verbose", B, False)]),
    "getnetworkinfo": (rpc_getnetworkinfo, None, []),
    "uptime": (rpc_uptime, None, []),
    "estimatesmartfee": (rpc_estimatesmartfee, None, [("conf_target", N, True), ("estimate_mode", S, False)]),
    "validateaddress": (rpc_validateaddress, None, [("address", S, True)]),
    "getdescriptorinfo": (rpc_getdescriptorinfo, None, [("descriptor", S, True)]),
    "deriveaddresses": (rpc_deriveaddresses, None, [("descriptor", S, True), ("range", ANY, False)]),
    "createwallet": (rpc_createwallet, None, [
        ("wallet_name", S, True), ("disable_private_keys", B, False), ("blank", B, False),
        ("passphrase", S, False), ("avoid_reuse", B, False), ("descriptors", B, False),
        ("load_on_startup", B, False), ("external_signer", B, False)]),
    "loadwallet": (rpc_loadwallet, None, [("filename", S, True), ("load_on_startup", B, False)]),
    "unloadwallet": (rpc_unloadwallet, "uri", [("wallet_name", S, False), ("load_on_startup", B, False)]),
    "listwallets": (rpc_listwallets, None, []),
    "listwalletdir": (rpc_listwalletdir, None, []),
    "getwalletinfo": (rpc_getwalletinfo, "wallet", []),
    "getbalance": (rpc_getbalance, "wallet", [("dummy", S, False), ("minconf", N, False),
                                              ("include_watchonly", B, False), ("avoid_reuse", B, False)]),
    "getbalances": (rpc_getbalances, "wallet", []),
    "getnewaddress": (rpc_getnewaddress, "wallet", [("label", S, False), ("address_type", S, False)]),
    "getaddressinfo": (rpc_getaddressinfo, "wallet", [("address", S, True)]),
    "importdescriptors": (rpc_importdescriptors, "wallet", [("requests", ARR, True)]),
    "listdescriptors": (rpc_listdescriptors, "wallet", [("private", B, False)]),
    "sendtoaddress": (rpc_sendtoaddress, "wallet", [
        ("address", S, True), ("amount", A, True), ("comment", S, False), ("comment_to", S, False),
        ("subtractfeefromamount", B, False), ("replaceable", B, False), ("conf_target", N, False),
        ("estimate_mode", S, False), ("avoid_reuse", B, False), ("fee_rate", A, False), ("verbose", B, False)]),
    "gettransaction": (rpc_gettransaction, "wallet", [("txid", S, True), ("include_watchonly", B, False),
                                                      ("verbose", B, False)]),
    "listtransactions": (rpc_listtransactions, "wallet", [("label", S, False), ("count", N, False),
                                                          ("skip", N, False), ("include_watchonly", B, False)]),
    "listsinceblock": (rpc_listsinceblock, "wallet", [
        ("blockhash", S, False), ("target_confirmations", N, False), ("include_watchonly", B, False),
        ("include_removed", B, False), ("include_change", B, False), ("label", S, False)]),
    "getreceivedbyaddress": (rpc_getreceivedbyaddress, "wallet", [
        ("address", S, True), ("minconf", N, False), ("include_immature_coinbase", B, False)]),
    "walletpassphrase": (rpc_walletpassphrase, "wallet", [("passphrase", S, True), ("timeout", N, True)]),
    "walletlock": (rpc_walletlock, "wallet", []),
}


def usage(method, spec):
    args = " ".join(('"%s"' % n if t == S else n) if req else "( %s )" % n for n, t, req in spec)
    return "%s %s\n\nSee the Bitcoin Core documentation of %s (this is a fake bitcoind)." % (method, args, method)


def execute(node, method, params, uri_wallet):
    """tableRPC.execute + RPCHelpMan argument handling."""
    if method not in METHODS:
        raise RPCError(RPC_METHOD_NOT_FOUND, "Method not found")
    fn, kind, spec = METHODS[method]
    names = [s[0] for s in spec]
    if isinstance(params, dict):   # named arguments -> positional
        positional = [None] * len(spec)
        top = -1
        for k, v in params.items():
            if k not in names:
                raise RPCError(RPC_INVALID_PARAMETER, "Unknown named parameter " + k)
            i = names.index(k)
            positional[i] = v
            top = max(top, i)
        params = positional[:top + 1]
    nreq = sum(1 for s in spec if s[2])
    if len(params) > len(spec) or len(params) < nreq:
        raise RPCError(RPC_MISC_ERROR, usage(method, spec))
    params = list(params) + [None] * (len(spec) - len(params))
    mismatch = {}
    for i, (name, typ, req) in enumerate(spec):
        v = params[i]
        if v is None and not req:
            continue
        if typ in (A, ANY):
            continue
        if json_type(v) != typ:
            mismatch["Position %d (%s)" % (i + 1, name)] = \
                "JSON value of type %s is not of expected type %s" % (json_type(v), typ)
    if mismatch:
        body = json.dumps(mismatch, indent=4)
        raise RPCError(RPC_TYPE_ERROR, "Wrong type passed:\n" + body)
    if kind == "wallet":
        w = node.wallet_for(uri_wallet)
        return fn(node, w, params)
    if kind == "uri":
        return fn(node, None, params, uri_wallet)
    return fn(node, None, params)


# ============================================================ HTTP

class Request:
    def __init__(self, obj):
        self.id = None
        self.has_id = False
        self.v2 = False
        self.method = None
        self.params = []
        self.error = None
        try:
            if not isinstance(obj, dict):
                raise RPCError(RPC_INVALID_REQUEST, "Invalid Request object")
            if "id" in obj:
                self.id = obj["id"]
                self.has_id = True
            ver = obj.get("jsonrpc")
            if ver is not None:
                if json_type(ver) != "string":
                    raise RPCError(RPC_INVALID_REQUEST, "jsonrpc field must be a string")
                if ver == "2.0":
                    self.v2 = True
                elif ver != "1.0":
                    raise RPCError(RPC_INVALID_REQUEST, "JSON-RPC version not supported")
            m = obj.get("method")
            if m is None:
                raise RPCError(RPC_INVALID_REQUEST, "Missing method")
            if json_type(m) != "string":
                raise RPCError(RPC_INVALID_REQUEST, "Method must be a string")
            self.method = m
            prm = obj.get("params")
            if json_type(prm) in ("array", "object"):
                self.params = prm
            elif prm is None:
                self.params = []
            else:
                raise RPCError(RPC_INVALID_REQUEST, "Params must be an array or object")
        except RPCError as e:
            self.error = e

    def notification(self):
        return self.v2 and not self.has_id

    def reply(self, result=None, error=None):
        err = None if error is None else {"code": error.code, "message": error.message}
        if self.v2:
            out = {"jsonrpc": "2.0"}
            if err is None:
                out["result"] = result
            else:
                out["error"] = err
            out["id"] = self.id
            return out
        return {"result": result, "error": err, "id": self.id}


def http_status(code):
    if code == RPC_INVALID_REQUEST:
        return 400
    if code == RPC_METHOD_NOT_FOUND:
        return 404
    return 500


TRANSPORT_FAULTS = ("http_503", "hang", "drop", "pay_then_drop")


class Handler(fakeutil.FastRequestParsing, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    node = None       # set by main()
    users = {}        # user -> (password or None, (salt, hash) or None)
    whitelist = {}    # user -> set of methods
    verbose = False

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("fake-bitcoind: " + (fmt % args) + "\n")

    # -- transport helpers
    def _send(self, status, body=b"", ctype=None, headers=()):
        self.log_request(status)  # with --verbose: one line per request, as bitcoind's -debug=http
        self.send_response_only(status)
        self.send_header("Date", self.date_time_string())
        if ctype is None and status != 204:
            ctype = "text/html; charset=ISO-8859-1"
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers_and_write(body if self.command != "HEAD" else b"")
        self.wfile.flush()

    def _json(self, status, obj):
        self._send(status, (bw.dumps(obj) + "\n").encode(), "application/json")

    def _drop(self):
        """Close the connection without answering."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    # -- HTTP methods (libevent answers 405 to methods it does not know)
    def do_POST(self):
        self._dispatch()

    def do_GET(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def _bad_method(self):
        self._body()
        self._send(405)

    do_DELETE = do_OPTIONS = do_PATCH = do_TRACE = do_CONNECT = _bad_method

    def _dispatch(self):
        body = self._body()
        path = self.path
        if path.startswith("/_fake/") or path == "/_fake":
            return self._control(path, body)
        if not (path == "/" or path.startswith("/wallet/")):
            return self._send(404)
        if self.command != "POST":
            return self._send(405, b"JSONRPC server handles only POST requests")
        user = self._authorize()
        if user is None:
            return
        uri_wallet = urllib.parse.unquote(path[len("/wallet/"):]) if path.startswith("/wallet/") else None
        try:
            try:
                text = body.decode("utf-8")
                val = bw.parse_json(text)
            except (ValueError, UnicodeDecodeError):
                raise RPCError(RPC_PARSE_ERROR, "Parse error")
            if isinstance(val, dict):
                return self._single(val, user, uri_wallet)
            if isinstance(val, list):
                return self._batch(val, user, uri_wallet)
            raise RPCError(RPC_PARSE_ERROR, "Top-level object parse error")
        except RPCError as e:
            self._json(http_status(e.code), {"result": None, "error": {"code": e.code, "message": e.message},
                                             "id": None})

    def _authorize(self):
        auth = self.headers.get("Authorization")
        if auth is None:
            self._send(401, headers=[("WWW-Authenticate", 'Basic realm="jsonrpc"')])
            return None
        user = None
        ok = False
        if auth[:6] == "Basic ":
            try:
                userpass = base64.b64decode(auth[6:].strip(), validate=False).decode("utf-8", "replace")
            except (ValueError, base64.binascii.Error):
                userpass = ""
            if ":" in userpass:
                user, password = userpass.split(":", 1)
                for pw, hashed in self.users.get(user, []):
                    if pw is not None and hmac.compare_digest(pw.encode(), password.encode()):
                        ok = True
                    if hashed is not None:
                        salt, want = hashed
                        got = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
                        if hmac.compare_digest(got.encode(), want.encode()):
                            ok = True
        if not ok:
            time.sleep(0.25)   # Core deters brute force the same way
            self._send(401, headers=[("WWW-Authenticate", 'Basic realm="jsonrpc"')])
            return None
        return user

    def _allowed(self, user, method):
        wl = self.whitelist.get(user)
        return wl is None or method in wl

    def _run(self, req, uri_wallet, fault=None):
        """Execute one parsed request; returns (result, RPCError or None)."""
        if req.error is not None:
            return None, req.error
        if fault and fault != "pay_then_drop" and not fault.startswith("delay:"):
            if fault == "insufficient_funds":
                return None, RPCError(RPC_WALLET_INSUFFICIENT_FUNDS, "Insufficient funds")
            if fault == "warmup" or fault.startswith("warmup:"):
                return None, RPCError(RPC_IN_WARMUP, fault[7:] or WARMUP_MESSAGE)
            if fault.startswith("rpc_error:"):
                _, code, msg = (fault.split(":", 2) + [""])[:3]
                return None, RPCError(int(code), msg)
        node = self.node
        try:
            with node.lock:
                return execute(node, req.method, req.params, uri_wallet), None
        except RPCError as e:
            return None, e
        except Exception as e:  # std::exception -> RPC_MISC_ERROR
            traceback.print_exc()
            return None, RPCError(RPC_MISC_ERROR, str(e))

    def _transport_fault(self, fault):
        """Handle faults that act on the connection. True when handled."""
        if fault is None:
            return False
        if fault.startswith("delay:"):
            time.sleep(float(fault[6:]))
            return False
        if fault == "http_503":
            self._send(503, b"Work queue depth exceeded")
            return True
        if fault == "hang":
            self.node.release.wait()
            self._drop()
            return True
        if fault == "drop":
            self._drop()
            return True
        return False

    def _single(self, val, user, uri_wallet):
        req = Request(val)
        with self.node.lock:  # who called what, when (GET /_fake/calls)
            self.node.calls.append([time.time(), user, req.method])
        if req.error is None and not self._allowed(user, req.method):
            return self._send(403)
        fault = self.node.take_fault(req.method) if req.error is None else None
        if self._transport_fault(fault):
            return
        if fault is None and req.error is None and req.method == "sendtoaddress":
            # Latency mode: the send is made after the wait, outside the lock.
            time.sleep(self.node.latency.next())
        result, err = self._run(req, uri_wallet, fault)
        if fault == "pay_then_drop":
            return self._drop()
        if req.notification():
            return self._send(204)
        if err is not None and not req.v2:
            return self._json(http_status(err.code), req.reply(error=err))
        self._json(200, req.reply(result, err))

    def _batch(self, vals, user, uri_wallet):
        if user in self.whitelist:
            for v in vals:
                if not isinstance(v, dict):
                    raise RPCError(RPC_INVALID_REQUEST, "Invalid Request object")
                if not self._allowed(user, v.get("method")):
                    return self._send(403)
        reqs = [Request(v) for v in vals]
        faults = [self.node.take_fault(r.method) if r.error is None else None for r in reqs]
        for f in faults:
            if f in TRANSPORT_FAULTS or (f or "").startswith("delay:"):
                if self._transport_fault(f):
                    return
        out = []
        for r, f in zip(reqs, faults):
            result, err = self._run(r, uri_wallet, f)
            if not r.notification():
                out.append(r.reply(result, err))
        if "pay_then_drop" in faults:
            return self._drop()
        if not out and vals:
            return self._send(204)
        self._json(200, out)

    # -- control API
    def _control(self, path, body):
        node = self.node
        try:
            data = json.loads(body.decode() or "{}") if body else {}
            if not isinstance(data, dict):
                raise ControlError("body must be a JSON object")
            route = path[len("/_fake/"):].split("?")[0]
            if self.command == "GET" and route == "ledger":
                with node.lock:
                    return self._plain(200, node.ledger)
            if self.command == "GET" and route == "calls":
                with node.lock:
                    return self._plain(200, node.calls)
            if self.command == "GET" and route == "state":
                with node.lock:
                    return self._plain(200, self._state())
            if self.command != "POST":
                raise ControlError("use POST for /_fake/%s" % route)
            fn = getattr(self, "_c_" + route.replace("-", "_"), None)
            if fn is None:
                return self._plain(404, {"error": "unknown control endpoint /_fake/%s" % route})
            if route == "reset-faults":
                return self._plain(200, fn(data))
            with node.lock:
                return self._plain(200, fn(data))
        except (ControlError, ValueError, KeyError, TypeError) as e:
            return self._plain(400, {"error": "%s: %s" % (type(e).__name__, e)})

    def _plain(self, status, obj):
        self._send(status, (json.dumps(obj) + "\n").encode(), "application/json")

    def _state(self):
        node = self.node
        wallets = {}
        for name, w in node.disk.items():
            trusted, pending = node.balances(w)
            wallets[name] = {"loaded": name in node.wallets, "balance_sat": trusted, "pending_sat": pending,
                             "txids": list(w.txs), "private_keys": w.private_keys,
                             "descriptors": [d.text() for d in w.descs]}
        return {"chain": node.chain, "height": node.height(), "tip": node.tip().hash,
                "ibd": node.ibd, "mempool": list(node.mempool), "wallets": wallets,
                "faults": {m: [list(f) for f in lst] for m, lst in node.faults.items()},
                "ledger_entries": len(node.ledger)}

    def _c_pay(self, d):
        node = self.node
        if "outputs" in d:
            outs = [node.output(o["address"], int(o["amount_sat"])) for o in d["outputs"]]
        else:
            outs = [node.output(d["address"], int(d["amount_sat"]))]
        if any(o[1] <= 0 for o in outs):
            raise ControlError("amount_sat must be positive")
        tx = node.pay(outs, replaceable=d.get("replaceable", True))
        return {"txid": tx.txid, "vout": 0, "vouts": list(range(len(outs))), "hex": tx.hex}

    def _c_mine(self, d):
        node = self.node
        n = int(d.get("blocks", 1))
        if n < 0:
            raise ControlError("blocks must be >= 0")
        only = set(d["txids"]) if "txids" in d else None
        hashes = node.mine(n, only=only)
        return {"hashes": hashes, "height": node.height(), "tip": node.tip().hash}

    def _c_reorg(self, d):
        return self.node.reorg(int(d["depth"]), list(d.get("drop", [])),
                               None if d.get("blocks") is None else int(d["blocks"]),
                               bool(d.get("remine", False)))

    def _c_replace(self, d):
        node = self.node
        outs = None
        if "outputs" in d:
            outs = [node.output(o["address"], int(o["amount_sat"])) for o in d["outputs"]]
        elif "address" in d or "amount_sat" in d:
            old = node.txs.get(d["txid"])
            if old is None:
                raise ControlError("unknown txid %s" % d["txid"])
            outs = list(old.outputs)
            outs[0] = node.output(d.get("address", old.outputs[0][0]), int(d.get("amount_sat", old.outputs[0][1])))
        new = node.replace(d["txid"], outs, int(d.get("fee_bump_sat", 0)), bool(d.get("mine", False)))
        return {"txid": new.txid, "replaced": d["txid"], "hex": new.hex}

    def _c_evict(self, d):
        """A transaction leaves the mempool unmined (evicted, expired). With
        "abandon": the wallet abandons it (abandontransaction); with "forget":
        the wallets lose it (gettransaction answers -5)."""
        node = self.node
        txid = d["txid"]
        tx = node.txs.get(txid)
        if tx is None:
            raise ControlError("unknown txid %s" % txid)
        if tx.block is not None:
            raise ControlError("%s is in a block" % txid)
        node.gen += 1
        if tx.in_mempool:
            tx.in_mempool = False
            node.mempool.remove(txid)
        for w in node.wallets.values():
            wt = w.txs.get(txid)
            if wt is None:
                continue
            if d.get("forget"):
                del w.txs[txid]
            elif d.get("abandon"):
                wt.abandoned = True
        return {"txid": txid, "mempool": False}

    def _c_ibd(self, d):
        self.node.ibd = bool(d.get("on", True))
        return {"initialblockdownload": self.node.ibd}

    def _c_fault(self, d):
        fault = d["fault"]
        known = ("insufficient_funds", "http_503", "warmup", "hang", "pay_then_drop", "drop")
        if not (fault in known or fault.startswith(("rpc_error:", "delay:", "warmup:"))):
            raise ControlError("unknown fault %s" % fault)
        if fault.startswith("rpc_error:"):
            int(fault.split(":", 2)[1])
        if fault.startswith("delay:"):
            float(fault[6:])
        count = int(d.get("count", 1))
        self.node.faults.setdefault(d.get("method", "*"), []).append([fault, -1 if count < 0 else count])
        return {"ok": True}

    def _c_reset_faults(self, d):
        node = self.node
        with node.lock:
            node.faults.clear()
            old, node.release = node.release, threading.Event()
        old.set()   # hung requests close their connections, unanswered
        return {"ok": True}

    def _c_balance(self, d):
        node = self.node
        name = d.get("wallet", "refunds")
        w = node.disk.get(name)
        if w is None:
            raise ControlError("no wallet %s" % name)
        trusted, _ = node.balances(w)
        w.base_sat += int(d["sat"]) - trusted
        node.gen += 1
        return {"wallet": name, "balance_sat": node.balances(w)[0]}

    def _c_feerate(self, d):
        v = d.get("sat_per_vb")
        self.node.feerate = None if v is None else float(v)
        return {"sat_per_vb": self.node.feerate}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # an executor's payouts in flight connect at once


def main(argv=None):
    ap = argparse.ArgumentParser(description="fake bitcoind for qpayd tests")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--rpcauth", action="append", default=[], help="USER:PASSWORD (repeatable)")
    ap.add_argument("--rpcauth-hmac", action="append", default=[],
                    help="USER:SALT$HASH as written by Core's share/rpcauth/rpcauth.py (repeatable)")
    ap.add_argument("--cookie-file", help="also accept __cookie__:<random>, written to this file")
    ap.add_argument("--whitelist", action="append", default=[], help="USER:method1,method2 (repeatable)")
    ap.add_argument("--chain", default="regtest", choices=sorted(bw.CHAINS))
    ap.add_argument("--ledger", help="JSON lines file, one line per sendtoaddress payment")
    ap.add_argument("--balance-sat", type=int, default=10 * bw.COIN)
    ap.add_argument("--fee-sat", type=int, default=141)
    ap.add_argument("--wallet", default="refunds", help="name of the spending wallet")
    ap.add_argument("--wallet-passphrase", default="", help="encrypt the spending wallet with this passphrase")
    ap.add_argument("--watch-wallet", action="append", default=[],
                    help="also create an empty descriptor watch-only wallet with this name")
    ap.add_argument("--height", type=int, default=101, help="blocks mined at start")
    ap.add_argument("--keypool", type=int, default=1000)
    ap.add_argument("--verbose", action="store_true")
    fu.add_latency_args(ap)
    args = ap.parse_args(argv)

    users = {}
    for item in args.rpcauth:
        u, _, pw = item.partition(":")
        users.setdefault(u, []).append((pw, None))
    for item in args.rpcauth_hmac:
        u, _, rest = item.partition(":")
        salt, _, h = rest.partition("$")
        users.setdefault(u, []).append((None, (salt, h)))
    if args.cookie_file:
        secret = os.urandom(32).hex()
        with open(args.cookie_file, "w") as f:
            f.write("__cookie__:" + secret)
        users.setdefault("__cookie__", []).append((secret, None))
    if not users:
        ap.error("give at least one --rpcauth USER:PASSWORD (or --cookie-file)")
    whitelist = {}
    for item in args.whitelist:
        u, _, methods = item.partition(":")
        s = {m.strip() for m in methods.split(",") if m.strip()}
        whitelist[u] = whitelist[u] & s if u in whitelist else s   # Core intersects repeated entries

    node = Node(args)
    node.latency = fu.latency_of(args)
    w = node.new_wallet(args.wallet, passphrase=args.wallet_passphrase)
    w.base_sat = args.balance_sat
    node.restore_sends(w)
    for name in args.watch_wallet:
        node.new_wallet(name, private_keys=False, blank=True)

    Handler.node = node
    Handler.users = users
    Handler.whitelist = whitelist
    Handler.verbose = args.verbose
    srv = Server((args.host, args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: (node.release.set(), os._exit(0)))
    print("listening %s:%d" % (args.host, srv.server_address[1]), flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
