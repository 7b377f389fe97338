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
        Video.video_file_id == stored.id, Video.poster_file_id == stored.id, Video.web_file_id == stored.id,
        Video.thumb_file_id == stored.id)).limit(1))


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
        return True
    return stored.purpose in PUBLIC_PURPOSES and entry.is_public
