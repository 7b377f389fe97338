"""Voting services: the public list, casting a vote under the contest's policy, captchas, phone codes,
the fraud monitor's queries and voiding. Services flush; the request edge commits."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from contest.accounts.models import Unit, User
from contest.contests.models import Contest, Phase
from contest.contests.services import ContestError, require_phase_open
from contest.core import audit
from contest.core.timeutil import beijing_date
from contest.extensions import db
from contest.submissions.models import Entry, EntryKind, EntryState, ScreeningStatus, Video, VideoCategory
from contest.voting import policy as pol
from contest.voting.models import CaptchaChallenge, PhoneCode, Vote

CAPTCHA_ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"  # no 0/O, 1/I, 2/Z, 5/S, 8/B look-alikes
CAPTCHA_LENGTH = 4
CAPTCHA_TTL = timedelta(minutes=10)
PHONE_CODE_TTL = timedelta(minutes=10)
PHONE_CODE_ATTEMPTS = 5
PHONE_CODE_INTERVAL = timedelta(seconds=60)


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


def public_entries(contest: Contest, kind: EntryKind, *, q: str = "",
                   category: Optional[VideoCategory] = None) -> list[sa.Row]:
    """Entries of ``kind`` that passed 初筛, matching the title/unit search and video category,
    most votes first when counts are public, else by title (ties: id).

    Plain rows (id, kind, title, vote_count, unit_name, category, poster_file_id), one SELECT joined
    to the unit (and the video table for videos): the list page needs no ORM objects. Counts are
    ``entry.vote_count``; the vote table is never counted here."""
    e, u, v = Entry.__table__, Unit.__table__, Video.__table__
    if kind == EntryKind.VIDEO:
        source = e.join(u, u.c.id == e.c.unit_id).join(v, v.c.id == e.c.id)
        extra = [v.c.category.label("category"), v.c.poster_file_id.label("poster_file_id")]
    else:
        source = e.join(u, u.c.id == e.c.unit_id)
        extra = [sa.null().label("category"), sa.null().label("poster_file_id")]
    query = sa.select(e.c.id, e.c.kind, e.c.title, e.c.vote_count, u.c.name.label("unit_name"), *extra) \
        .select_from(source).where(e.c.contest_id == contest.id, e.c.kind == kind,
                                   e.c.state == EntryState.SUBMITTED, e.c.screening_status == ScreeningStatus.PASSED)
    if kind == EntryKind.VIDEO and category is not None:
        query = query.where(v.c.category == category)
    q = (q or "").strip()
    if q:
        like = f"%{q}%"
        query = query.where(sa.or_(e.c.title.ilike(like), u.c.name.ilike(like)))
    if contest.show_counts:
        query = query.order_by(e.c.vote_count.desc(), e.c.id)
    else:
        query = query.order_by(e.c.title, e.c.id)
    return list(db.session.execute(query))


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


def voting_open(contest: Contest, now: datetime) -> Optional[str]:
    """None when votes are accepted at ``now``, else the Chinese reason."""
    try:
        require_phase_open(contest, Phase.VOTING, now)
    except ContestError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class Cast:
    count: int
    captcha_next: bool


@dataclass(frozen=True)
class Voter:
    """Who votes, as hashes (the service never sees raw IPs or cookie ids)."""
    voter_hash: str
    ip_hash: str
    net_hash: str
    ua_hash: str = ""
    phone_hash: str = ""


def _usage_columns(contest_id: int, entry_id: int, voter: Voter, day) -> list:
    """Today's four counts as scalar subqueries (each answered by a unique key or index of the vote table)."""
    def count(*where):
        return sa.select(sa.func.count()).select_from(Vote).where(*where).scalar_subquery()

    return [
        count(Vote.entry_id == entry_id, Vote.voter_hash == voter.voter_hash, Vote.day == day),
        count(Vote.contest_id == contest_id, Vote.voter_hash == voter.voter_hash, Vote.day == day),
        count(Vote.entry_id == entry_id, Vote.ip_hash == voter.ip_hash, Vote.day == day),
        count(Vote.contest_id == contest_id, Vote.ip_hash == voter.ip_hash, Vote.day == day),
    ]


