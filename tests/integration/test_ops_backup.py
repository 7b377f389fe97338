"""Backups: ``contest backup DEST`` while the site serves, ``contest restore SRC`` into a fresh database."""
from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from contest.accounts.models import Role, User
from contest.core.models import AuditLog
from contest.extensions import db
from contest.media import storage
from contest.media.models import StoredFile
from tests.factories import PASSWORD, make_case, make_contest, make_organizer, make_unit, make_user
from tests.servers import HttpClient, cluster, redis_server  # noqa: F401  (fixtures)


def seed_material(app, n_files: int = 4) -> list[StoredFile]:
    contest = make_contest()
    unit = make_unit(name="雁塔区信用办")
    files = []
    for i in range(n_files):
        body = b"%PDF-1.4\n" + os.urandom(200_000 + i)
        received = storage.receive(io.BytesIO(body), upload_root=app.config["UPLOAD_ROOT"], max_bytes=10**7)
        files.append(storage.commit(received, upload_root=app.config["UPLOAD_ROOT"], purpose="scan",
                                    type_code="pdf", original_name=f"盖章扫描件{i}.pdf", unit_id=unit.id))
        make_case(contest, unit, title=f"信用承诺案例{i}", scan_file_id=files[-1].id)
    db.session.commit()
    return files


def table_rows(engine, table: str, columns: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(f'SELECT {columns} FROM "{table}" ORDER BY id'))]


def run_cli(app, *args):
    result = app.test_cli_runner().invoke(args=["contest", *args])
    return result.exit_code, result.output


