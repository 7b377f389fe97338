"""Voting services: the public list, casting a vote under the contest's policy, captchas, phone codes,
the fraud monitor's queries and voiding. Services flush; the request edge commits."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import NamedTuple, Optional

import sqlalchemy as sa

from contest.accounts.models import User
from contest.contests.models import Contest, Phase
from contest.contests import phases
from contest.contests.services import phase_closed_reason
from contest.core import audit
from contest.core.db import is_unique_violation
from contest.core.prepared import Prepared, integrity_error
from contest.core.timeutil import beijing_date, from_beijing
from contest.extensions import db
from contest.submissions.models import Entry, EntryKind, EntryState, ScreeningStatus, VideoCategory
from contest.voting import policy as pol
from contest.voting.models import CaptchaChallenge, PhoneCode

CAPTCHA_ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"  # no 0/O, 1/I, 2/Z, 5/S, 8/B look-alikes
CAPTCHA_LENGTH = 4
CAPTCHA_TTL = timedelta(minutes=10)
PHONE_CODE_TTL = timedelta(minutes=10)
PHONE_CODE_ATTEMPTS = 5
PHONE_CODE_INTERVAL = timedelta(seconds=60)
PHONE_CODES_PER_DAY = 5  # codes per phone number per contest per Beijing day


NOT_FOUND_MESSAGE = "该作品不存在或未通过初筛，不能投票。"


class VoteRefused(Exception):
    """A refused vote: ``status`` is the HTTP status, ``message`` the Chinese text, ``code`` a stable id."""

    def __init__(self, code: str, status: int, message: str):
        super().__init__(message)
        self.code, self.status, self.message = code, status, message


class VotingError(ValueError):
    """A user-facing refusal outside casting (voiding, phone codes)."""


def policy_of(contest: Contest) -> pol.Policy:
    return pol.Policy(
        per_entry_per_day=contest.votes_per_entry_per_day,
        per_voter_per_day=contest.votes_per_voter_per_day,
        per_ip_per_entry_per_day=contest.ip_votes_per_entry_per_day,
        captcha_mode=contest.captcha_mode.value,
        captcha_after=contest.captcha_after,
        phone_required=contest.phone_verification,
    )


def _public_filter():
    return sa.and_(Entry.state == EntryState.SUBMITTED, Entry.screening_status == ScreeningStatus.PASSED)


# The public list is the most viewed page: its one statement per section runs prepared on the
# session's connection (see bench/README.md §2). Empty ``category``/``like`` mean "no filter"; the
# search finds the words as typed (%, _ and \ are escaped, not wildcards) and ignores case on both
# databases (lower() on both sides, like the ORM's ilike on SQLite).
_PUBLIC_LIST = """
SELECT e.id AS id, e.title AS title, e.vote_count AS vote_count, u.name AS unit_name,
       v.category AS category, v.poster_file_id AS poster_file_id
FROM entry e JOIN unit u ON u.id = e.unit_id LEFT JOIN video v ON v.id = e.id
WHERE e.contest_id = :contest_id AND e.kind = :kind AND e.state = :submitted AND e.screening_status = :passed
  AND (CAST(:category AS VARCHAR(40)) = '' OR v.category = CAST(:category AS VARCHAR(40)))
  AND (CAST(:like AS VARCHAR(200)) = ''
       OR lower(e.title) LIKE lower(CAST(:like AS VARCHAR(200))) ESCAPE '\\'
       OR lower(u.name) LIKE lower(CAST(:like AS VARCHAR(200))) ESCAPE '\\')
ORDER BY {order}
"""
_PUBLIC_LIST_BY_COUNT = Prepared(_PUBLIC_LIST.format(order="e.vote_count DESC, e.id"))
_PUBLIC_LIST_BY_TITLE = Prepared(_PUBLIC_LIST.format(order="e.title, e.id"))


def _like_escaped(text: str) -> str:
    """``text`` for a LIKE pattern with ESCAPE '\\': its own %, _ and \\ match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PublicRow(NamedTuple):
    """One entry of the public list."""
    id: int
    kind: EntryKind
    title: str
    vote_count: int
    unit_name: str
    category: Optional[VideoCategory]
    poster_file_id: Optional[int]


