"""Pure vote policy: plain values in, plain values out. No Flask, no database.

The service gathers a voter's usage for the day (``Usage``) and asks this module whether a new vote
is allowed, whether a captcha is required and which slots the vote takes. The slots are what the
database's unique keys are built on, so that two concurrent requests can never both succeed.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Iterable, Mapping, Optional

CAPTCHA_OFF = "off"
CAPTCHA_ALWAYS = "always"
CAPTCHA_AFTER = "after"
CAPTCHA_AFTER_MAX = 1000  # the largest "captcha after K votes" an organizer may set


@dataclass(frozen=True)
class Policy:
    """A contest's vote policy."""
    per_entry_per_day: int = 1        # votes of one voter for one entry per Beijing day
    per_voter_per_day: int = 10       # votes of one voter in the contest per Beijing day
    per_ip_per_entry_per_day: int = 50  # votes from one IP for one entry per day (shared networks)
    captcha_mode: str = CAPTCHA_AFTER
    captcha_after: int = 3            # with mode "after": captcha once the voter or the IP has this many votes today
    phone_required: bool = False


@dataclass(frozen=True)
class Usage:
    """What the voter (and their IP) already did today. Voided votes still count: they used the slot."""
    voter_entry: int = 0   # this voter, this entry
    voter_day: int = 0     # this voter, whole contest
    ip_entry: int = 0      # this IP, this entry
    ip_day: int = 0        # this IP, whole contest


@dataclass(frozen=True)
class Refusal:
    code: str
    status: int
    message: str


@dataclass(frozen=True)
class Slots:
    entry_slot: int
    day_slot: int
    ip_slot: int


def check(policy: Policy, usage: Usage) -> Optional[Refusal]:
    """The reason a new vote is refused under ``policy`` given ``usage``, or None when it is allowed.

    Order: per entry (409, the voter already voted), then the daily cap (429), then the IP cap (429).
    """
    if usage.voter_entry >= policy.per_entry_per_day:
        if policy.per_entry_per_day == 1:
            msg = "您今天已经为该作品投过票了，每人每天每个作品限投1票，请明天再来。"
        else:
            msg = f"您今天为该作品投票已达上限（每人每天每个作品限投{policy.per_entry_per_day}票），请明天再来。"
        return Refusal("already_voted", 409, msg)
    if usage.voter_day >= policy.per_voter_per_day:
        return Refusal("daily_cap", 429,
                       f"您今天的投票次数已用完（每人每天最多投{policy.per_voter_per_day}票），请明天再来。")
    if usage.ip_entry >= policy.per_ip_per_entry_per_day:
        return Refusal("ip_cap", 429,
                       "您所在网络今天为该作品投出的票数已达上限"
                       f"（同一网络地址每天每个作品最多{policy.per_ip_per_entry_per_day}票），请明天再来。")
    return None


def captcha_required(policy: Policy, usage: Usage) -> bool:
    """True when the next vote needs a solved captcha (always, or after K votes from the voter or the IP)."""
    if policy.captcha_mode == CAPTCHA_ALWAYS:
        return True
    if policy.captcha_mode == CAPTCHA_AFTER:
        return max(usage.voter_day, usage.ip_day) >= policy.captcha_after
    return False


def next_slots(usage: Usage) -> Slots:
    """The slots the next vote takes; unique keys on (…, slot) make a concurrent duplicate fail."""
    return Slots(entry_slot=usage.voter_entry + 1, day_slot=usage.voter_day + 1, ip_slot=usage.ip_entry + 1)


def keyed_hash(secret: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` (hex, 64 chars), separated by ``purpose`` so hashes never collide across kinds."""
    mac = _keyed(secret).copy()  # the key's inner and outer pads are computed once per secret
    mac.update(f"{purpose}:{value}".encode())
    return mac.hexdigest()


@lru_cache(maxsize=8)
def _keyed(secret: str):
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


@lru_cache(maxsize=4096)
def address_key(ip: str) -> str:
    """The client address the per-IP limits count by: an IPv4 address itself (also when written IPv4-mapped,
    ``::ffff:1.2.3.4``), and for IPv6 its /64 network (``2001:db8:1:2::/64``) — one household or phone gets a
    whole /64 and can rotate through its addresses at will. Unparsable text is returned unchanged."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        return str(addr.ipv4_mapped)
    if addr.version == 4:
        return ip
    return str(ipaddress.ip_network(f"{addr}/64", strict=False))


@lru_cache(maxsize=4096)  # the same addresses vote again and again; ipaddress parsing is the slow part
def network_of(ip: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) network of an address as text; the address itself when unparsable."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    prefix = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))


@dataclass(frozen=True)
class Burst:
    """More than ``threshold`` votes for one entry from one source in one minute."""
    entry_id: int
    kind: str          # "ip" or "net"
    source: str        # the hash of the IP or of the /24
    minute: datetime   # start of the minute (naive UTC)
    votes: int


def find_bursts(rows: Iterable[tuple[int, str, str, datetime, int]], threshold: int) -> list[Burst]:
    """Bursts from per-minute counts ``(entry_id, kind, source, minute, votes)``: those with votes > threshold,
    biggest first, then by time (oldest first) and entry id for a stable order."""
    found = [Burst(e, k, s, m, n) for e, k, s, m, n in rows if n > threshold]
    found.sort(key=lambda b: (-b.votes, b.minute, b.entry_id, b.kind, b.source))
    return found


def minute_of(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def hour_of(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def hourly_counts(counts: Mapping[datetime, int], start: datetime, hours: int) -> list[int]:
    """The counts of the ``hours`` hours from ``start`` (an hour start), oldest first, from ``{hour_start: count}``;
    hours missing from ``counts`` are 0 and keys outside the range are ignored."""
    return [counts.get(start + timedelta(hours=i), 0) for i in range(max(0, hours))]


def svg_polyline(counts: list[int], width: int, height: int) -> str:
    """Points for an SVG polyline of ``counts`` scaled into width×height (y grows down)."""
    if not counts:
        return ""
    top = max(counts) or 1
    step = width / max(1, len(counts) - 1)
    return " ".join(f"{round(i * step, 1)},{round(height - c * height / top, 1)}" for i, c in enumerate(counts))
