"""A webhook consumer as Pulse's docs write it (seed 004): Flask, and the docs' verify_webhook
(seed_verify_webhook.py, copied as published). Usage: python3 seed_flask_consumer.py SECRET
Listens on 127.0.0.1 on a free port and prints {"port": N} when ready."""
import json
import sys
import time

from flask import Flask, abort, request
from werkzeug.serving import make_server

from seed_verify_webhook import verify_webhook


WEBHOOK_SECRET = sys.argv[1]
app = Flask(__name__)


@app.route('/webhook', methods=['POST'])
def handle_webhook():
    payload = request.get_data(as_text=True)

    if not verify_webhook(payload, request.headers, WEBHOOK_SECRET):
        abort(401)

    event = json.loads(payload)
    print(json.dumps({"received": event['type'], "job_id": event['data']['job_id']}), flush=True)
    return '', 200


server = make_server('127.0.0.1', 0, app)
print(json.dumps({"port": server.server_port}), flush=True)
server.serve_forever()
