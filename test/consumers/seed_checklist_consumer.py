"""A consumer that follows Pulse's Production Checklist (seed 004) but verifies with the docs'
verify_webhook, copied as published: it answers fast, dedupes on webhook-id, fetches the job from
GET /job/{id} after a final event, never moves a job back from a final status, and in test mode
serves its effects at GET /_test/effects/<job_id>.
Usage: python3 seed_checklist_consumer.py SECRET PULSE_BASE_URL
Listens on 127.0.0.1 on a free port and prints {"port": N} when ready."""
import json
import sys
import threading
import time
import urllib.request

from flask import Flask, abort, request
from werkzeug.serving import make_server

from seed_verify_webhook import verify_webhook


WEBHOOK_SECRET = sys.argv[1]
PULSE_BASE_URL = sys.argv[2]
FINAL = {'completed', 'failed', 'canceled'}
FINAL_EVENTS = {'job.completed', 'job.failed', 'job.cancelled'}
PROGRESS = {'job.created': 'pending', 'job.processing': 'processing'}

app = Flask(__name__)
lock = threading.Lock()
seen = set()
jobs = {}  # job_id -> {"status": str | None, "acted": int}


def record(job_id: str, status: str) -> None:
    with lock:
        job = jobs.setdefault(job_id, {'status': None, 'acted': 0})
        if job['status'] in FINAL:
            return  # never move a job back from a final status
        job['status'] = status
        if status in FINAL:
            job['acted'] += 1  # the job's work, once


def fetch_job(job_id: str) -> None:
    for attempt in range(1, 6):
        try:
            req = urllib.request.Request(f"{PULSE_BASE_URL}/job/{job_id}", headers={'x-api-key': 'seed'})
            with urllib.request.urlopen(req, timeout=5) as res:
                record(job_id, json.loads(res.read())['status'])
                return
        except Exception:
            time.sleep(0.05 * attempt)


@app.route('/webhook', methods=['POST'])
def handle_webhook():
    payload = request.get_data(as_text=True)

    if not verify_webhook(payload, request.headers, WEBHOOK_SECRET):
        abort(401)

    webhook_id = request.headers.get('webhook-id')
    with lock:
        if webhook_id in seen:
            return '', 200
        seen.add(webhook_id)

    event = json.loads(payload)
    job_id = (event.get('data') or {}).get('job_id')
    if job_id and event.get('type') in PROGRESS:
        record(job_id, PROGRESS[event['type']])
    if job_id and event.get('type') in FINAL_EVENTS:
        threading.Thread(target=fetch_job, args=(job_id,), daemon=True).start()
    return '', 200


@app.route('/_test/effects/<job_id>', methods=['GET'])
def effects(job_id):
    with lock:
        return jobs.get(job_id, {'status': None, 'acted': 0})


server = make_server('127.0.0.1', 0, app, threaded=True)
print(json.dumps({"port": server.server_port}), flush=True)
server.serve_forever()
