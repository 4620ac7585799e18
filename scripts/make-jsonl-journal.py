#!/usr/bin/env python3
"""Writes the JSON-lines journal of the versions before the database, in the shape of the
ignored test `a_journal_of_a_million_entries`: 1,000,000 entries a minute apart by 5 admins
about 200,000 users, the third newest a bulk change to 50,000 users.

    scripts/make-jsonl-journal.py DATA_DIR/journal.jsonl

Copied into an empty data directory, the first `journal` of a version with the database
imports it.
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone

ENTRIES = 1_000_000
BULK_USERS = 50_000
HOST = "https://api.geobox.ir/v1/"


def change(user: int) -> dict:
    return {
        "user_id": user,
        "username": f"user{user}",
        "before": {"status": "Active"},
        "after": {"status": "Disabled"},
    }


def main() -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rng = random.Random(24)
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        for index in range(ENTRIES):
            user = 4242 if index % 200_000 == 4242 else rng.randrange(1, 200_000)
            entry = {
                "id": f"e{index:09d}",
                "time": (start + timedelta(minutes=index)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "host": HOST,
                "deployment": HOST,
                "by": f"admin{index % 5}",
                "tool": "console" if index % 3 == 0 else "cli",
                "action": "update",
                "changes": [change(user)],
                "outcome": "ok",
            }
            if index == ENTRIES - 3:
                entry["action"] = "bulk_update"
                entry["detail"] = "status → Disabled"
                entry["changes"] = [
                    dict(change(bulk_user), outcome="ok") for bulk_user in range(1, BULK_USERS + 1)
                ]
            out.write(json.dumps(entry, separators=(",", ":"), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
