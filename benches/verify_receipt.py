#!/usr/bin/env python3
"""The comparison point for `eula-gate verify`: the same check a packager could
write in Python. Loads the receipt, recomputes its canonical digest, checks the
product and the license digest. Exit 0 when valid, 7 when not, 5 when missing."""
import hashlib
import json
import sys

path, product, expected = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    with open(path, encoding="utf-8") as f:
        receipt = json.load(f)
except FileNotFoundError:
    sys.exit(5)
except (OSError, ValueError):
    sys.exit(7)
digest = receipt.pop("digest", None)
canonical = json.dumps(receipt, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
if hashlib.sha256(canonical.encode("utf-8")).hexdigest() != digest:
    sys.exit(7)
if receipt.get("schema") not in (1, 2) or receipt.get("product") != product:
    sys.exit(7)
sys.exit(0 if receipt["license"]["sha256"] == expected else 6)
