"""Bech32 encoding and decoding and bolt11 encoding for tests and fakes
(standard library only).

bolt11 invoices made here have a well-formed but unverifiable signature:
qpayd checks an invoice's format, checksum, network, amount and expiry, not
its signature (it has no secp256k1), so fresh test invoices are enough."""
import base64
import functools
import hashlib
import operator
import os
import time

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32M_CONST = 0x2BC830A3
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
# For each value of the checksum's top 5 bits, the XOR of the generators those
# bits select: one lookup per value instead of five tests.
_GEN_TABLE = tuple(functools.reduce(operator.xor, (g for i, g in enumerate(_GEN) if top >> i & 1),
                                    0) for top in range(32))
# bytes.translate tables: 5-bit values <-> CHARSET, and RFC 4648 base32
# letters -> 5-bit values (base32 groups bits exactly as convertbits(8, 5) does).
_TO_CHARSET = bytes.maketrans(bytes(range(32)), CHARSET.encode())
_FROM_CHARSET = bytes(CHARSET.find(chr(i)) & 0xFF for i in range(256))  # 0xFF: not in CHARSET
_FROM_BASE32 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", bytes(range(32)))


def _polymod(values, chk=1):
    table = _GEN_TABLE
    for v in values:
        chk = ((chk & 0x1FFFFFF) << 5) ^ v ^ table[chk >> 25]
    return chk


def _hrp_expand(hrp):
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


@functools.lru_cache(maxsize=256)
def _hrp_polymod(hrp):
    """The checksum state after the expanded hrp (a handful of hrps recur)."""
    return _polymod(_hrp_expand(hrp))


def bech32_encode(hrp, data, m=False):
    if data and (min(data) < 0 or max(data) > 31):
        raise ValueError("bech32 data values are 5-bit")
    const = BECH32M_CONST if m else 1
    poly = _polymod((0, 0, 0, 0, 0, 0), _polymod(data, _hrp_polymod(hrp))) ^ const
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + bytes(data + checksum).translate(_TO_CHARSET).decode()


def bech32_decode(s):
    """(hrp, data words without checksum, "bech32"|"bech32m") or None; no
    length limit (bolt11 invoices and LNURLs are longer than 90 characters)."""
    # printable ASCII without the space: every character in 33..126
    if not s or not s.isascii() or not s.isprintable() or " " in s:
        return None
    if s.lower() != s and s.upper() != s:
        return None
    s = s.lower()
    pos = s.rfind("1")
    if pos < 1 or pos + 7 > len(s):
        return None
    hrp = s[:pos]
    data = s[pos + 1:].encode().translate(_FROM_CHARSET)
    if 0xFF in data:
        return None
    const = _polymod(data, _hrp_polymod(hrp))
    if const == 1:
        return hrp, list(data[:-6]), "bech32"
    if const == BECH32M_CONST:
        return hrp, list(data[:-6]), "bech32m"
    return None


def convertbits(data, frombits, tobits, pad=True):
    if frombits == 8 and tobits == 5 and pad and isinstance(data, (bytes, bytearray, list, tuple)):
        try:
            raw = bytes(data)
        except (TypeError, ValueError):  # not all bytes: the general loop below
            pass
        else:
            return list(base64.b32encode(raw).rstrip(b"=").translate(_FROM_BASE32))
    acc = bits = 0
    ret = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if pad and bits:
        ret.append((acc << (tobits - bits)) & maxv)
    return ret


def segwit_address(hrp, version, program):
    return bech32_encode(hrp, [version] + convertbits(program, 8, 5), m=version > 0)


def _int_to_5bit(value, length):
    return [(value >> (5 * (length - 1 - i))) & 31 for i in range(length)]


def _tagged(tag, data5):
    return [CHARSET.index(tag)] + _int_to_5bit(len(data5), 2) + data5


PREFIX = {"mainnet": "lnbc", "testnet": "lntb", "signet": "lntbs", "regtest": "lnbcrt"}


def _amount_hrp(msat):
    if msat is None:
        return ""
    # pico-bitcoin: 1 msat = 10 pBTC
    pico = msat * 10
    for unit, div in (("m", 10**9), ("u", 10**6), ("n", 10**3)):
        if pico % div == 0:
            return f"{pico // div}{unit}"
    return f"{pico}p"


SECP_P = 2**256 - 2**32 - 977
SECP_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


_R_POOL = []  # r values found so far


def plausible_signature():
    """64 bytes r||s plus recovery id 0, where r is the x of a curve point and
    both are below the group order: what qpayd's parser checks. Finding an r
    takes a modular exponentiation or two and nothing verifies signatures, so
    after 32 the r values are reused (s stays random)."""
    if len(_R_POOL) < 32:
        while True:
            r = int.from_bytes(os.urandom(32), "big")
            if 0 < r < SECP_N and pow((r**3 + 7) % SECP_P, (SECP_P - 1) // 2, SECP_P) == 1:
                break
        _R_POOL.append(r)
    else:
        r = _R_POOL[os.urandom(1)[0] % len(_R_POOL)]
    s = int.from_bytes(os.urandom(32), "big") % (SECP_N - 1) + 1
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + b"\x00"


def make_bolt11(network="regtest", amount_msat=None, expiry=3600, payment_hash=None,
                timestamp=None, preimage=None):
    """Returns (invoice, payment_hash_hex, preimage_hex)."""
    if preimage is None:
        preimage = os.urandom(32)
    if payment_hash is None:
        payment_hash = hashlib.sha256(preimage).digest()
    ts = int(time.time()) if timestamp is None else timestamp
    data = _int_to_5bit(ts, 7)
    data += _tagged("p", convertbits(payment_hash, 8, 5))
    data += _tagged("d", convertbits(b"qpayd test refund", 8, 5))
    data += _tagged("x", _int_to_5bit(expiry, 4) if expiry >= 1 << 15 else _int_to_5bit(expiry, 3))
    data += convertbits(plausible_signature(), 8, 5)  # signature + recovery id
    hrp = PREFIX[network] + _amount_hrp(amount_msat)
    return bech32_encode(hrp, data), payment_hash.hex(), preimage.hex()


def p2wpkh(network="regtest", program=None):
    hrp = {"mainnet": "bc", "testnet": "tb", "signet": "tb", "regtest": "bcrt"}[network]
    return segwit_address(hrp, 0, list(program or os.urandom(20)))


def p2tr(network="regtest", program=None):
    hrp = {"mainnet": "bc", "testnet": "tb", "signet": "tb", "regtest": "bcrt"}[network]
    return segwit_address(hrp, 1, list(program or os.urandom(32)))
