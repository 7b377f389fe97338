from datetime import datetime, timedelta

import sqlalchemy as sa

from contest.accounts.models import Role
from contest.contests.models import CaptchaMode, Phase
from contest.core.models import AuditLog
from contest.core.timeutil import utcnow
from contest.extensions import db
from contest.voting import monitor, policy
from contest.voting.models import Vote
from tests.factories import add_votes, make_contest, make_expert, make_organizer, make_user, open_schedule
from tests.integration.voting_support import Visitor, count_of, passed_case, voting_contest


def _storm(app, contest, case, n, ip="10.5.5.5"):
    """n votes for one entry from one IP with fresh cookies each time (a cookie-clearing script)."""
    return [Visitor(app, ip=ip).vote(contest.id, case.id).status_code for _ in range(n)]


def _setup(app, clock, n=25):
    clock.set(utcnow().replace(second=10, microsecond=0))  # one minute for the whole storm
    app.config["VOTE_RATE_LIMIT"] = "1000 per minute"
    contest = voting_contest(burst_votes_per_minute=20, ip_votes_per_entry_per_day=50)
    case, other = passed_case(contest, title="被刷票的作品"), passed_case(contest, title="正常作品")
    org = make_organizer()
    db.session.commit()
    assert _storm(app, contest, case, n) == [200] * n
    assert Visitor(app, ip="10.6.6.6").vote(contest.id, other.id).status_code == 200
    return contest, case, other, org


def test_monitor_forbidden_to_non_organizers(app, login_as):
    voting_contest()
    unit, expert = make_user(Role.UNIT), make_expert()
    db.session.commit()
    for user in (unit, expert):
        c = login_as(user)
        assert c.get("/voting/monitor").status_code == 403
        assert c.post("/voting/monitor/void", data={"reason": "x"}).status_code == 403
    assert app.test_client().get("/voting/monitor").status_code == 302


def test_monitor_flags_burst_and_lists_busiest(app, login_as, clock):
    contest, case, other, org = _setup(app, clock)
    page = login_as(org).get("/voting/monitor").get_data(as_text=True)
    assert page.count('<tr class="burst">') == 2  # the IP and its /24
    assert "被刷票的作品" in page
    assert "<strong>25</strong>" in page
    assert 'id="m-valid">26<' in page
    assert "<polyline" in page


def test_no_burst_below_threshold(app, login_as, clock):
    contest, case, other, org = _setup(app, clock, n=20)
    page = login_as(org).get("/voting/monitor").get_data(as_text=True)
    assert '<tr class="burst">' not in page
    assert "没有发现集中投票" in page


def test_void_whole_burst_updates_counts_and_audits(app, login_as, clock):
    contest, case, other, org = _setup(app, clock)
    vote = db.session.scalars(sa.select(Vote).where(Vote.entry_id == case.id)).first()
    c = login_as(org)
    resp = c.post("/voting/monitor/void", data={
        "entry_id": str(case.id), "source_kind": "ip", "source": vote.ip_hash,
        "minute": vote.created_at.strftime("%Y-%m-%dT%H:%M"), "reason": "同一IP一分钟内集中投票"},
        follow_redirects=True)
    assert "已作废 25 票" in resp.get_data(as_text=True)
    assert (count_of(case.id), count_of(other.id)) == (0, 1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote).where(Vote.valid.is_(False))) == 25
    log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "votes_voided"))
    assert log.detail["entries"] == {"被刷票的作品": 25}
    assert log.detail["reason"] == "同一IP一分钟内集中投票"
    again = c.post("/voting/monitor/void", data={
        "entry_id": str(case.id), "source_kind": "ip", "source": vote.ip_hash,
        "minute": vote.created_at.strftime("%Y-%m-%dT%H:%M"), "reason": "再来一次"})
    assert again.status_code == 400
    assert count_of(case.id) == 0
    page = app.test_client().get(f"/vote/{contest.id}/entry/{case.id}").get_data(as_text=True)
    assert '<strong class="vote-count" id="vote-count">0</strong>' in page


def test_void_selected_votes(app, login_as, clock):
    contest, case, other, org = _setup(app, clock)
    ids = list(db.session.scalars(sa.select(Vote.id).where(Vote.entry_id == case.id).order_by(Vote.id).limit(3)))
    c = login_as(org)
    resp = c.post("/voting/monitor/void", data={"vote_ids": [str(i) for i in ids], "reason": "核实为机器投票"},
                  follow_redirects=True)
    assert "已作废 3 票" in resp.get_data(as_text=True)
    assert count_of(case.id) == 22