def public_entries(contest: Contest, kind: EntryKind, *, q: str = "",
                   category: Optional[VideoCategory] = None) -> list[PublicRow]:
    """Entries of ``kind`` that passed 初筛, matching the title/unit search and video category,
    most votes first when counts are public, else by title (ties: id).

    Plain rows from one prepared SELECT joined to the unit and the video table: the list page needs
    no ORM objects. Counts are ``entry.vote_count``; the vote table is never counted here."""
    q = (q or "").strip()
    statement = _PUBLIC_LIST_BY_COUNT if contest.show_counts else _PUBLIC_LIST_BY_TITLE
    rows = statement.all_in(db.session, {
        "contest_id": contest.id, "kind": kind.value, "submitted": EntryState.SUBMITTED.value,
        "passed": ScreeningStatus.PASSED.value,
        "category": category.value if category is not None and kind == EntryKind.VIDEO else "",
        "like": f"%{_like_escaped(q)}%" if q else ""})
    return [PublicRow(entry_id, kind, title, votes, unit_name, VideoCategory(cat) if cat else None, poster)
            for entry_id, title, votes, unit_name, cat, poster in rows]


def get_public_entry(contest: Contest, entry_id: int) -> Optional[Entry]:
    """The entry when it belongs to ``contest`` and passed 初筛, else None (the view answers 404)."""
    entry = db.session.get(Entry, entry_id)
    if entry is None or entry.contest_id != contest.id or not entry.is_public:
        return None
    return entry


def is_public_entry(contest_id: int, entry_id: int) -> bool:
    """Whether the entry belongs to the contest and passed 初筛, without loading it (one small SELECT)."""
    return db.session.scalar(sa.select(Entry.id).where(
        Entry.id == entry_id, Entry.contest_id == contest_id, _public_filter())) is not None


def get_previewable_entry(contest: Contest, entry_id: int, user) -> Optional[Entry]:
    """A non-public entry for its own unit or an organizer (a preview of the public page), else None."""
    entry = db.session.get(Entry, entry_id)
    if entry is None or entry.contest_id != contest.id or not getattr(user, "is_authenticated", False):
        return None
    if user.is_organizer or (user.is_unit and entry.unit_id == user.unit_id):
        return entry
    return None


def rank_of(entry: Entry) -> int:
    """1 + the number of public entries of the same kind with more votes (equal counts share a rank)."""
    ahead = db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(
        Entry.contest_id == entry.contest_id, Entry.kind == entry.kind, _public_filter(),
        Entry.vote_count > entry.vote_count))
    return int(ahead or 0) + 1


# The voting window alone (the public pages ask on every view; loading all the contest's windows
# through the ORM cost ~0.8 ms of a list page, see bench/README.md §2).
_VOTING_WINDOW = Prepared(
    "SELECT starts_at, ends_at, override FROM phase_window WHERE contest_id = :contest_id AND phase = :phase",
    columns={"starts_at": sa.DateTime(), "ends_at": sa.DateTime()})


def voting_open(contest: Contest, now: datetime) -> Optional[str]:
    """None when votes are accepted at ``now``, else the Chinese reason (the rule of
    ``contests.services.require_phase_open`` for the voting phase, read from the database)."""
    return _voting_closed_reason(
        _VOTING_WINDOW.first_in(db.session, {"contest_id": contest.id, "phase": Phase.VOTING.value}), now)


def _voting_closed_reason(row: Optional[dict], now: datetime) -> Optional[str]:
    """The rule of ``phase_closed_reason`` for a voting window read as ``starts_at``/``ends_at``/
    ``override`` columns (None or a None start: the contest has no voting window)."""
    window = None if row is None or row["starts_at"] is None else phases.Window(
        Phase.VOTING.value, row["starts_at"], row["ends_at"], row["override"])
    return phase_closed_reason(Phase.VOTING, window, now) or None


@dataclass(frozen=True)
class Cast:
    count: int
    captcha_next: bool
    show_counts: bool


@dataclass(frozen=True)
class Voter:
    """Who votes, as hashes (the service never sees raw IPs or cookie ids)."""
    voter_hash: str
    ip_hash: str
    net_hash: str
    ua_hash: str = ""
    phone_hash: str = ""