@pytest.mark.slow
def test_backup_while_serving_restores_a_consistent_copy(app, cluster, make_app, fresh_database, tmp_path):
    files = seed_material(app)
    users = [make_user(Role.UNIT, username=f"storm{i}") for i in range(4)]
    make_organizer(username="boss")
    db.session.commit()
    (server,) = cluster(1, LOGIN_RATE_LIMIT="100000 per minute")

    stop = threading.Event()
    done = {u.username: 0 for u in users}

    def storm(username):
        # One thread per account: its logins are sequential, so its last_login_at is its newest audit row.
        client = HttpClient(server.base_url)
        while not stop.is_set():
            client.cookies.clear()
            if client.login(username, PASSWORD).status == 302:
                done[username] += 1

    threads = [threading.Thread(target=storm, args=(u.username,)) for u in users]
    for t in threads:
        t.start()
    try:
        while sum(done.values()) < 8:
            stop.wait(0.05)
        code, output = run_cli(app, "backup", str(tmp_path / "bk"))
        logins_at_backup_end = sum(done.values())
        while sum(done.values()) < logins_at_backup_end + 4:  # the site kept serving after the backup
            stop.wait(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert code == 0, output
    assert "备份完成" in output and "4 个文件" in output

    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert manifest["dialect"] == db.engine.dialect.name
    assert manifest["missing"] == []
    assert sorted((f["path"], f["size"], f["sha256"]) for f in manifest["files"]) == \
        sorted((f.storage_key, f.size, f.sha256) for f in files)

    compared = [("unit", "id, name"), ("entry", "id, title, unit_id, scan_file_id"),
                ("stored_file", "id, storage_key, size, sha256, original_name")]
    source_rows = {table: table_rows(db.engine, table, cols) for table, cols in compared}
    assert len(source_rows["entry"]) == 4
    live_logins = db.session.execute(sa.select(sa.func.count()).select_from(AuditLog)
                                     .where(AuditLog.action == "login")).scalar_one()
    source_database = db.engine.url.database
    restored_uploads = tmp_path / "restored-uploads"
    target = make_app(SQLALCHEMY_DATABASE_URI=fresh_database, UPLOAD_ROOT=str(restored_uploads))
    with target.app_context():
        code, output = run_cli(target, "restore", str(tmp_path / "bk"))
        assert code == 0, output
        assert "恢复完成" in output
        restored = db.engine
        # Tables nobody wrote during the backup are identical.
        assert restored.url.database != source_database
        for table, cols in compared:
            assert table_rows(restored, table, cols) == source_rows[table]
        # The files are back, byte for byte, under their generated names.
        for f in files:
            assert hashlib.sha256((restored_uploads / f.storage_key).read_bytes()).hexdigest() == f.sha256
        # One snapshot: each account's last login equals its newest login audit entry in the copy.
        with restored.connect() as conn:
            last = dict(conn.execute(sa.select(User.username, User.last_login_at)
                                     .where(User.username.like("storm%"))).all())
            newest = dict(conn.execute(sa.select(User.username, sa.func.max(AuditLog.at))
                                       .join(AuditLog, AuditLog.target_id == User.id)
                                       .where(AuditLog.action == "login", AuditLog.target_type == "user",
                                              User.username.like("storm%")).group_by(User.username)).all())
            copied_logins = conn.execute(sa.select(sa.func.count()).select_from(AuditLog)
                                         .where(AuditLog.action == "login")).scalar_one()
        assert last == newest and len(last) == 4
        assert 8 <= copied_logins < live_logins
        # The restored site works: an account from the backup logs in.
        client = target.test_client()
        assert client.post("/login", data={"username": "boss", "password": PASSWORD}).status_code == 302


def test_restore_refuses_a_database_with_data(app, tmp_path):
    seed_material(app, n_files=1)
    make_organizer(username="boss")
    db.session.commit()
    code, output = run_cli(app, "backup", str(tmp_path / "bk"))
    assert code == 0, output
    code, output = run_cli(app, "restore", str(tmp_path / "bk"))
    assert code == 1
    assert "目标数据库中已有数据" in output


def test_restore_refuses_a_damaged_backup(app, make_app, fresh_database, tmp_path):
    (stored,) = seed_material(app, n_files=1)
    code, output = run_cli(app, "backup", str(tmp_path / "bk"))
    assert code == 0, output
    copy = tmp_path / "bk" / "uploads" / stored.storage_key
    data = bytearray(copy.read_bytes())
    data[100] ^= 0xFF
    copy.write_bytes(bytes(data))
    target = make_app(SQLALCHEMY_DATABASE_URI=fresh_database, UPLOAD_ROOT=str(tmp_path / "restored"))
    with target.app_context():
        code, output = run_cli(target, "restore", str(tmp_path / "bk"))
    assert code == 1
    assert "已损坏" in output
    assert not (tmp_path / "restored" / stored.storage_key).exists()


def test_backup_refuses_a_non_empty_destination(app, tmp_path):
    dest = tmp_path / "old"
    dest.mkdir()
    (dest / "something").write_text("x")
    code, output = run_cli(app, "backup", str(dest))
    assert code == 1
    assert "不是空目录" in output
    assert sorted(p.name for p in dest.iterdir()) == ["something"]


def test_restore_refuses_a_manifest_path_outside_the_upload_folder(app, make_app, fresh_database, tmp_path):
    seed_material(app, n_files=1)
    code, output = run_cli(app, "backup", str(tmp_path / "bk"))
    assert code == 0, output
    manifest_path = tmp_path / "bk" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"][0]["path"] = "../../escaped.pdf"
    manifest_path.write_text(json.dumps(manifest))
    target = make_app(SQLALCHEMY_DATABASE_URI=fresh_database, UPLOAD_ROOT=str(tmp_path / "restored"))
    with target.app_context():
        code, output = run_cli(target, "restore", str(tmp_path / "bk"))
    assert code == 1
    assert "文件路径不合法" in output
    assert not Path(tmp_path / "escaped.pdf").exists()


def test_restored_backup_gives_the_same_ranking(app, make_app, fresh_database, tmp_path):
    from contest.core.cli import contest_cli

    if "rank" not in contest_cli.commands:
        pytest.skip("the ranking (contest rank) is not on this branch yet")
    from tests.factories import add_score_sheet, make_expert

    contest = make_contest()
    experts = [make_expert() for _ in range(3)]
    for i, votes in enumerate([120, 80, 80, 15, 0]):
        case = make_case(contest, passed=True, title=f"信用案例{i}", vote_count=votes)
        for j, expert in enumerate(experts):
            add_score_sheet(expert, case, 60 + (i * 7 + j * 5) % 40)
    db.session.commit()
    rank_args = ["rank", "--contest", str(contest.id), "--kind", "case", "--json"]
    code, output = run_cli(app, *rank_args)
    assert code == 0, output
    before = json.loads(output)
    assert len(before["rows"]) == 5
    code, output = run_cli(app, "backup", str(tmp_path / "bk"))
    assert code == 0, output

    target = make_app(SQLALCHEMY_DATABASE_URI=fresh_database, UPLOAD_ROOT=str(tmp_path / "restored"))
    with target.app_context():
        code, output = run_cli(target, "restore", str(tmp_path / "bk"))
        assert code == 0, output
        code, output = run_cli(target, *rank_args)
        assert code == 0, output
        after = json.loads(output)
    assert after["rows"] == before["rows"]
    assert after["formula"] == before["formula"]