def test_void_needs_reason_and_votes(app, login_as, clock):
    contest, case, other, org = _setup(app, clock)
    vid = db.session.scalar(sa.select(Vote.id).where(Vote.entry_id == case.id).limit(1))
    c = login_as(org)
    no_reason = c.post("/voting/monitor/void", data={"vote_ids": [str(vid)], "reason": ""})
    assert no_reason.status_code == 400
    assert "请填写作废原因。" in no_reason.get_data(as_text=True)
    nothing = c.post("/voting/monitor/void", data={"reason": "x"})
    assert nothing.status_code == 400
    assert "请先选择要作废的投票。" in nothing.get_data(as_text=True)
    garbage = c.post("/voting/monitor/void", data={"vote_ids": ["abc"], "minute": "zzz", "reason": "x"})
    assert garbage.status_code == 400
    assert "提交的内容有误，请刷新页面后重试。" in garbage.get_data(as_text=True)
    assert count_of(case.id) == 25


def test_burst_detail_lists_votes(app, login_as, clock):
    contest, case, other, org = _setup(app, clock)
    vote = db.session.scalars(sa.select(Vote).where(Vote.entry_id == case.id)).first()
    page = login_as(org).get("/voting/monitor", query_string={
        "b_entry": case.id, "b_kind": "net", "b_source": vote.net_hash,
        "b_minute": vote.created_at.strftime("%Y-%m-%dT%H:%M")}).get_data(as_text=True)
    assert page.count('name="vote_ids"') == 25


def test_policy_settings_saved_and_audited(app, login_as):
    contest = voting_contest()
    org = make_organizer()
    db.session.commit()
    c = login_as(org)
    assert c.get("/voting/settings").status_code == 200
    data = {"votes_per_entry_per_day": "1", "votes_per_voter_per_day": "5", "ip_votes_per_entry_per_day": "80",
            "captcha_mode": "always", "captcha_after": "0", "show_counts": "y", "burst_votes_per_minute": "15"}
    assert c.post("/voting/settings", data=data).status_code == 302
    db.session.expire_all()
    assert (contest.votes_per_voter_per_day, contest.captcha_mode.value, contest.phone_verification,
            contest.burst_votes_per_minute) == (5, "always", False, 15)
    log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "contest_updated").order_by(AuditLog.id.desc()))
    assert log.detail["voting_policy"]["votes_per_voter_per_day"] == [10, 5]
    bad = c.post("/voting/settings", data=dict(data, votes_per_voter_per_day="0"))
    assert bad.status_code == 400
    assert "请填写1到1000之间的整数。" in bad.get_data(as_text=True)
    inverted = c.post("/voting/settings", data=dict(data, votes_per_entry_per_day="3", votes_per_voter_per_day="2"))
    assert inverted.status_code == 400
    assert "不能小于" in inverted.get_data(as_text=True)
    assert c.post("/voting/settings", data={}).status_code == 400
    unit = make_user(Role.UNIT)
    db.session.commit()
    assert login_as(unit).get("/voting/settings").status_code == 403


def test_hourly_series_counts_valid_votes_per_clock_hour(app, login_as, clock):
    now = clock.set(datetime(2024, 5, 10, 6, 30, 15))  # window: 2024-05-09 07:00 <= t < 2024-05-10 07:00 (UTC)
    elsewhere = passed_case(voting_contest())  # another contest: its votes never count here
    # The contest whose voting runs at the frozen clock (the other one's schedule is around the real
    # time): the one the monitor page shows an organizer who has not picked a contest.
    contest = make_contest(schedule=open_schedule(Phase.VOTING, now=now), captcha_mode=CaptchaMode.OFF)
    case, other = passed_case(contest), passed_case(contest)
    org = make_organizer()
    add_votes(elsewhere, 4, now=datetime(2024, 5, 9, 12, 0))
    add_votes(case, 1, now=datetime(2024, 5, 9, 6, 59, 59, 999999))  # just before the window
    add_votes(case, 1, now=datetime(2024, 5, 9, 7, 0))  # exactly the window start: hour 0
    add_votes(case, 1, now=datetime(2024, 5, 9, 7, 59, 59, 999999))  # hour 0
    add_votes(case, 1, now=datetime(2024, 5, 9, 8, 0))  # exactly on the next hour: hour 1
    add_votes(case, 3, now=datetime(2024, 5, 9, 12, 15))  # hour 5
    add_votes(case, 1, valid=False, now=datetime(2024, 5, 9, 12, 20))  # voided: not counted
    add_votes(other, 2, now=datetime(2024, 5, 9, 20, 45))  # hour 13, the other entry
    add_votes(case, 1, now=datetime(2024, 5, 10, 6, 0))  # the current hour: hour 23
    add_votes(case, 1, now=now)  # hour 23
    add_votes(case, 1, now=datetime(2024, 5, 10, 7, 0))  # the end of the window (a clock skew): not counted
    db.session.commit()
    for_case = [2, 1, 0, 0, 0, 3] + [0] * 17 + [2]
    for_all = [2, 1, 0, 0, 0, 3] + [0] * 7 + [2] + [0] * 9 + [2]

    assert monitor.hourly_series(contest, now, case.id) == for_case
    assert monitor.hourly_series(contest, now) == for_all
    assert monitor.hourly_series(contest, now, other.id) == [0] * 13 + [2] + [0] * 10
    assert monitor.hourly_series(contest, now, hours=3) == [0, 0, 2]
    c = login_as(org)
    page = c.get("/voting/monitor").get_data(as_text=True)
    assert f'<polyline class="line" points="{policy.svg_polyline(for_all, 600, 140)}"/>' in page
    page = c.get("/voting/monitor", query_string={"entry_id": case.id}).get_data(as_text=True)
    assert f'<polyline class="line" points="{policy.svg_polyline(for_case, 600, 140)}"/>' in page


