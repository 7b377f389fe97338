"""The baseline for the vote benchmark: the least a Flask app can do to record a vote — read one
form field, insert one row into SQLite (same pragmas as the platform: WAL, synchronous=NORMAL,
busy timeout), answer JSON. Served by gunicorn exactly like the platform.

``BASELINE_DB`` is the SQLite file (created on first use).
"""
from __future__ import annotations

import os
import sqlite3
import threading

from flask import Flask, jsonify, request

app = Flask(__name__)
_local = threading.local()


def _db() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(os.environ["BASELINE_DB"], timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("CREATE TABLE IF NOT EXISTS vote (id INTEGER PRIMARY KEY, entry_id INTEGER NOT NULL, "
                     "voter TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)")
        _local.conn = conn
    return conn


@app.get("/")
def ready():
    return jsonify(ok=True)


@app.post("/vote")
def vote():
    entry_id = request.form.get("entry_id", type=int)
    if entry_id is None:
        return jsonify(ok=False, error="entry_id"), 400
    _db().execute("INSERT INTO vote (entry_id, voter) VALUES (?, ?)",
                  (entry_id, request.cookies.get("voter", "")))
    return jsonify(ok=True)


def count_rows(path: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM vote").fetchone()[0]
    finally:
        conn.close()
