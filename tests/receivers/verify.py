#!/usr/bin/env python3
"""Verifies one hookd delivery with the official Standard Webhooks library.

Reads {"secret": "whsec_...", "headers": {name: value}, "body": "<raw body>"} on stdin; exits 0
and prints "verified" when `Webhook(secret).verify(body, headers)` accepts it, exits 1 with the
library's error otherwise, and 3 when the library is not installed.
"""
import json
import sys

try:
    from standardwebhooks.webhooks import Webhook
except ImportError as e:  # the test decides whether a missing library is a skip or a failure
    print(f"missing: {e}", file=sys.stderr)
    sys.exit(3)

msg = json.load(sys.stdin)
try:
    payload = Webhook(msg["secret"]).verify(msg["body"], msg["headers"])
except Exception as e:  # noqa: BLE001 - report whatever the library raised
    print(f"rejected: {type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(1)
print("verified", json.dumps(payload))
