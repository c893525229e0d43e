"""Codecs and state for the fake bitcoind (tests/fakes/bitcoind.py).

Standard library only. Holds what bitcoind.py's RPC layer works on:
- amounts: Core's ParseFixedPoint port, 8-decimal output numbers;
- a JSON writer that writes amounts as `%d.%08d` from integer satoshis;
- addresses: bech32/bech32m (BIP173/BIP350) and base58check decoding
  with Core's network checks, scriptPubKeys, dust thresholds;
- descriptors: Core's checksum (descriptor.cpp), a light parser (function
  names, keys and their network, ranges, private keys), fake derivation;
- the model: blocks, transactions, mempool, wallets.

Address derivation from descriptors is NOT BIP32: address i of a
descriptor is made from sha256(descriptor + "/" + i), valid for the
network and stable across runs, but not what real bitcoind derives."""
import hashlib
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox"))
import lnutil  # noqa: E402  (bech32 encoding shared with the other tests)

COIN = 100_000_000
MAX_MONEY = 21_000_000 * COIN


class RPCError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


# Error codes (src/rpc/protocol.h)
RPC_MISC_ERROR = -1
RPC_TYPE_ERROR = -3
RPC_WALLET_ERROR = -4
RPC_INVALID_ADDRESS_OR_KEY = -5
RPC_WALLET_INSUFFICIENT_FUNDS = -6
RPC_INVALID_PARAMETER = -8
RPC_WALLET_INVALID_LABEL_NAME = -11
RPC_WALLET_KEYPOOL_RAN_OUT = -12
RPC_WALLET_NOT_FOUND = -18
RPC_WALLET_NOT_SPECIFIED = -19
RPC_IN_WARMUP = -28
RPC_METHOD_DEPRECATED = -32
RPC_WALLET_ALREADY_LOADED = -35
RPC_INVALID_REQUEST = -32600
RPC_METHOD_NOT_FOUND = -32601
RPC_PARSE_ERROR = -32700


# ---------------------------------------------------------------- JSON values

class JNum(str):
    """A JSON number kept as its source text (UniValue keeps numbers as text)."""


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, JNum):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "number"


def _no_constant(name):
    raise ValueError("invalid JSON constant " + name)


def parse_json(text):
    import json
    return json.loads(text, parse_float=JNum, parse_int=JNum, parse_constant=_no_constant)


class Amount(int):
    """Satoshis, written as a JSON number with exactly 8 decimals."""


def format_amount(sat):
    sat = int(sat)
    sign = "-" if sat < 0 else ""
    q, r = divmod(abs(sat), COIN)
    return "%s%d.%08d" % (sign, q, r)


def dumps(o):
    """Compact JSON like UniValue::write(); Amount as 8-decimal numbers,
    JNum as their source text, non-ASCII characters left as UTF-8."""
    import json
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if isinstance(o, Amount):
        return format_amount(o)
    if isinstance(o, JNum):
        return str(o)
    if isinstance(o, str):
        return json.dumps(o, ensure_ascii=False)
    if isinstance(o, int):
        return str(o)
    if isinstance(o, float):
        return repr(o)
    if isinstance(o, dict):
        return "{" + ",".join(dumps(str(k)) + ":" + dumps(v) for k, v in o.items()) + "}"
    if isinstance(o, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in o) + "]"
    raise TypeError("cannot write %r" % (o,))


# ------------------------------------------------------------------- amounts

_UPPER_BOUND = 10**18 - 1