def usage_of(contest_id: int, entry_id: int, voter: Voter, day) -> pol.Usage:
    """Today's votes of the voter and of the IP (all rows, voided or not: they used their slot), read by
    the vote's own statement on the session's connection. The IP's count for the whole contest is read
    only when the contest's captcha mode is "after" (the one thing it decides), else it is 0."""
    row = _VOTE_READ.first(db.engine.dialect, db.session.connection().connection.cursor(),
                           _read_params(contest_id, entry_id, voter, day))
    if row is None:
        return pol.Usage()
    return pol.Usage(row["voter_entry"], row["voter_day"], row["ip_entry"], row["ip_day"])


def captcha_needed(contest: Contest, voter: Voter, now: datetime) -> bool:
    """Whether the voter's next vote in ``contest`` needs a captcha (for the page to show it up front)."""
    p = policy_of(contest)
    if p.captcha_mode != pol.CAPTCHA_AFTER:  # off or always: no need to count
        return pol.captcha_required(p, pol.Usage())
    return pol.captcha_required(p, usage_of(contest.id, -1, voter, beijing_date(now)))


# The vote is the platform's hottest path (a city's worth of phones on the last day). It runs three
# prepared statements on one pooled DB-API connection and commits itself: building, cache-keying and
# executing ORM/Core statements cost several times more than the database work (see bench/README.md).
# The SQL is plain enough for SQLite and PostgreSQL alike; the tests run it on both.

# Everything a vote needs to know, read in one statement before any write: the contest's policy,
# its voting window, whether the entry is public in that contest, and today's four usage counts
# (each answered by a unique key or an index of the vote table). Three counts are bounded by their
# caps (a row takes a slot at most the cap); the IP's count for the whole contest is not, and only
# decides the captcha in mode "after", so it is read only then and only up to the largest threshold.
_VOTE_READ = Prepared("""
SELECT c.votes_per_entry_per_day AS per_entry, c.votes_per_voter_per_day AS per_day,
       c.ip_votes_per_entry_per_day AS per_ip, c.captcha_mode AS captcha_mode, c.captcha_after AS captcha_after,
       c.phone_verification AS phone_required, c.show_counts AS show_counts,
       w.starts_at AS starts_at, w.ends_at AS ends_at, w.override AS override,
       (SELECT e.id FROM entry e WHERE e.id = :entry_id AND e.contest_id = c.id
               AND e.state = :submitted AND e.screening_status = :passed) AS public_entry,
       (SELECT count(*) FROM vote v WHERE v.entry_id = :entry_id AND v.voter_hash = :voter AND v.day = :day)
           AS voter_entry,
       (SELECT count(*) FROM vote v WHERE v.contest_id = c.id AND v.voter_hash = :voter AND v.day = :day)
           AS voter_day,
       (SELECT count(*) FROM vote v WHERE v.entry_id = :entry_id AND v.ip_hash = :ip AND v.day = :day)
           AS ip_entry,
       CASE WHEN c.captcha_mode = :after THEN
           (SELECT count(*) FROM (SELECT 1 FROM vote v WHERE v.contest_id = :contest_id AND v.ip_hash = :ip
                                  AND v.day = :day LIMIT :ip_day_max) x)
       ELSE 0 END AS ip_day
FROM contest c LEFT JOIN phase_window w ON w.contest_id = c.id AND w.phase = :phase
WHERE c.id = :contest_id
""", binds={"day": sa.Date()}, columns={"phone_required": sa.Boolean(), "show_counts": sa.Boolean(),
                                        "starts_at": sa.DateTime(), "ends_at": sa.DateTime()})

# The write. The slots are counted again inside the INSERT itself, with the caps as its WHERE: on
# SQLite the INSERT holds the write lock, so it sees every committed vote and concurrent votes for one
# entry from one shared IP do not collide on a stale slot. On PostgreSQL a concurrent duplicate still
# fails on a unique key (the caller retries). No row returned means a cap was reached meanwhile.
_VOTE_INSERT = Prepared("""
INSERT INTO vote (contest_id, entry_id, created_at, day, voter_hash, ip_hash, net_hash, ua_hash, phone_hash,
                  entry_slot, day_slot, ip_slot, valid, void_reason)
SELECT :contest_id, :entry_id, :now, :day, :voter, :ip, :net, :ua, :phone,
       n.entry_n + 1, n.day_n + 1, n.ip_n + 1, :valid, ''
FROM (SELECT (SELECT count(*) FROM vote WHERE entry_id = :entry_id AND voter_hash = :voter AND day = :day)
                 AS entry_n,
             (SELECT count(*) FROM vote WHERE contest_id = :contest_id AND voter_hash = :voter AND day = :day)
                 AS day_n,
             (SELECT count(*) FROM vote WHERE entry_id = :entry_id AND ip_hash = :ip AND day = :day) AS ip_n) n
WHERE n.entry_n < :per_entry AND n.day_n < :per_day AND n.ip_n < :per_ip
RETURNING id
""", binds={"day": sa.Date(), "now": sa.DateTime(), "valid": sa.Boolean()})

