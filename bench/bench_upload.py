"""A 1 GB video upload through the real streaming endpoint (``PUT /videos/<id>/file``, raw body,
logged-in unit, CSRF header), sent by a streaming client that never holds the file in memory.

Measures the gunicorn worker's peak RSS growth during the upload (VmHWM reset before, read after;
VmRSS sampled every 20 ms as a cross-check) — target ≤ 64 MB whatever the file size — and the
upload's MB/s as a ratio to copying the same file on the same disk.

The file is a real, valid video (150 s, 1080×1920, H.264/AAC, ``moov`` first) followed by an MP4
``free`` box that pads it to 1,000,000,000 bytes; the padding is a sparse hole, so making the file
is instant and ffprobe still accepts it. Run: ``.venv/bin/python bench/bench_upload.py``.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import statistics
import struct
import sys
import threading
import time
from pathlib import Path

import harness
from harness import Row, Server, log, print_table, proc_status_kb, reset_peak_rss

import data

SIZE = int(os.environ.get("BENCH_UPLOAD_BYTES", str(1_000_000_000)))
CHUNK = 1024 * 1024
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "Bench2024pw"


def make_big_video(path: Path, size: int) -> Path:
    """A valid faststart MP4 padded to ``size`` bytes with a trailing ``free`` box (a sparse hole)."""
    from tests.video_support import make_video

    small = make_video(path.with_name("small.mp4"), faststart=True)
    head = small.read_bytes()
    pad = size - len(head)
    assert 8 <= pad < 2 ** 32, pad
    with open(path, "wb") as fh:
        fh.write(head)
        fh.write(struct.pack(">I4s", pad, b"free"))
        fh.truncate(size)
    small.unlink()
    return path


class Client:
    """A keep-alive client with cookies; ``put_file`` streams the body in 1 MiB blocks."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600, blocksize=CHUNK)
        self.cookies: dict[str, str] = {}

    def _hdrs(self, extra: dict) -> dict:
        h = dict(extra)
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return h

    def request(self, method: str, path: str, body=None, headers=None):
        self.conn.request(method, path, body=body, headers=self._hdrs(headers or {}))
        resp = self.conn.getresponse()
        payload = resp.read()
        for value in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp.status, payload

    def login(self, username: str, password: str) -> None:
        from urllib.parse import urlencode

        status, body = self.request("GET", "/login")
        token = CSRF_RE.search(body.decode()).group(1)
        status, body = self.request("POST", "/login", urlencode(
            {"csrf_token": token, "username": username, "password": password}),
            {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 302, (status, body[:300])

    def token_from(self, path: str) -> str:
        status, body = self.request("GET", path)
        assert status == 200, (status, body[:300])
        return CSRF_RE.search(body.decode()).group(1)

    def put_file(self, path: str, file: Path, token: str) -> tuple[int, dict]:
        with open(file, "rb") as fh:
            status, body = self.request("PUT", path, fh, {
                "Content-Type": "video/mp4", "Content-Length": str(file.stat().st_size),
                "X-CSRFToken": token, "X-File-Name": "bench.mp4", "Accept": "application/json"})
        return status, json.loads(body)


def copy_speed(src: Path, dest: Path, *, fsync: bool) -> float:
    """MB/s of copying ``src`` to ``dest`` on the same disk (optionally flushed to the disk)."""
    t = time.perf_counter()
    shutil.copyfile(src, dest)
    if fsync:
        with open(dest, "rb+") as fh:
            os.fsync(fh.fileno())
    seconds = time.perf_counter() - t
    dest.unlink()
    return src.stat().st_size / 1e6 / seconds


def main() -> int:
    from contest.accounts.models import Role
    from contest.accounts.services import create_user
    from contest.contests.models import Phase
    from contest.core.timeutil import utcnow
    from tests import factories as f

    work = data.bench_workdir("upload")
    (work / "uploads").mkdir()
    big = make_big_video(work / "uploads" / "source-1gb.mp4", SIZE)
    log(f"made {big.stat().st_size:,} bytes ({big.stat().st_blocks * 512 / 1e6:.1f} MB on disk)")
    app = data.make_app(work)
    with app.app_context():
        now = utcnow()
        contest = f.make_contest(schedule=f.open_schedule(Phase.SUBMISSION, now=now), now=now, title="上传基准")
        unit = f.make_unit(name="上传基准单位")
        create_user(username="bench_unit", password=PASSWORD, role=Role.UNIT, unit=unit, actor=None, now=now)
        video = f.make_video(contest, unit, submitted=False, title="上传基准视频")
        video_id = video.id
        from contest.extensions import db
        db.session.commit()

    # The store writes through the page cache without fsync, like a plain copy; the flushed copy
    # is shown too, as the disk's own speed.
    copies = [(copy_speed(big, work / "uploads" / "copy.mp4", fsync=False),
               copy_speed(big, work / "uploads" / "copy.mp4", fsync=True)) for _ in range(3)]
    baseline = statistics.median(c[0] for c in copies)
    flushed = statistics.median(c[1] for c in copies)
    log(f"disk copy: {baseline:.0f} MB/s, with fsync {flushed:.0f} MB/s")

    env = {"BENCH_APP_CONFIG": json.dumps(data.app_config(work))}
    with Server("wsgi_contest:app", env=env, workers=1, ready_path="/login", timeout=900) as srv:
        client = Client(srv.port)
        client.login("bench_unit", PASSWORD)
        token = client.token_from(f"/videos/{video_id}/edit")
        worker = srv.worker_pids()[0]
        rss_before = proc_status_kb(worker, "VmRSS")
        hwm_reset = reset_peak_rss(worker)
        samples = [rss_before]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                try:
                    samples.append(proc_status_kb(worker, "VmRSS"))
                except (OSError, KeyError):
                    return
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t = time.perf_counter()
        status, payload = client.put_file(f"/videos/{video_id}/file", big, token)
        seconds = time.perf_counter() - t
        stop.set()
        sampler.join()
        hwm = proc_status_kb(worker, "VmHWM")
    log(f"upload: HTTP {status} {payload.get('message') or payload.get('reasons')} in {seconds:.1f} s")
    with app.app_context():
        from contest.extensions import db
        from contest.submissions.models import Video
        stored = db.session.get(Video, video_id).video_file
        stored_size = stored.size if stored else None
    growth_sampled = (max(samples) - rss_before) / 1024
    growth_hwm = (hwm - rss_before) / 1024 if hwm_reset else None
    growth = max(growth_sampled, growth_hwm or 0)
    rows = [
        Row("peak worker RSS growth during the upload", growth, "MB", None, "<= 64", on_ratio=False),
        Row("upload speed vs. copying the file", SIZE / 1e6 / seconds, "MB/s", baseline),
        Row("upload speed vs. copying + fsync", SIZE / 1e6 / seconds, "MB/s", flushed),
    ]
    print_table("Video upload (1 GB)", rows, notes=[
        f"{SIZE:,} bytes: a valid 150 s 1080×1920 H.264/AAC MP4 padded with a sparse `free` box; "
        f"streamed by http.client in 1 MiB blocks to PUT /videos/<id>/file (logged-in unit, CSRF header)",
        f"answer: HTTP {status}, stored file size {stored_size:,}" if stored_size else f"answer: HTTP {status} {payload}",
        f"worker RSS before {rss_before / 1024:.1f} MB; VmHWM growth "
        f"{'%.1f MB' % growth_hwm if growth_hwm is not None else 'n/a (clear_refs not allowed)'}; "
        f"sampled VmRSS growth {growth_sampled:.1f} MB ({len(samples)} samples)",
        f"upload time {seconds:.1f} s includes SHA-256 hashing, ffprobe and the poster; baseline: "
        f"median of 3 shutil.copyfile of the same file on the same disk (the store does not fsync either), and the same "
        f"copy followed by fsync",
        f"gunicorn 1 sync worker; database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}",
    ])
    shutil.rmtree(work, ignore_errors=True)
    return 0 if status == 200 and stored_size == SIZE and growth <= 64 else 1


if __name__ == "__main__":
    sys.exit(main())
