"""Plays the seed's Python example against pulse-mock: submit with file_url and a
structured_output JSON string, poll GET /job/{id}, read status, result.content and
result.structured_output. Standard library only. Prints one JSON summary line."""
import json
import sys
import time
import urllib.request

base, key = sys.argv[1], sys.argv[2]


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("x-api-key", key)
    if data is not None:
        req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as res:
        return res.status, json.loads(res.read())


status, submitted = call("POST", "/extract_async", {
    "file_url": "https://www.impact-bank.com/user/file/dummy_statement.pdf",
    "structured_output": json.dumps({
        "schema": {
            "type": "object",
            "properties": {"account_holder": {"type": "string"}, "balance": {"type": "number"}},
        }
    }),
})
job_id = submitted["job_id"]
seen = []
job = None
for _ in range(100):
    _, job = call("GET", "/job/" + job_id)
    if not seen or seen[-1] != job["status"]:
        seen.append(job["status"])
    if job["status"] in ("completed", "failed", "canceled"):
        break
    time.sleep(0.05)

result = job.get("result") or {}
print(json.dumps({
    "submit_status": status,
    "submitted": submitted,
    "statuses": seen,
    "content_head": (result.get("content") or "")[:100],
    "structured_output": result.get("structured_output"),
}))