# The entry's count moves in the same transaction as the row, so it always equals the valid rows.
# (Entry.updated_at is the unit's last edit: a vote does not touch it.)
_COUNT_UP = Prepared("UPDATE entry SET vote_count = vote_count + 1 WHERE id = :entry_id RETURNING vote_count")

# One-time captcha, one answer per captcha: mark it used when it is unexpired and unused, whatever the
# answer, and return the right answer to compare. One atomic UPDATE, so two requests replaying the same
# captcha cannot both pass, and a wrong guess burns it (it cannot be guessed again and again).
_CAPTCHA_USE = Prepared("""
UPDATE captcha_challenge SET used_at = :now
WHERE token = :token AND used_at IS NULL AND expires_at > :now
RETURNING answer
""", binds={"now": sa.DateTime()})

CASTING_RETRIES = 3


def _read_params(contest_id: int, entry_id: int, voter: Voter, day) -> dict:
    return {"contest_id": contest_id, "entry_id": entry_id, "voter": voter.voter_hash, "ip": voter.ip_hash,
            "day": day, "submitted": EntryState.SUBMITTED.value, "passed": ScreeningStatus.PASSED.value,
            "phase": Phase.VOTING.value, "after": pol.CAPTCHA_AFTER, "ip_day_max": pol.CAPTCHA_AFTER_MAX}


def cast_vote(contest_id: int, entry_id: int, voter: Voter, *, now: datetime, captcha_token: str = "",
              captcha_answer: str = "") -> "Cast":
    """Record one vote and commit it; return the entry's new count of valid votes, whether the next vote
    needs a captcha and whether the contest shows counts.

    Raises VoteRefused (nothing is written, except a wrongly answered captcha's burn): 404 unknown contest,
    unknown or not-passed entry; 409 voting closed, already voted today, or still colliding with concurrent
    votes after three tries; 429 daily cap or per-IP cap; 403 captcha missing/wrong/used or phone not
    verified. One answer per captcha: a right one uses it up with the vote, a wrong one uses it up at once.

    Every read and check runs before the first write, outside the write transaction, in one statement.
    The write is short: consume the captcha when one is needed, INSERT the vote (its unique slot keys
    are what guarantee no double count), UPDATE the entry's count, commit. On SQLite the write lock is
    held for those statements only. A concurrent request that took the same slot first makes the
    INSERT fail on a unique key: then everything is read again and tried again.
    """
    dialect = db.engine.dialect
    unique_clash = integrity_error(dialect)
    conn = db.engine.raw_connection()
    try:
        cursor = conn.cursor()
        for attempt in range(CASTING_RETRIES):
            try:
                return _cast_once(dialect, conn, cursor, contest_id, entry_id, voter, now, captcha_token,
                                  captcha_answer)
            except unique_clash as exc:
                conn.rollback()
                if not is_unique_violation(exc) or attempt == CASTING_RETRIES - 1:
                    raise VoteRefused("conflict", 409, "投票人数较多，您的投票未能完成，请稍后重试。") from exc
            except BaseException:
                conn.rollback()
                raise
    finally:
        conn.close()
    raise AssertionError("unreachable")


