from datetime import datetime

from contest.voting import policy as pol
from contest.voting.policy import Policy, Usage


def test_check_allows_first_vote():
    assert pol.check(Policy(), Usage()) is None


def test_check_refuses_second_vote_for_same_entry_same_day_with_409():
    refusal = pol.check(Policy(per_entry_per_day=1), Usage(voter_entry=1, voter_day=1))
    assert (refusal.code, refusal.status) == ("already_voted", 409)
    assert refusal.message == "您今天已经为该作品投过票了，每人每天每个作品限投1票，请明天再来。"


def test_check_allows_second_vote_when_policy_allows_two_per_entry():
    assert pol.check(Policy(per_entry_per_day=2), Usage(voter_entry=1, voter_day=1)) is None
    refusal = pol.check(Policy(per_entry_per_day=2), Usage(voter_entry=2, voter_day=2))
    assert refusal.code == "already_voted"
    assert "限投2票" in refusal.message


def test_check_refuses_over_daily_cap_with_429():
    refusal = pol.check(Policy(per_voter_per_day=10), Usage(voter_entry=0, voter_day=10))
    assert (refusal.code, refusal.status) == ("daily_cap", 429)
    assert "每天最多投10票" in refusal.message
    assert pol.check(Policy(per_voter_per_day=10), Usage(voter_day=9)) is None


def test_check_refuses_over_ip_cap_with_429():
    refusal = pol.check(Policy(per_ip_per_entry_per_day=50), Usage(ip_entry=50))
    assert (refusal.code, refusal.status) == ("ip_cap", 429)
    assert pol.check(Policy(per_ip_per_entry_per_day=50), Usage(ip_entry=49)) is None


def test_check_reports_entry_limit_before_daily_cap():
    refusal = pol.check(Policy(per_entry_per_day=1, per_voter_per_day=1), Usage(voter_entry=1, voter_day=1))
    assert refusal.code == "already_voted"


def test_captcha_never_when_off():
    assert pol.captcha_required(Policy(captcha_mode="off"), Usage(voter_day=100, ip_day=100)) is False


def test_captcha_always_when_always():
    assert pol.captcha_required(Policy(captcha_mode="always"), Usage()) is True


def test_captcha_after_k_votes_of_voter_or_ip():
    p = Policy(captcha_mode="after", captcha_after=3)
    assert pol.captcha_required(p, Usage(voter_day=2, ip_day=2)) is False
    assert pol.captcha_required(p, Usage(voter_day=3, ip_day=0)) is True
    assert pol.captcha_required(p, Usage(voter_day=0, ip_day=3)) is True


def test_next_slots_follow_usage():
    assert pol.next_slots(Usage(voter_entry=0, voter_day=4, ip_entry=7)) == pol.Slots(1, 5, 8)


def test_keyed_hash_depends_on_secret_and_purpose():
    a = pol.keyed_hash("s1", "ip", "1.2.3.4")
    assert len(a) == 64
    assert a == pol.keyed_hash("s1", "ip", "1.2.3.4")
    assert a != pol.keyed_hash("s2", "ip", "1.2.3.4")
    assert a != pol.keyed_hash("s1", "voter", "1.2.3.4")


def test_keyed_hash_is_plain_hmac_sha256_of_purpose_and_value():
    # Stored hashes must not change when the implementation does (votes of earlier days are compared to them).
    import hashlib
    import hmac

    for secret, purpose, value in (("s1", "ip", "1.2.3.4"), ("k" * 100, "voter", "ab" * 16), ("密钥", "ua", "微信")):
        expected = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
        assert pol.keyed_hash(secret, purpose, value) == expected


def test_network_of_ipv4_ipv6_and_garbage():
    assert pol.network_of("203.0.113.77") == "203.0.113.0/24"
    assert pol.network_of("2001:db8:1:2::5") == "2001:db8:1::/48"
    assert pol.network_of("::ffff:10.1.2.3") == "10.1.2.0/24"
    assert pol.network_of("not-an-ip") == "not-an-ip"


def test_address_key_keeps_ipv4_and_reduces_ipv6_to_its_64():
    assert pol.address_key("203.0.113.77") == "203.0.113.77"
    assert pol.address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64"
    assert pol.address_key("2001:DB8:1:2::5") == "2001:db8:1:2::/64"
    assert pol.address_key("2001:db8:1:3::5") == "2001:db8:1:3::/64"
    assert pol.address_key("::ffff:10.1.2.3") == "10.1.2.3"
    assert pol.address_key("not-an-ip") == "not-an-ip"
    assert pol.address_key("") == ""


def test_find_bursts_keeps_only_above_threshold_sorted():
    m1, m2 = datetime(2024, 5, 1, 8, 0), datetime(2024, 5, 1, 8, 1)
    rows = [(1, "ip", "a", m1, 20), (1, "ip", "a", m2, 21), (2, "net", "n", m1, 35), (3, "ip", "b", m1, 5)]
    bursts = pol.find_bursts(rows, threshold=20)
    assert [(b.entry_id, b.kind, b.votes) for b in bursts] == [(2, "net", 35), (1, "ip", 21)]


def test_hourly_counts_zero_fills_and_ignores_outside_hours():
    start = datetime(2024, 5, 1, 0, 0)
    counts = {datetime(2024, 5, 1, 0, 0): 1, datetime(2024, 5, 1, 1, 0): 2, datetime(2024, 5, 1, 3, 0): 5,
              datetime(2024, 5, 1, 4, 0): 7, datetime(2024, 4, 30, 23, 0): 9}
    assert pol.hourly_counts(counts, start, 4) == [1, 2, 0, 5]
    assert pol.hourly_counts({}, start, 3) == [0, 0, 0]
    assert pol.hourly_counts(counts, start, 0) == []


def test_hour_of_truncates_to_the_hour():
    assert pol.hour_of(datetime(2024, 5, 1, 8, 59, 59, 999999)) == datetime(2024, 5, 1, 8, 0)
    assert pol.hour_of(datetime(2024, 5, 1, 9, 0)) == datetime(2024, 5, 1, 9, 0)


def test_svg_polyline_scales_to_box():
    assert pol.svg_polyline([0, 5, 10], 100, 50) == "0.0,50.0 50.0,25.0 100.0,0.0"
    assert pol.svg_polyline([], 100, 50) == ""
