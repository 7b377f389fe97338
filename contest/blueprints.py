"""Blueprint registry: every feature's views module exposes ``bp``."""
import importlib

from flask import Flask

BLUEPRINT_MODULES = [
    "contest.core.views",
    "contest.accounts.views",
    "contest.media.views",
    "contest.admin.views",  # accounts, units, contests, quotas, audit log (organizers)
    "contest.submissions.case_views",  # 附件1 cases
    "contest.submissions.video_views",  # 附件2 videos
    "contest.screening.views",  # 初筛
    "contest.voting.views",  # public voting zone and fraud monitor
    "contest.review.views",  # expert review
    "contest.ranking.views",  # ranking, winners, publication, exports
]


def register_blueprints(app: Flask) -> None:
    for path in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(path).bp)