def _cast_once(dialect, conn, cursor, contest_id: int, entry_id: int, voter: Voter, now: datetime,
               captcha_token: str, captcha_answer: str) -> "Cast":
    day = beijing_date(now)
    read_params = _read_params(contest_id, entry_id, voter, day)
    row = _VOTE_READ.first(dialect, cursor, read_params)
    if row is None or row["public_entry"] is None:
        raise VoteRefused("not_found", 404, NOT_FOUND_MESSAGE)
    closed = _voting_closed_reason(row, now)
    if closed:
        raise VoteRefused("closed", 409, f"现在不能投票：{closed}")
    p = pol.Policy(per_entry_per_day=row["per_entry"], per_voter_per_day=row["per_day"],
                   per_ip_per_entry_per_day=row["per_ip"], captcha_mode=row["captcha_mode"],
                   captcha_after=row["captcha_after"], phone_required=bool(row["phone_required"]))
    if p.phone_required and not voter.phone_hash:
        raise VoteRefused("phone_required", 403, "本活动要求先验证手机号码后才能投票，请先完成手机验证。")
    usage = pol.Usage(row["voter_entry"], row["voter_day"], row["ip_entry"], row["ip_day"])
    refusal = pol.check(p, usage)
    if refusal:
        raise VoteRefused(refusal.code, refusal.status, refusal.message)
    need_captcha = pol.captcha_required(p, usage)
    if need_captcha and not (captcha_token and captcha_answer):
        raise VoteRefused("captcha_required", 403, "请先填写图片验证码再投票。")
    # --- the write transaction: from here to the commit ---
    if need_captcha:
        answer = _CAPTCHA_USE.scalar(dialect, cursor, {"now": now, "token": captcha_token[:64]})
        if answer is None or not hmac.compare_digest(
                answer.encode(), normalise_answer(captcha_answer)[:12].encode()):
            # The captcha is the only write so far: commit its burn, since the refusal rolls back the rest.
            conn.commit()
            raise VoteRefused("captcha_wrong", 403, "图片验证码错误或已失效，请看清新的验证码后重新输入。")
    vote_id = _VOTE_INSERT.scalar(dialect, cursor, {
        **read_params, "now": now, "net": voter.net_hash, "ua": voter.ua_hash, "phone": voter.phone_hash,
        "valid": True, "per_entry": p.per_entry_per_day, "per_day": p.per_voter_per_day,
        "per_ip": p.per_ip_per_entry_per_day})
    if vote_id is None:
        # A cap was reached between the read and the write: say which one, from a fresh count.
        again = _VOTE_READ.first(dialect, cursor, read_params)
        refusal = pol.check(p, pol.Usage(again["voter_entry"], again["voter_day"], again["ip_entry"],
                                         again["ip_day"]))
        if refusal:
            raise VoteRefused(refusal.code, refusal.status, refusal.message)
        raise VoteRefused("conflict", 409, "投票人数较多，您的投票未能完成，请稍后重试。")
    count = _COUNT_UP.scalar(dialect, cursor, {"entry_id": entry_id})
    conn.commit()
    after = pol.Usage(usage.voter_entry + 1, usage.voter_day + 1, usage.ip_entry + 1, usage.ip_day + 1)
    return Cast(count=int(count), captcha_next=pol.captcha_required(p, after), show_counts=bool(row["show_counts"]))


# --- captcha -------------------------------------------------------------------------------------

def new_captcha(*, now: datetime) -> CaptchaChallenge:
    """A fresh challenge with a random answer, valid for 10 minutes, usable once."""
    answer = "".join(secrets.choice(CAPTCHA_ALPHABET) for _ in range(CAPTCHA_LENGTH))
    challenge = CaptchaChallenge(token=secrets.token_urlsafe(24), answer=answer, created_at=now,
                                 expires_at=now + CAPTCHA_TTL)
    db.session.add(challenge)
    db.session.flush()
    return challenge


def normalise_answer(text: str) -> str:
    return "".join((text or "").split()).upper()


# --- phone verification --------------------------------------------------------------------------