def parse_fixed_point(val, decimals):
    """Port of Core's ParseFixedPoint (util/strencodings.cpp): returns the
    integer value scaled by 10**decimals, or None."""
    mantissa = 0
    exponent = 0
    tzeros = 0
    msign = esign = False
    ptr = 0
    end = len(val)
    point_ofs = 0

    def digit(ch):
        nonlocal mantissa, tzeros
        if ch == "0":
            tzeros += 1
            return True
        for _ in range(tzeros + 1):
            if mantissa > _UPPER_BOUND // 10:
                return False
            mantissa *= 10
        mantissa += ord(ch) - 48
        tzeros = 0
        return True

    isdig = lambda c: "0" <= c <= "9"  # noqa: E731
    if ptr < end and val[ptr] == "-":
        msign = True
        ptr += 1
    if ptr < end:
        if val[ptr] == "0":
            ptr += 1
        elif "1" <= val[ptr] <= "9":
            while ptr < end and isdig(val[ptr]):
                if not digit(val[ptr]):
                    return None
                ptr += 1
        else:
            return None
    else:
        return None
    if ptr < end and val[ptr] == ".":
        ptr += 1
        if ptr < end and isdig(val[ptr]):
            while ptr < end and isdig(val[ptr]):
                if not digit(val[ptr]):
                    return None
                ptr += 1
                point_ofs += 1
        else:
            return None
    if ptr < end and val[ptr] in "eE":
        ptr += 1
        if ptr < end and val[ptr] == "+":
            ptr += 1
        elif ptr < end and val[ptr] == "-":
            esign = True
            ptr += 1
        if ptr < end and isdig(val[ptr]):
            while ptr < end and isdig(val[ptr]):
                if exponent > _UPPER_BOUND // 10:
                    return None
                exponent = exponent * 10 + ord(val[ptr]) - 48
                ptr += 1
        else:
            return None
    if ptr != end:
        return None
    if esign:
        exponent = -exponent
    exponent = exponent - point_ofs + tzeros
    if msign:
        mantissa = -mantissa
    exponent += decimals
    if exponent < 0 or exponent >= 18:
        return None
    for _ in range(exponent):
        if mantissa > _UPPER_BOUND // 10 or mantissa < -(_UPPER_BOUND // 10):
            return None
        mantissa *= 10
    if mantissa > _UPPER_BOUND or mantissa < -_UPPER_BOUND:
        return None
    return mantissa


def amount_from_value(v, decimals=8, check_range=True):
    """Core's AmountFromValue: a JSON number or a string."""
    if json_type(v) not in ("number", "string"):
        raise RPCError(RPC_TYPE_ERROR, "Amount is not a number or string")
    amount = parse_fixed_point(str(v), decimals)
    if amount is None:
        raise RPCError(RPC_TYPE_ERROR, "Invalid amount")
    if check_range and not (0 <= amount <= MAX_MONEY):
        raise RPCError(RPC_TYPE_ERROR, "Amount out of range")
    return amount


# ------------------------------------------------------------------ hashing

def sha256(b):
    return hashlib.sha256(b).digest()


def sha256d(b):
    return sha256(sha256(b))


# ------------------------------------------------------------------- base58

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_SPACES = " \f\n\r\t\v"


def b58encode(b):
    n = int.from_bytes(b, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(b) - len(b.lstrip(b"\0"))) + out


