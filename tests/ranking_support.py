"""A small contest with hand-computed ranking numbers, shared by the ranking tests.

Weights 30/70, no trimming. Cases (valid votes; submitted expert totals):

    case1  120 votes; 80, 90   -> vote 100, expert 85   -> 30 + 59.5 = 89.50  rank 1
    case2   60 votes; 95, 93   -> vote  50, expert 94   -> 15 + 65.8 = 80.80  rank 2
    case3    0 votes; 99 (+1 assigned expert not submitted) -> 0, 99 -> 69.30 rank 3
    case4   30 votes; none     -> vote  25, expert 0    -> 7.50             rank 4

plus a draft case and a case rejected at 初筛 (never ranked). Videos:

    video1  10 votes; 70 -> 30 + 49 = 79.00 rank 1
    video2   0 votes; 88 -> 61.60           rank 2
"""
from __future__ import annotations

from dataclasses import dataclass

from contest.contests.models import Phase
from contest.submissions.models import ScreeningStatus, VideoCategory
from tests.factories import (add_score_sheet, add_votes, assign_expert, make_case, make_contest, make_expert,
                             make_organizer, make_unit, make_video, open_schedule)


@dataclass
class Scenario:
    contest: object
    organizer: object
    experts: list
    cases: list
    videos: list
    draft: object
    rejected: object


def build_scenario(now=None, **contest_settings) -> Scenario:
    schedule = open_schedule(Phase.PUBLICATION, now=now)
    contest = make_contest(schedule=schedule, now=now, title="测试评选活动", **contest_settings)
    organizer = make_organizer(display_name="市信用办")
    e1, e2 = make_expert(display_name="张专家"), make_expert(display_name="李专家")
    units = [make_unit(f"测试单位{c}") for c in "甲乙丙"]
    case1 = make_case(contest, units[0], passed=True, title="信用承诺替代证明")
    case2 = make_case(contest, units[1], passed=True, title="信易贷服务小微企业")
    case3 = make_case(contest, units[2], passed=True, title="信用修复一件事")
    case4 = make_case(contest, units[0], passed=True, title="诚信文化进社区")
    draft = make_case(contest, units[1], submitted=False, title="未提交的草稿")
    rejected = make_case(contest, units[2], passed=False, title="初筛未通过的案例")
    rejected.screening_status = ScreeningStatus.REJECTED
    add_votes(case1, 120)
    add_votes(case2, 60)
    add_votes(case4, 30)
    add_votes(case2, 5, valid=False)
    add_score_sheet(e1, case1, "80")
    add_score_sheet(e2, case1, "90")
    add_score_sheet(e1, case2, "95")
    add_score_sheet(e2, case2, "93")
    add_score_sheet(e1, case3, "99")
    assign_expert(e2, case3)
    video1 = make_video(contest, units[1], passed=True, title="诚信的味道", category=VideoCategory.DRAMA)
    video2 = make_video(contest, units[2], passed=True, title="信用让生活更美好", category=VideoCategory.ANIMATION)
    add_votes(video1, 10)
    add_score_sheet(e1, video1, "70")
    add_score_sheet(e1, video2, "88")
    return Scenario(contest, organizer, [e1, e2], [case1, case2, case3, case4], [video1, video2], draft, rejected)