def normalise_phone(text: str) -> Optional[str]:
    """An 11-digit mainland mobile number (spaces, dashes and +86 removed) or None."""
    digits = "".join(ch for ch in (text or "") if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1") and digits[1] in "3456789":
        return digits
    return None


def _beijing_day_start(now: datetime) -> datetime:
    """Naive UTC of 00:00 Beijing time of the day ``now`` falls in."""
    return from_beijing(datetime.combine(beijing_date(now), time()))


def issue_phone_code(contest: Contest, phone_hash: str, code_hash_of, *, now: datetime) -> str:
    """Create a 6-digit code for the phone (the caller sends it). ``code_hash_of`` hashes a code.
    Raises VotingError when voting is not open at ``now``, when a code was sent to the same phone less
    than a minute ago, or when the phone already got PHONE_CODES_PER_DAY codes in this contest on this
    Beijing day (an SMS costs money and annoys the number's owner: no code is made for a closed vote)."""
    closed = voting_open(contest, now)
    if closed:
        raise VotingError(f"现在不能获取验证码：{closed}")
    mine = sa.and_(PhoneCode.contest_id == contest.id, PhoneCode.phone_hash == phone_hash)
    last = db.session.scalar(sa.select(PhoneCode.created_at).where(mine)
                             .order_by(PhoneCode.created_at.desc()).limit(1))
    if last is not None and now - last < PHONE_CODE_INTERVAL:
        raise VotingError("验证码已发送，请在60秒后再重新获取。")
    today = db.session.scalar(sa.select(sa.func.count()).select_from(PhoneCode).where(
        mine, PhoneCode.created_at >= _beijing_day_start(now)))
    if today >= PHONE_CODES_PER_DAY:
        raise VotingError(f"该手机号码今天已获取{PHONE_CODES_PER_DAY}次验证码，已达每天上限，请明天（北京时间）再试。")
    code = f"{secrets.randbelow(1_000_000):06d}"
    db.session.add(PhoneCode(contest_id=contest.id, phone_hash=phone_hash, code_hash=code_hash_of(code),
                             created_at=now, expires_at=now + PHONE_CODE_TTL))
    db.session.flush()
    return code


def verify_phone_code(contest: Contest, phone_hash: str, code_hash: str, *, now: datetime) -> None:
    """Use the newest unexpired code of the phone. Raises VotingError (wrong, expired, too many tries)."""
    row = db.session.scalar(sa.select(PhoneCode).where(
        PhoneCode.contest_id == contest.id, PhoneCode.phone_hash == phone_hash, PhoneCode.used_at.is_(None),
        PhoneCode.expires_at > now).order_by(PhoneCode.created_at.desc()).limit(1))
    if row is None:
        raise VotingError("验证码已过期或未获取，请重新获取验证码。")
    if row.attempts >= PHONE_CODE_ATTEMPTS:
        raise VotingError("验证码输入错误次数过多，请重新获取验证码。")
    if row.code_hash != code_hash:
        row.attempts += 1
        db.session.flush()
        raise VotingError("验证码不正确，请核对短信中的6位数字。")
    row.used_at = now
    db.session.flush()


def prune(*, now: datetime) -> tuple[int, int]:
    """Delete expired captchas, and expired phone codes of earlier Beijing days (used ones too; today's
    rows stay, they are what the daily cap per phone counts). Returns (captchas, codes)."""
    a = db.session.execute(sa.delete(CaptchaChallenge).where(CaptchaChallenge.expires_at <= now)).rowcount
    b = db.session.execute(sa.delete(PhoneCode).where(
        PhoneCode.expires_at <= now, PhoneCode.created_at < _beijing_day_start(now))).rowcount
    return int(a or 0), int(b or 0)


POLICY_FIELDS = ("votes_per_entry_per_day", "votes_per_voter_per_day", "ip_votes_per_entry_per_day", "captcha_mode",
                 "captcha_after", "phone_verification", "show_counts", "burst_votes_per_minute")


def update_policy(contest: Contest, values: dict, *, actor: User, now: datetime, ip: str = "") -> list[str]:
    """Change the contest's vote policy; returns the names of changed fields. Audit-logged (old → new).
    Raises VotingError when the daily cap is below the per-entry limit."""
    from contest.contests.models import CaptchaMode

    if values["votes_per_voter_per_day"] < values["votes_per_entry_per_day"]:
        raise VotingError("“每人每天最多投票数”不能小于“每人每天每个作品可投票数”。")
    changes = {}
    for name in POLICY_FIELDS:
        new = CaptchaMode(values[name]) if name == "captcha_mode" else values[name]
        old = getattr(contest, name)
        if old != new:
            changes[name] = [getattr(old, "value", old), getattr(new, "value", new)]
            setattr(contest, name, new)
    if changes:
        db.session.flush()
        audit.record("contest_updated", actor=actor, contest_id=contest.id, target=contest, ip=ip, now=now,
                     summary="修改投票规则：" + "，".join(f"{k} {a}→{b}" for k, (a, b) in changes.items()),
                     detail={"voting_policy": changes})
    return list(changes)
