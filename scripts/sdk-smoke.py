#!/usr/bin/env python3
"""Drives the official Geobox Python SDK against a running `geobox-users serve`.

Every user, session and plan operation the SDK offers, with assertions. Not run by CI (it
needs the SDK from PyPI); run it by hand:

    python3 -m venv /tmp/sdkvenv && /tmp/sdkvenv/bin/pip install geobox aiohttp tqdm
    geobox-users serve --admin-password admin-pass-1 &      # prints the base URL
    GEOBOX_HOST=http://127.0.0.1:PORT GEOBOX_USERNAME=admin GEOBOX_PASSWORD=admin-pass-1 \
        /tmp/sdkvenv/bin/python scripts/sdk-smoke.py

GEOBOX_HOST is the host without /v1 (the SDK adds it).
"""

import os
import sys
import uuid

from geobox import GeoboxClient
from geobox.enums import UserRole, UserStatus
from geobox.exception import AuthenticationError, NotFoundError, ValidationError

HOST = os.environ.get("GEOBOX_HOST", "http://127.0.0.1:8080").rstrip("/") + "/"
checks = 0


def check(condition, what):
    global checks
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1
    print(f"ok  {what}")


def expect_raises(error, what, action):
    try:
        action()
    except error:
        check(True, what)
        return
    check(False, what)


admin = GeoboxClient(host=HOST)

users = admin.get_users()
check(len(users) == 10, "get_users: default page of 10")
check(all(hasattr(u, "first_name") for u in users), "users carry first_name")
count = admin.get_users(return_count=True)
check(isinstance(count, int) and count >= 10, f"get_users(return_count=True) = {count}")
active = admin.get_users(status=UserStatus.ACTIVE, limit=5)
check(all(u.status == UserStatus.ACTIVE for u in active), "status filter")
editors = admin.get_users(q="role = 'Editor' AND created_at > '2021-01-01'", order_by="created_at D", limit=20)
check(all(u.role == UserRole.EDITOR for u in editors), "CQL filter with order_by")
found = admin.search_users(search="reza")
check(isinstance(found, list), f"search_users found {len(found)}")

me = admin.get_user()
check(me.role == UserRole.SYSTEM_ADMIN, f"get_user() is the admin: {me}")
check(admin.get_user(me.id).username == me.username, "get_user(id)")

plans = admin.get_plans()
check(len(plans) >= 3, f"get_plans: {len(plans)} plans")
plan = admin.get_plan(plans[0].id)
check(plan.name == plans[0].name, "get_plan(id)")
pro = admin.get_plan_by_name("pro")
check(pro is not None and pro.name == "pro", "get_plan_by_name (a CQL q)")
check(admin.get_plans(return_count=True) == len(plans), "get_plans(return_count=True)")

name = f"sdk_{uuid.uuid4().hex[:8]}"
user = admin.create_user(username=name, email=f"{name}@example.ir", password="P@ssw0rd",
                         role=UserRole.EDITOR, first_name="SDK", last_name="User",
                         mobile="+98 9120123456", status=UserStatus.ACTIVE)
check(user.username == name and user.id > 0, f"create_user: {user}")
expect_raises(ValidationError, "duplicate username is a ValidationError (422)",
              lambda: admin.create_user(username=name, email=f"{name}@example.ir", password="P@ssw0rd",
                                        role=UserRole.EDITOR, first_name="x", last_name="y",
                                        mobile="+98 9120123456", status=UserStatus.ACTIVE))

user.update(first_name="Changed", status=UserStatus.PENDING, plan=pro, expiration_date="2030-01-01")
fresh = admin.get_user(user.id)
check(fresh.first_name == "Changed" and fresh.status == UserStatus.PENDING, "update fields")
check(fresh.plan is not None and fresh.plan.name == "pro", "update plan")
user.update(mobile="")
check(admin.get_user(user.id).mobile is None, "update(mobile='') clears it")
user.renew_plan()
check(admin.get_user(user.id).expiration_date > "2030-01-01", "renew_plan extends the expiration")
user.update(status=UserStatus.ACTIVE)

other = GeoboxClient(host=HOST, username=name, password="P@ssw0rd")
check(other.get_user().id == user.id, "the new user signs in")
mine = other.get_my_sessions()
check(len(mine) == 1, f"get_my_sessions: {mine}")
seen_by_admin = admin.get_user(user.id).get_sessions()
check(len(seen_by_admin) == 1, "admin sees the user's sessions")
seen_by_admin[0].close()
expect_raises(AuthenticationError, "a closed session's token gets 401", lambda: other.get_user())

user.change_password("N3w-P@ssword")
expect_raises(AuthenticationError, "the old password stops working",
              lambda: GeoboxClient(host=HOST, username=name, password="P@ssw0rd"))
check(GeoboxClient(host=HOST, username=name, password="N3w-P@ssword").get_user().id == user.id,
      "the new password works")

me.add_member(user.id)
check(any(m.id == user.id for m in me.get_members()), "add_member / get_members")
check(admin.get_user(user.id).parent_user.id == me.id, "parent_user")
me.remove_member(user.id)
check(all(m.id != user.id for m in me.get_members()), "remove_member")

admin.get_user(user.id).delete()
expect_raises(NotFoundError, "a deleted user is 404", lambda: admin.get_user(user.id))

print(f"\nall {checks} checks passed against {HOST}")
