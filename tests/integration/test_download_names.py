"""Downloads with Chinese file names: the Content-Disposition header must be Latin-1 (RFC 6266
``filename*``), or the WSGI server fails the response (found by the browser story's Excel download)."""
from flask import Response


def _app_with_download(make_app, name: str):
    app = make_app()

    @app.route("/_download")
    def download():
        resp = Response(b"data", mimetype="application/octet-stream")
        resp.headers.set("Content-Disposition", "attachment", filename=name)
        return resp

    return app


def test_chinese_attachment_name_is_sent_as_rfc6266(make_app):
    app = _app_with_download(make_app, "典型案例排名-1-20240701.xlsx")
    resp = app.test_client().get("/_download")
    value = resp.headers["Content-Disposition"]
    value.encode("latin-1")  # raises if the server could not send it
    assert value == ("attachment; filename=\"______-1-20240701.xlsx\"; "
                     "filename*=UTF-8''%E5%85%B8%E5%9E%8B%E6%A1%88%E4%BE%8B%E6%8E%92%E5%90%8D-1-20240701.xlsx")


def test_ascii_attachment_name_is_left_alone(make_app):
    app = _app_with_download(make_app, "raw-scores-case.xlsx")
    resp = app.test_client().get("/_download")
    assert resp.headers["Content-Disposition"] == "attachment; filename=raw-scores-case.xlsx"
