"""The yardstick of bench (a): a bare Flask app answering the same paths with the same bytes.

Pages are read once from ``BENCH_BARE_DIR/index.json`` ({path: [file, content_type]}), written by
bench/run.py from the real site's answers. Served by gunicorn with the same settings as the site.
"""

import json
import os
from pathlib import Path

from flask import Flask, Response, abort

folder = Path(os.environ["BENCH_BARE_DIR"])
pages = {
    path: ((folder / name).read_bytes(), content_type)
    for path, (name, content_type) in json.loads((folder / "index.json").read_text()).items()
}

app = Flask(__name__)


@app.get("/", defaults={"path": ""})
@app.get("/<path:path>")
def serve(path):
    try:
        body, content_type = pages["/" + path]
    except KeyError:
        abort(404)
    return Response(body, content_type=content_type)
