"""Who may download a stored file. Every file download goes through ``can_download``."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from contest.extensions import db
from contest.media.models import StoredFile
from contest.submissions.models import Entry, Video

PUBLIC_PURPOSES = {"video", "poster", "thumb", "web"}


def owner_entry(stored: StoredFile) -> Optional[Entry]:
    """The entry a file belongs to (as its scan, video, poster or web rendition), if any."""
    entry = db.session.scalar(sa.select(Entry).where(Entry.scan_file_id == stored.id).limit(1))
    if entry is not None:
        return entry
    return db.session.scalar(sa.select(Video).where(sa.or_(
        Video.video_file_id == stored.id, Video.poster_file_id == stored.id, Video.web_file_id == stored.id)).limit(1))


def expert_may_see(user, entry: Entry) -> bool:
    """An expert sees an entry's material only when assigned to it and without a conflict of interest."""
    from contest.review.models import Assignment

    if user.conflict_unit_id is not None and user.conflict_unit_id == entry.unit_id:
        return False
    return db.session.scalar(sa.select(Assignment.id).where(
        Assignment.expert_id == user.id, Assignment.entry_id == entry.id)) is not None


def can_download(user, stored: StoredFile) -> bool:
    """Organizers: everything. Units: their own unit's files. Experts: material of assigned entries
    without conflict. Everyone: video, poster and thumbnail of entries that passed screening.
    Stamped scans are never public."""
    if getattr(user, "is_authenticated", False):
        if user.is_organizer:
            return True
        if user.is_unit and stored.unit_id is not None and stored.unit_id == user.unit_id:
            return True
    entry = owner_entry(stored)
    if entry is None:
        return False
    if getattr(user, "is_authenticated", False) and user.is_expert and expert_may_see(user, entry):
        # Blind review: the stamped scan bears the unit's seal, so experts never get it.
        if not (stored.purpose == "scan" and _blind(entry)):
            return True
    return stored.purpose in PUBLIC_PURPOSES and entry.is_public


# --- review: neutral download names for experts (blind review never leaks a client file name) ---

_PURPOSE_LABELS = {"scan": "盖章扫描件", "video": "视频", "web": "视频", "poster": "封面", "thumb": "封面"}


def _blind(entry: Entry) -> bool:
    from contest.contests.models import Contest

    contest = db.session.get(Contest, entry.contest_id)
    return bool(contest and contest.blind_review)


def neutral_name(stored: StoredFile, entry_id: int) -> str:
    """A download name that says nothing about the submitting unit: 作品12-视频.mp4."""
    import mimetypes

    ext = mimetypes.guess_extension(stored.content_type or "") or ""
    if ext == ".jpe":
        ext = ".jpg"
    return f"作品{entry_id}-{_PURPOSE_LABELS.get(stored.purpose, '附件')}{ext}"


def forced_download_name(user, stored: StoredFile) -> Optional[str]:
    """For an expert, the neutral name every download must carry (whatever name the URL asks for);
    None for everyone else."""
    if not (getattr(user, "is_authenticated", False) and user.is_expert):
        return None
    entry = owner_entry(stored)
    return neutral_name(stored, entry.id if entry is not None else 0)