def b58decode(s, max_len=1000):
    s = s.strip(_SPACES)  # Core's DecodeBase58 skips surrounding spaces
    n = 0
    for c in s:
        i = B58.find(c)
        if i < 0:
            return None
        n = n * 58 + i
    pad = len(s) - len(s.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    out = b"\0" * pad + body
    return out if len(out) <= max_len else None


def b58check_encode(payload):
    return b58encode(payload + sha256d(payload)[:4])


def b58check_decode(s, max_len):
    b = b58decode(s, max_len + 4)
    if b is None or len(b) < 4:
        return None
    payload, chk = b[:-4], b[-4:]
    if sha256d(payload)[:4] != chk:
        return None
    return payload


# --------------------------------------------------------------- chain params

class ChainParams:
    def __init__(self, name, hrp, p2pkh, p2sh, wif, xpub, xprv, difficulty):
        self.name = name
        self.hrp = hrp
        self.p2pkh = p2pkh
        self.p2sh = p2sh
        self.wif = wif
        self.xpub = bytes.fromhex(xpub)
        self.xprv = bytes.fromhex(xprv)
        self.difficulty = difficulty


CHAINS = {
    "main": ChainParams("main", "bc", 0x00, 0x05, 0x80, "0488B21E", "0488ADE4", 1.1e14),
    "test": ChainParams("test", "tb", 0x6F, 0xC4, 0xEF, "043587CF", "04358394", 1.0),
    "testnet4": ChainParams("testnet4", "tb", 0x6F, 0xC4, 0xEF, "043587CF", "04358394", 1.0),
    "signet": ChainParams("signet", "tb", 0x6F, 0xC4, 0xEF, "043587CF", "04358394", 0.001126515290698186),
    "regtest": ChainParams("regtest", "bcrt", 0x6F, 0xC4, 0xEF, "043587CF", "04358394",
                           4.656542373906925e-10),
}


# ------------------------------------------------------------------ bech32

def bech32_decode(s):
    """Core's bech32::Decode: (encoding, hrp, data-without-checksum) or None."""
    if len(s) > 90:
        return None
    dec = lnutil.bech32_decode(s)
    if dec is None:
        return None
    hrp, data, enc = dec
    return enc, hrp, data


def _from5(data):
    """5-bit groups to bytes without padding (ConvertBits<5, 8, false>)."""
    acc = bits = 0
    out = []
    for v in data:
        acc = (acc << 5) | v
        bits += 5
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if bits >= 5 or ((acc << (8 - bits)) & 0xFF):
        return None
    return bytes(out)


# -------------------------------------------------------------- destinations

class Dest:
    """A decoded destination: kind in pkh, sh, wpkh, wsh, tr, anchor, witness."""

    def __init__(self, kind, program, witver=None):
        self.kind = kind
        self.program = program
        self.witver = witver

    def script(self):
        if self.kind == "pkh":
            return b"\x76\xa9\x14" + self.program + b"\x88\xac"
        if self.kind == "sh":
            return b"\xa9\x14" + self.program + b"\x87"
        op = 0 if self.witver == 0 else 0x50 + self.witver
        return bytes([op, len(self.program)]) + self.program

    def is_witness(self):
        return self.witver is not None

    def output_type(self):
        return {"pkh": "legacy", "sh": "legacy", "wpkh": "bech32", "wsh": "bech32",
                "tr": "bech32m"}.get(self.kind)


def encode_dest(dest, chain):
    p = CHAINS[chain]
    if dest.kind == "pkh":
        return b58check_encode(bytes([p.p2pkh]) + dest.program)
    if dest.kind == "sh":
        return b58check_encode(bytes([p.p2sh]) + dest.program)
    return lnutil.segwit_address(p.hrp, dest.witver, list(dest.program))


def decode_address(addr, chain):
    """Core's DecodeDestination (key_io.cpp): (Dest, "") or (None, error)."""
    p = CHAINS[chain]
    is_bech32 = addr[:len(p.hrp)].lower() == p.hrp
    if not is_bech32:
        data = b58check_decode(addr, 21)
        if data is not None:
            if len(data) == 21 and data[0] == p.p2pkh:
                return Dest("pkh", data[1:]), ""
            if len(data) == 21 and data[0] == p.p2sh:
                return Dest("sh", data[1:]), ""
            if data[:1] in (bytes([p.p2pkh]), bytes([p.p2sh])):
                return None, "Invalid length for Base58 address (P2PKH or P2SH)"
            return None, "Invalid or unsupported Base58-encoded address."
        if b58decode(addr, 100) is None:
            return None, "Invalid or unsupported Segwit (Bech32) or Base58 encoding."
        return None, "Invalid checksum or length of Base58 address (P2PKH or P2SH)"
    dec = bech32_decode(addr)
    if dec is None:
        return None, "Invalid Bech32 address or checksum"
    enc, hrp, data = dec
    if not data:
        return None, "Empty Bech32 data section"
    if hrp != p.hrp:
        return None, "Invalid or unsupported prefix for Segwit (Bech32) address (expected %s, got %s)." % (p.hrp, hrp)
    version = data[0]
    if version == 0 and enc != "bech32":
        return None, "Version 0 witness address must use Bech32 checksum"
    if version != 0 and enc != "bech32m":
        return None, "Version 1+ witness address must use Bech32m checksum"
    prog = _from5(data[1:])
    if prog is None:
        return None, "Invalid padding in Bech32 data section"
    unit = "byte" if len(prog) == 1 else "bytes"
    if version == 0:
        if len(prog) == 20:
            return Dest("wpkh", prog, 0), ""
        if len(prog) == 32:
            return Dest("wsh", prog, 0), ""
        return None, "Invalid Bech32 v0 address program size (%d %s), per BIP141" % (len(prog), unit)
    if version == 1 and len(prog) == 32:
        return Dest("tr", prog, 1), ""
    if version == 1 and prog == b"\x4e\x73":
        return Dest("anchor", prog, 1), ""
    if version > 16:
        return None, "Invalid Bech32 address witness version"
    if len(prog) < 2 or len(prog) > 40:
        return None, "Invalid Bech32 address program size (%d %s)" % (len(prog), unit)
    return Dest("witness", prog, version), ""


def dust_threshold(dest):
    """GetDustThreshold with the default 3 sat/vB dust relay fee."""
    spk = len(dest.script())
    size = 8 + 1 + spk
    size += (32 + 4 + 1 + 107 // 4 + 4) if dest.is_witness() else (32 + 4 + 1 + 107 + 4)
    return size * 3


# -------------------------------------------------------------- secp256k1

_P = 2**256 - 2**32 - 977
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
      0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _ec_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % _P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], -1, _P) % _P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, _P) % _P
    x = (lam * lam - a[0] - b[0]) % _P
    return x, (lam * (a[0] - x) - a[1]) % _P


