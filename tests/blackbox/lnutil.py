"""Bech32 and bolt11 encoding for tests and fakes (standard library only).

bolt11 invoices made here have a well-formed but unverifiable signature:
qpayd checks an invoice's format, checksum, network, amount and expiry, not
its signature (it has no secp256k1), so fresh test invoices are enough."""
import hashlib
import os
import time

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32M_CONST = 0x2BC830A3


def _polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def _hrp_expand(hrp):
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def bech32_encode(hrp, data, m=False):
    const = BECH32M_CONST if m else 1
    poly = _polymod(_hrp_expand(hrp) + data + [0] * 6) ^ const
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in data + checksum)


def convertbits(data, frombits, tobits, pad=True):
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


def plausible_signature():
    """64 bytes r||s plus recovery id 0, where r is the x of a curve point and
    both are below the group order: what qpayd's parser checks."""
    while True:
        r = int.from_bytes(os.urandom(32), "big")
        if 0 < r < SECP_N and pow((r**3 + 7) % SECP_P, (SECP_P - 1) // 2, SECP_P) == 1:
            break
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
