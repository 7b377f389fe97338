from flask import Blueprint, abort, current_app, send_file
from flask_login import current_user

from contest.accounts.permissions import public_view
from contest.core.downloads import download_name
from contest.extensions import db
from contest.media import storage
from contest.media.access import can_download, forced_download_name
from contest.media.models import StoredFile

bp = Blueprint("media", __name__)


@bp.route("/files/<int:file_id>")
@bp.route("/files/<int:file_id>/<path:name>")
@public_view  # access decided per file by can_download (404 otherwise)
def download(file_id: int, name: str | None = None):
    """Serve a stored file after the access check; supports HTTP Range (206) for players."""
    stored = db.session.get(StoredFile, file_id)
    if stored is None or not can_download(current_user, stored):
        abort(404)
    path = storage.path_of(stored, current_app.config["UPLOAD_ROOT"])
    if not path.exists():
        abort(404)
    as_attachment = stored.purpose not in {"video", "web", "poster", "thumb"} and not stored.content_type.startswith("image/")
    resp = send_file(path, mimetype=stored.content_type, conditional=True, etag=stored.sha256[:32],
                     as_attachment=as_attachment,
                     download_name=download_name(forced_download_name(current_user, stored) or name
                                                 or stored.original_name or path.name), max_age=0)
    resp.headers["Cache-Control"] = "private, max-age=0"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