def pubkey_of(secret, compressed=True):
    k = int.from_bytes(secret, "big")
    r, q = None, _G
    while k:
        if k & 1:
            r = _ec_add(r, q)
        q = _ec_add(q, q)
        k >>= 1
    x, y = r[0].to_bytes(32, "big"), r[1].to_bytes(32, "big")
    if compressed:
        return bytes([2 + (r[1] & 1)]) + x
    return b"\x04" + x + y


def on_curve_x(x):
    return x < _P and pow((x**3 + 7) % _P, (_P - 1) // 2, _P) == 1


# ------------------------------------------------------------- descriptors

INPUT_CHARSET = ("0123456789()[],'/*abcdefgh@:$%{}"
                 "IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~"
                 "ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ")
CHECKSUM_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_DGEN = (0xF5DEE51989, 0xA9FDCA3312, 0x1BAB10E32D, 0x3706B1677A, 0x644D626FFD)


def _dpolymod(c, val):
    c0 = c >> 35
    c = ((c & 0x7FFFFFFFF) << 5) ^ val
    for i in range(5):
        if (c0 >> i) & 1:
            c ^= _DGEN[i]
    return c


def descriptor_checksum(span):
    """DescriptorChecksum() of descriptor.cpp; None for characters outside
    INPUT_CHARSET."""
    c = 1
    cls = 0
    clscount = 0
    for ch in span:
        pos = INPUT_CHARSET.find(ch)
        if pos == -1:
            return None
        c = _dpolymod(c, pos & 31)
        cls = cls * 3 + (pos >> 5)
        clscount += 1
        if clscount == 3:
            c = _dpolymod(c, cls)
            cls = 0
            clscount = 0
    if clscount > 0:
        c = _dpolymod(c, cls)
    for _ in range(8):
        c = _dpolymod(c, 0)
    c ^= 1
    return "".join(CHECKSUM_CHARSET[(c >> (5 * (7 - j))) & 31] for j in range(8))


def add_checksum(body):
    return body + "#" + descriptor_checksum(body)


class DescError(Exception):
    pass


def check_checksum(s, require):
    """CheckChecksum(): returns the payload before '#'."""
    parts = s.split("#")
    if len(parts) > 2:
        raise DescError("Multiple '#' symbols")
    if len(parts) == 1 and require:
        raise DescError("Missing checksum")
    if len(parts) == 2 and len(parts[1]) != 8:
        raise DescError("Expected 8 character checksum, not %u characters" % len(parts[1]))
    cs = descriptor_checksum(parts[0])
    if cs is None:
        raise DescError("Invalid characters in payload")
    if len(parts) == 2 and parts[1] != cs:
        raise DescError("Provided checksum '%s' does not match computed checksum '%s'" % (parts[1], cs))
    return parts[0]


KEY_FUNCS = {"pk", "pkh", "wpkh", "combo"}
MULTI_FUNCS = {"multi", "sortedmulti", "multi_a", "sortedmulti_a"}
TOP_FUNCS = KEY_FUNCS | MULTI_FUNCS | {"sh", "wsh", "tr", "rawtr", "addr", "raw"}
_HEX = re.compile(r"^[0-9a-fA-F]*$")


def _split_args(s):
    """Split at top-level commas (outside (), [] and {})."""
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                raise DescError("Unbalanced parentheses")
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if depth != 0:
        raise DescError("Unbalanced parentheses")
    out.append(cur)
    return out


def _call(expr):
    m = re.match(r"^([a-z_]+)\((.*)\)$", expr, re.S)
    if not m:
        return None, None
    return m.group(1), m.group(2)


class Descriptor:
    """What the fake knows of a parsed descriptor."""

    def __init__(self, body, chain):
        self.body = body            # as given, without checksum
        self.chain = chain
        self.keys = []              # (text, is_private)
        self.ranged = False
        self.hardened_public = False  # hardened step after an xpub: cannot expand
        self.func = None
        self.inner = None           # function inside sh()
        self.addr = None            # for addr()
        self.solvable = True
        self.public_body = body

    # -- parsing
    def parse(self):
        func, args = _call(self.body)
        if func is None or func not in TOP_FUNCS:
            raise DescError("'%s' is not a valid descriptor function" % self.body)
        self.func = func
        self._parse_fn(func, args, top=True, ctx="top")
        self.public_body = self._publicize(self.body)
        return self

    def _parse_fn(self, func, args, top, ctx):
        if func in ("addr", "raw"):
            if not top:
                raise DescError("Can only have %s() at top level" % func)
            self.solvable = False
            if func == "addr":
                dest, _ = decode_address(args, self.chain)
                if dest is None:
                    raise DescError("Address is not valid")
                self.addr = args
            elif not _HEX.match(args) or len(args) % 2:
                raise DescError("Raw script is not hex")
            return
        if func in KEY_FUNCS:
            if func == "combo" and not top:
                raise DescError("Can only have combo() at top level")
            self._key(args, ctx if func != "wpkh" else "wit")
            return
        if func in MULTI_FUNCS:
            parts = _split_args(args)
            if not parts[0].isdigit():
                raise DescError("Multi threshold '%s' is not valid" % parts[0])
            k = int(parts[0])
            keys = parts[1:]
            if not keys:
                raise DescError("A multisig requires at least one key")
            if k < 1 or k > len(keys):
                raise DescError("Multisig threshold cannot be %d, must be at least 1" % k if k < 1 else
                                "Multisig threshold cannot be larger than the number of keys; threshold is %d but only %d keys specified" % (k, len(keys)))
            for key in keys:
                self._key(key, "tap" if func.endswith("_a") else ctx)
            return
        if func in ("sh", "wsh"):
            if func == "sh" and not top:
                raise DescError("Can only have sh() at top level")
            if func == "wsh" and ctx not in ("top", "sh"):
                raise DescError("Can only have wsh() at top level or inside sh()")
            sub, subargs = _call(args)
            if top and func == "sh":
                self.inner = sub
            if sub is None:
                raise DescError("A function is needed within P2%s" % func.upper())
            if sub in TOP_FUNCS:
                self._parse_fn(sub, subargs, False, func if func == "sh" else "wit")
            else:
                self._scan_keys(args)  # miniscript: not parsed, keys checked
            return
        if func in ("tr", "rawtr"):
            if not top:
                raise DescError("Can only have tr at top level")
            parts = _split_args(args)
            self._key(parts[0], "tap")
            if len(parts) > 1:
                self._scan_keys(",".join(parts[1:]))
            return

    def _scan_keys(self, text):
        for tok in re.findall(r"[1-9A-HJ-NP-Za-km-z]{50,}(?:/[0-9]+['hH]?)*(?:/\*['hH]?)?", text):
            self._key(tok, "wit")

    def _key(self, text, ctx):
        s = text
        if s.startswith("["):
            end = s.find("]")
            if end < 0:
                raise DescError("Key origin start '[ character expected but not found, got '%s' instead" % s[:1])
            origin = s[1:end].split("/")
            fp = origin[0]
            if len(fp) != 8:
                raise DescError("Fingerprint is not 4 bytes (%u characters instead of 8 characters)" % len(fp))
            if not _HEX.match(fp):
                raise DescError("Fingerprint '%s' is not hex" % fp)
            for el in origin[1:]:
                self._path_elem(el, allow_star=False)
            s = s[end + 1:]
        parts = s.split("/")
        key = parts[0]
        path = parts[1:]
        for i, el in enumerate(path):
            if el in ("*", "*'", "*h", "*H"):
                if i != len(path) - 1:
                    raise DescError("'*' may only appear as last element in a derivation path")
                self.ranged = True
            else:
                self._path_elem(el, allow_star=False)
        p = CHAINS[self.chain]
        if _HEX.match(key) and key:
            if path:
                raise DescError("key '%s' is not valid" % key)
            if len(key) == 66 and key[:2] in ("02", "03") and on_curve_x(int(key[2:], 16)):
                self.keys.append((key, False))
                return
            if len(key) == 130 and key[:2] == "04":
                if ctx in ("wit", "tap"):
                    raise DescError("Uncompressed keys are not allowed")
                self.keys.append((key, False))
                return
            if len(key) == 64 and ctx == "tap" and on_curve_x(int(key, 16)):
                self.keys.append((key, False))
                return
            raise DescError("Pubkey '%s' is invalid" % key)
        wif = b58check_decode(key, 34)
        if wif is not None and wif[0] == p.wif and (len(wif) == 33 or (len(wif) == 34 and wif[33] == 1)):
            if path:
                raise DescError("key '%s' is not valid" % key)
            if len(wif) == 33 and ctx in ("wit", "tap"):
                raise DescError("Uncompressed keys are not allowed")
            self.keys.append((key, True))
            return
        ext = b58check_decode(key, 78)
        if ext is not None and len(ext) == 78:
            if ext[:4] == p.xpub and ext[45] in (2, 3):
                self.keys.append((key, False))
                if any(el[-1:] in ("'", "h", "H") for el in path):
                    self.hardened_public = True
                return
            if ext[:4] == p.xprv and ext[45] == 0:
                self.keys.append((key, True))
                return
        raise DescError("key '%s' is not valid" % key)

    @staticmethod
    def _path_elem(el, allow_star):
        num = el[:-1] if el[-1:] in ("'", "h", "H") else el
        if not num.isdigit() or int(num) >= 2**31:
            raise DescError("Key path value '%s' is not a valid uint31" % el)

    def _publicize(self, body):
        """The body with private keys replaced by their public form."""
        p = CHAINS[self.chain]

        def repl(m):
            tok = m.group(0)
            wif = b58check_decode(tok, 34)
            if wif is not None and wif[0] == p.wif and len(wif) in (33, 34):
                return pubkey_of(wif[1:33], compressed=len(wif) == 34).hex()
            ext = b58check_decode(tok, 78)
            if ext is not None and len(ext) == 78 and ext[:4] == p.xprv:
                pub = pubkey_of(ext[46:78])
                return b58check_encode(p.xpub + ext[4:45] + pub)
            return tok
        return re.sub(r"[1-9A-HJ-NP-Za-km-z]{50,}", repl, body)

    # -- facts
    def has_private(self):
        return any(priv for _, priv in self.keys)

    def is_single_type(self):
        return self.func != "combo"

    def output_type(self):
        f = self.func
        if f == "wpkh" or f == "wsh":
            return "bech32"
        if f in ("tr", "rawtr"):
            return "bech32m"
        if f == "pkh":
            return "legacy"
        if f == "sh":
            return "p2sh-segwit" if self.inner in ("wpkh", "wsh") else "legacy"
        if f == "addr":
            dest, _ = decode_address(self.addr, self.chain)
            return dest.output_type()
        return None

    def derive(self, index):
        """Fake addresses for position `index` (a list: combo gives three)."""
        if self.func == "addr":
            return [self.addr]
        return [a for a, _ in self.derive_dests(index)]

    def derive_dests(self, index):
        """(address, Dest) for each address of position `index` (not addr())."""
        if self.func in ("addr", "raw", "pk", "multi", "sortedmulti", "multi_a", "sortedmulti_a"):
            return []
        h = sha256(("%s/%d" % (self.public_body, index if self.ranged else 0)).encode())
        kinds = {"wpkh": ["wpkh"], "pkh": ["pkh"], "wsh": ["wsh"], "tr": ["tr"], "rawtr": ["tr"],
                 "combo": ["pkh", "wpkh", "sh"]}.get(self.func)
        if self.func == "sh":
            kinds = ["sh"]
        out = []
        for k in kinds:
            prog = h if k in ("wsh", "tr") else h[:20]
            witver = {"wpkh": 0, "wsh": 0, "tr": 1}.get(k)
            dest = Dest(k, prog, witver)
            out.append((encode_dest(dest, self.chain), dest))
        return out


def parse_descriptor(s, chain, require_checksum):
    body = check_checksum(s, require_checksum)
    return Descriptor(body, chain).parse()


def make_xprv(chain, seed):
    """A well-formed extended private key for the wallet's own descriptors."""
    p = CHAINS[chain]
    k = int.from_bytes(sha256(b"key" + seed), "big") % (_N - 1) + 1
    chaincode = sha256(b"chaincode" + seed)
    return b58check_encode(p.xprv + b"\x00" + b"\x00" * 4 + b"\x00" * 4 + chaincode + b"\x00" + k.to_bytes(32, "big"))


# --------------------------------------------------------------- the model

class Block:
    def __init__(self, hash_, height, prev, t):
        self.hash = hash_
        self.height = height
        self.prev = prev
        self.time = t
        self.txids = []
        self.active = True


class Tx:
    def __init__(self, txid, wtxid, hex_, outputs, prevouts, replaceable, t):
        self.txid = txid
        self.wtxid = wtxid
        self.hex = hex_
        self.outputs = outputs          # [(address or None, sat, script bytes)]
        self.prevouts = prevouts        # [(32-byte txid, n)]
        self.replaceable = replaceable
        self.time = t
        self.block = None               # hash of the active block holding it
        self.in_mempool = False


def _varint(n):
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    return b"\xfe" + n.to_bytes(4, "little")


def serialize_tx(prevouts, outputs, sequence, locktime, witness=True):
    ins = b"".join(h + n.to_bytes(4, "little") + b"\x00" + sequence.to_bytes(4, "little")
                   for h, n in prevouts)
    outs = b"".join(sat.to_bytes(8, "little") + _varint(len(spk)) + spk for _, sat, spk in outputs)
    core = _varint(len(prevouts)) + ins + _varint(len(outputs)) + outs
    lock = locktime.to_bytes(4, "little")
    legacy = (2).to_bytes(4, "little") + core + lock
    if not witness:
        return legacy, legacy
    wit = b""
    for h, n in prevouts:
        sig = b"\x30" + sha256(b"sig" + h + bytes([n]))[:32] * 2 + b"\x01"  # 66-byte stand-in
        pub = b"\x02" + sha256(b"pub" + h)
        wit += b"\x02" + _varint(len(sig)) + sig + _varint(len(pub)) + pub
    full = (2).to_bytes(4, "little") + b"\x00\x01" + core + wit + lock
    return legacy, full


def make_tx(outputs, prevouts=None, replaceable=True, nonce=0, t=None):
    """A transaction with real-looking serialization: txid and wtxid are
    the double-SHA256 of its hex, so they are consistent with `hex`."""
    if prevouts is None:
        prevouts = [(os.urandom(32), int.from_bytes(os.urandom(1), "big") % 4)]
    seq = 0xFFFFFFFD if replaceable else 0xFFFFFFFE
    legacy, full = serialize_tx(prevouts, outputs, seq, nonce)
    txid = sha256d(legacy)[::-1].hex()
    wtxid = sha256d(full)[::-1].hex()
    return Tx(txid, wtxid, full.hex(), outputs, prevouts, replaceable, t or int(time.time()))


class WalletDesc:
    def __init__(self, desc, timestamp, range_start, range_end, next_index, active, internal, label):
        self.desc = desc                # Descriptor
        self.timestamp = timestamp
        self.range_start = range_start
        self.range_end = range_end      # exclusive
        self.next_index = next_index
        self.active = active
        self.internal = internal
        self.label = label
        self.derived_to = range_start   # addresses derived so far (exclusive)

    def text(self):
        return add_checksum(self.desc.public_body)

    def private_text(self):
        return add_checksum(self.desc.body)


class WalletTx:
    def __init__(self, txid, t):
        self.txid = txid
        self.time_received = t
        self.is_send = False
        self.send_vouts = []
        self.change_vouts = []
        self.fee = 0
        self.map_value = {}             # comment, to, replaced_by_txid, replaces_txid
        self.abandoned = False


class Wallet:
    def __init__(self, name, private_keys=True, blank=False, avoid_reuse=False, passphrase=""):
        self.name = name
        self.private_keys = private_keys
        self.blank = blank
        self.avoid_reuse = avoid_reuse
        self.encrypted = bool(passphrase)
        self.descs = []                 # [WalletDesc]
        self.active = {}                # (output type, internal) -> WalletDesc
        self.owned = {}                 # address -> (WalletDesc, index)
        self.labels = {}                # address -> label (address book)
        self.txs = {}                   # txid -> WalletTx, in insertion order
        self.base_sat = 0               # spendable coins not modelled as transactions
        self.birth = int(time.time())

    def add_desc(self, wd, keypool):
        # replace an earlier import of the same descriptor
        self.descs = [d for d in self.descs if d.desc.public_body != wd.desc.public_body]
        self.descs.append(wd)
        self.topup(wd, keypool)

    def topup(self, wd, keypool):
        """Derive the addresses of the descriptor's range, keeping `keypool`
        unused ones ahead of next_index like DescriptorScriptPubKeyMan::TopUp."""
        if wd.desc.ranged:
            wd.range_end = max(wd.range_end, wd.next_index + keypool)
            end = wd.range_end
        else:
            end = 1
        for i in range(max(wd.derived_to, wd.range_start if wd.desc.ranged else 0), end):
            for a in wd.desc.derive(i):
                self.owned[a] = (wd, i)
        wd.derived_to = max(wd.derived_to, end)

    def can_get_addresses(self):
        return any(d.active and not d.internal and d.desc.ranged for d in self.active.values())
