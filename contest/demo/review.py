"""Demo review: default assignments for the demo contest and a realistic spread of scores
(one expert finished, one halfway with a draft, the others not started)."""
from __future__ import annotations

from contest.review import services
from contest.submissions.models import EntryKind


def _values(criteria, seed: int) -> dict[int, str]:
    # Deterministic, plausible scores: 70–95 % of each maximum in 0.5 steps.
    out = {}
    for i, c in enumerate(criteria):
        pct = 70 + ((seed * 7 + i * 11) % 26)
        out[c.id] = str(round(c.max_score * pct / 100 * 2) / 2)
    return out


def seed(ctx: dict) -> None:
    contest, organizer, now = ctx["contest"], ctx["organizer"], ctx["now"]
    experts = ctx.get("experts", [])
    sheets = 0
    for kind in EntryKind:
        services.assign_default(contest, kind, actor=organizer, now=now)
        criteria = services.ensure_rubric(contest, kind)
        if not experts:
            continue
        entries = services.passed_entries(contest, kind)
        for n, (expert, share, submit) in enumerate(((experts[0], 1.0, True), (experts[1], 0.5, True))
                                                    if len(experts) > 1 else ((experts[0], 1.0, True),)):
            for k, entry in enumerate(entries[: int(len(entries) * share + 0.5)]):
                if services.load_assigned_entry(expert, entry.id) is None:
                    continue
                draft = n == 1 and k == 0
                services.save_sheet(expert, entry, contest, _values(criteria, entry.id + n), "评审意见：做法清晰，成效可量化。",
                                    submit=submit and not draft, now=now)
                sheets += 1
    ctx["review_sheets"] = sheets
