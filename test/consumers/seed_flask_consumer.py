"""A webhook consumer as Pulse's docs write it (seed 004): Flask, and the docs' verify_webhook
copied as published. Usage: python3 seed_flask_consumer.py SECRET
Listens on 127.0.0.1 on a free port and prints {"port": N} when ready."""
import base64
import hashlib
import hmac
import json
import sys
import time

from flask import Flask, abort, request
from werkzeug.serving import make_server


def verify_webhook(payload: str, headers: dict, webhook_secret: str) -> bool:
    webhook_id = headers.get('webhook-id')
    webhook_timestamp = headers.get('webhook-timestamp')
    webhook_signature = headers.get('webhook-signature')

    if not all([webhook_id, webhook_timestamp, webhook_signature]):
        return False

    # Check timestamp to prevent replay attacks (5 minute window)
    current_time = int(time.time())
    if abs(current_time - int(webhook_timestamp)) > 300:
        return False

    # Construct signed content
    signed_content = f"{webhook_id}.{webhook_timestamp}.{payload}"

    # Extract signature from header (format: v1,signature)
    signature = webhook_signature.split(',')[1] if ',' in webhook_signature else webhook_signature

    # Compute expected signature (base64-encoded HMAC-SHA256)
    expected = base64.b64encode(
        hmac.new(
            base64.b64decode(webhook_secret),
            signed_content.encode(),
            hashlib.sha256
        ).digest()
    ).decode()

    # Constant-time comparison
    return hmac.compare_digest(signature, expected)


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