def usage_of(contest_id: int, entry_id: int, voter: Voter, day) -> pol.Usage:
    """Today's votes of the voter and of the IP (all rows, voided or not: they used their slot),
    in one statement."""
    row = db.session.execute(sa.select(*_usage_columns(contest_id, entry_id, voter, day))).one()
    return pol.Usage(*(int(n or 0) for n in row))


def captcha_needed(contest: Contest, voter: Voter, now: datetime) -> bool:
    """Whether the voter's next vote in ``contest`` needs a captcha (for the page to show it up front)."""
    p = policy_of(contest)
    if p.captcha_mode == pol.CAPTCHA_OFF:
        return False
    day = beijing_date(now)
    if p.captcha_mode == pol.CAPTCHA_ALWAYS:
        return True
    usage = usage_of(contest.id, -1, voter, day)
    return pol.captcha_required(p, usage)


def cast_vote(contest: Contest, entry_id: int, voter: Voter, *, now: datetime, captcha_token: str = "",
              captcha_answer: str = "") -> "Cast":
    """Record one vote; return the entry's new count of valid votes and whether the next vote needs a captcha.

    Raises VoteRefused: 404 unknown or not-passed entry; 409 voting closed or already voted today;
    429 daily cap or per-IP cap; 403 captcha missing/wrong/used or phone not verified.
    On VoteRefused the caller must roll back (a captcha may already have been consumed).
    May raise IntegrityError when a concurrent request took the same slot first: the caller rolls
    back and calls again (the second call then sees the other vote and refuses or takes the next slot).

    Every read and check runs before the first write, outside the write transaction (one statement
    answers "is the entry public" and the four usage counts). The write is short: consume the captcha
    when one is needed, INSERT the vote (its unique slot keys are what guarantee no double count), then
    UPDATE the entry's count in the same transaction, so the count always equals the valid rows.
    On SQLite the write lock is held for those two or three statements only.
    """
    closed = voting_open(contest, now)
    p = policy_of(contest)
    day = beijing_date(now)
    row = db.session.execute(sa.select(
        sa.select(Entry.id).where(Entry.id == entry_id, Entry.contest_id == contest.id, _public_filter())
        .scalar_subquery(),
        *_usage_columns(contest.id, entry_id, voter, day))).one()
    if row[0] is None:
        raise VoteRefused("not_found", 404, NOT_FOUND_MESSAGE)
    if closed:
        raise VoteRefused("closed", 409, f"现在不能投票：{closed}")
    if p.phone_required and not voter.phone_hash:
        raise VoteRefused("phone_required", 403, "本活动要求先验证手机号码后才能投票，请先完成手机验证。")
    usage = pol.Usage(*(int(n or 0) for n in row[1:]))
    refusal = pol.check(p, usage)
    if refusal:
        raise VoteRefused(refusal.code, refusal.status, refusal.message)
    need_captcha = pol.captcha_required(p, usage)
    if need_captcha and not (captcha_token and captcha_answer):
        raise VoteRefused("captcha_required", 403, "请先填写图片验证码再投票。")
    # --- the write transaction starts here ---
    if need_captcha and not consume_captcha(captcha_token, captcha_answer, now=now):
        raise VoteRefused("captcha_wrong", 403, "图片验证码错误或已失效，请看清新的验证码后重新输入。")
    # The slots are counted again inside the INSERT itself, with the caps as its WHERE: on SQLite the
    # INSERT holds the write lock, so it sees every committed vote and concurrent votes for one entry
    # from one shared IP do not collide on a stale slot. On PostgreSQL a concurrent duplicate still
    # fails on a unique key (the caller retries). No row inserted means a cap was reached meanwhile.
    def count(*where):
        return sa.select(sa.func.count()).select_from(Vote).where(*where).scalar_subquery()

    entry_n = count(Vote.entry_id == entry_id, Vote.voter_hash == voter.voter_hash, Vote.day == day)
    day_n = count(Vote.contest_id == contest.id, Vote.voter_hash == voter.voter_hash, Vote.day == day)
    ip_n = count(Vote.entry_id == entry_id, Vote.ip_hash == voter.ip_hash, Vote.day == day)
    values = {"contest_id": contest.id, "entry_id": entry_id, "created_at": now, "day": day,
              "voter_hash": voter.voter_hash, "ip_hash": voter.ip_hash, "net_hash": voter.net_hash,
              "ua_hash": voter.ua_hash, "phone_hash": voter.phone_hash}
    literal = [sa.literal(v, type_=Vote.__table__.c[k].type).label(k) for k, v in values.items()]
    source = sa.select(*literal, (entry_n + 1).label("entry_slot"), (day_n + 1).label("day_slot"),
                       (ip_n + 1).label("ip_slot"), sa.true().label("valid"), sa.literal("").label("void_reason"))\
        .where(entry_n < p.per_entry_per_day, day_n < p.per_voter_per_day, ip_n < p.per_ip_per_entry_per_day)
    # RETURNING rather than rowcount: psycopg reports -1 for an INSERT … SELECT run through the session.
    vote_id = db.session.execute(sa.insert(Vote).from_select(
        [*values, "entry_slot", "day_slot", "ip_slot", "valid", "void_reason"], source)
        .returning(Vote.id)).scalar_one_or_none()
    if vote_id is None:
        refusal = pol.check(p, usage_of(contest.id, entry_id, voter, day))
        if refusal:
            raise VoteRefused(refusal.code, refusal.status, refusal.message)
        raise VoteRefused("conflict", 409, "投票人数较多，您的投票未能完成，请稍后重试。")
    count = db.session.execute(
        sa.update(Entry).where(Entry.id == entry_id).values(vote_count=Entry.vote_count + 1)
        .returning(Entry.vote_count).execution_options(synchronize_session=False)).scalar_one()
    after = pol.Usage(usage.voter_entry + 1, usage.voter_day + 1, usage.ip_entry + 1, usage.ip_day + 1)
    return Cast(count=int(count), captcha_next=pol.captcha_required(p, after))


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


