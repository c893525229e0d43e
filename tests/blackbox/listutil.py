"""Rows written straight into the database for the listing, export and
metrics tests: thousands of invoices and refunds with chosen timestamps, far
faster than through the API."""
import json
import os

import psycopg2

ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def new_id(prefix):
    """An id as qpayd makes them (api/ids.c): prefix and 26 characters."""
    raw = int.from_bytes(os.urandom(17), "big")
    body = "".join(ID_ALPHABET[(raw >> (5 * i)) & 31] for i in range(26))
    return prefix + body


def connect(cluster, dbname):
    conn = psycopg2.connect(cluster.url(dbname))
    conn.autocommit = True
    return conn


def insert_invoice(cur, store="main", amount=10000, status="unpaid", created_at="now()",
                   paid_at=None, metadata=None, description=None, expires_at=None, paid=None,
                   inv_id=None):
    """One invoice; created_at and paid_at are SQL expressions. Returns its id."""
    inv_id = inv_id or new_id("inv_")
    if status in ("paid", "underpaid", "overpaid", "refunded") and paid_at is None:
        paid_at = created_at
    if paid is None:
        paid = amount if paid_at is not None else 0
    cur.execute(
        f"INSERT INTO invoices (id, store_id, amount_sats, amount_paid_sats, status, "
        f" description, metadata, expires_at, paid_at, created_at) "
        f"VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, {expires_at or 'NULL'}, "
        f" {paid_at or 'NULL'}, {created_at})",
        (inv_id, store, amount, paid, status, description,
         None if metadata is None else json.dumps(metadata)))
    return inv_id


def insert_refunds(cur, invoice_id, n, store="main", amount=1000, status="canceled",
                   created_at="now()", step="1 second", reference=None, backend="bitcoin",
                   destination=None, extra=None):
    """n refunds of invoice_id in one statement, the k-th created at
    created_at + k * step. canceled refunds commit nothing, so any number
    fits one invoice. extra: more column = SQL expression pairs. Returns
    their ids in creation order."""
    ids = [new_id("rf_") for _ in range(n)]
    dtype = "bitcoin_address" if backend == "bitcoin" else "lightning_address"
    if destination is None:
        destination = ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4" if backend == "bitcoin"
                       else "alice@example.com")
    cols = {"status": "%(status)s",
            "completed_at": "CASE WHEN %(status)s IN ('succeeded','failed','canceled') "
                            "THEN now() END",
            "failure_reason": "CASE WHEN %(status)s = 'failed' THEN 'no route' END",
            "processing_started_at": "CASE WHEN %(status)s IN ('processing','succeeded') "
                                     "THEN now() END",
            "tx_id": "CASE WHEN %(status)s = 'succeeded' THEN repeat('ab', 32) END"}
    cols.update(extra or {})
    names = ", ".join(cols)
    values = ", ".join(cols.values())
    cur.execute(
        f"INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
        f" destination_type, payout_backend, reference, created_at, {names}) "
        f"SELECT ids.id, %(store)s, %(inv)s, %(amount)s, %(dest)s, %(dtype)s, %(backend)s, "
        f"       %(ref)s, ({created_at})::timestamptz + (ids.k - 1) * %(step)s::interval, "
        f"       {values} "
        f"  FROM unnest(%(ids)s::text[]) WITH ORDINALITY AS ids(id, k)",
        {"store": store, "inv": invoice_id, "amount": amount, "dest": destination,
         "dtype": dtype, "backend": backend, "ref": reference, "step": step, "ids": ids,
         "status": status})
    return ids
