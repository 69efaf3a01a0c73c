"""verify_webhook exactly as Pulse's docs publish it (seed 004), for the test consumers to import."""
import base64
import hashlib
import hmac
import time


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