def _valid_rows(entry_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Vote).where(
        Vote.entry_id == entry_id, Vote.valid.is_(True)))


def test_void_racing_another_void_of_the_same_votes_lowers_the_count_once(app, login_as, clock):
    """Another organizer's void of the same votes is still uncommitted when this one arrives: this one waits
    for it (row locks on PostgreSQL, the write lock on SQLite), then finds nothing left to void."""
    import threading
    import time

    contest, case, other, org = _setup(app, clock)
    ids = list(db.session.scalars(sa.select(Vote.id).where(Vote.entry_id == case.id).order_by(Vote.id).limit(3)))
    c = login_as(org)
    c.csrf_token()  # fetched now, not while the other transaction holds its locks
    first = db.engine.connect()
    tx = first.begin()
    first.execute(sa.update(Vote).where(Vote.id.in_(ids)).values(valid=False, void_reason="核实为机器投票"))
    first.execute(sa.text("UPDATE entry SET vote_count = vote_count - 3 WHERE id = :id"), {"id": case.id})
    answer = {}

    def second_void():
        resp = c.post("/voting/monitor/void", data={"vote_ids": [str(i) for i in ids], "reason": "同一批投票"})
        answer.update(status=resp.status_code, body=resp.get_data(as_text=True))

    thread = threading.Thread(target=second_void)
    thread.start()
    time.sleep(1.0)  # let the request reach its UPDATE and wait there
    assert thread.is_alive(), f"the second void did not wait for the first: {answer.get('status')}"
    tx.commit()
    first.close()
    thread.join(60)
    assert answer["status"] == 400
    assert "所选投票已全部作废或不存在，无需重复操作。" in answer["body"]
    assert count_of(case.id) == _valid_rows(case.id) == 22


def test_void_twice_in_a_row_voids_once(app, login_as, clock):
    contest, case, other, org = _setup(app, clock)
    ids = [str(i) for i in db.session.scalars(sa.select(Vote.id).where(Vote.entry_id == case.id).limit(4))]
    c = login_as(org)
    first = c.post("/voting/monitor/void", data={"vote_ids": ids, "reason": "核实为机器投票"}, follow_redirects=True)
    assert "已作废 4 票，相关作品的票数已同步更新。" in first.get_data(as_text=True)
    again = c.post("/voting/monitor/void", data={"vote_ids": ids, "reason": "核实为机器投票"})
    assert again.status_code == 400
    assert "所选投票已全部作废或不存在，无需重复操作。" in again.get_data(as_text=True)
    assert count_of(case.id) == _valid_rows(case.id) == 21


def test_summary_counts_only_valid_votes_after_voiding(app, login_as, clock):
    contest, case, other, org = _setup(app, clock)  # 25 votes for case from one IP, 1 for other: 26 voters
    ids = [str(i) for i in db.session.scalars(sa.select(Vote.id).where(Vote.entry_id == case.id).limit(5))]
    c = login_as(org)
    assert c.post("/voting/monitor/void", data={"vote_ids": ids, "reason": "核实为机器投票"}).status_code == 302
    page = c.get("/voting/monitor").get_data(as_text=True)
    assert 'id="m-valid">21<' in page
    assert 'id="m-voided">5<' in page
    assert '今日有效票数</div><div class="num" id="m-today">21<' in page
    assert '今日有效投票人</div><div class="num" id="m-voters-today">21<' in page
