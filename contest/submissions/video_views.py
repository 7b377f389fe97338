from flask import Blueprint

bp = Blueprint("videos", __name__, url_prefix="/videos")
