"""The platform as the benchmarks serve it: ``create_app`` with the config given as JSON in
``BENCH_APP_CONFIG`` (database, upload folder, secret key, limits), so that gunicorn runs exactly
the production app on the bench's own database."""
import json
import os

from contest import create_app

_config = json.loads(os.environ["BENCH_APP_CONFIG"])
app = create_app(_config, instance_path=_config["INSTANCE_PATH"])