def consume_captcha(token: str, answer: str, *, now: datetime) -> bool:
    """Mark the challenge used when ``answer`` is right and it is unexpired and unused. One atomic UPDATE,
    so two requests replaying the same solved captcha cannot both pass. Case and spaces are ignored."""
    if not token or not answer:
        return False
    result = db.session.execute(
        sa.update(CaptchaChallenge)
        .where(CaptchaChallenge.token == token[:64], CaptchaChallenge.answer == normalise_answer(answer)[:12],
               CaptchaChallenge.used_at.is_(None), CaptchaChallenge.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False))
    return result.rowcount == 1


# --- phone verification --------------------------------------------------------------------------

def normalise_phone(text: str) -> Optional[str]:
    """An 11-digit mainland mobile number (spaces, dashes and +86 removed) or None."""
    digits = "".join(ch for ch in (text or "") if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1") and digits[1] in "3456789":
        return digits
    return None


def issue_phone_code(contest: Contest, phone_hash: str, code_hash_of, *, now: datetime) -> str:
    """Create a 6-digit code for the phone (the caller sends it). ``code_hash_of`` hashes a code.
    Raises VotingError when a code was sent to the same phone less than a minute ago."""
    last = db.session.scalar(sa.select(PhoneCode.created_at).where(
        PhoneCode.contest_id == contest.id, PhoneCode.phone_hash == phone_hash)
        .order_by(PhoneCode.created_at.desc()).limit(1))
    if last is not None and now - last < PHONE_CODE_INTERVAL:
        raise VotingError("验证码已发送，请在60秒后再重新获取。")
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
    """Delete expired captchas and phone codes (used ones too once expired). Returns (captchas, codes)."""
    a = db.session.execute(sa.delete(CaptchaChallenge).where(CaptchaChallenge.expires_at <= now)).rowcount
    b = db.session.execute(sa.delete(PhoneCode).where(PhoneCode.expires_at <= now)).rowcount
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
