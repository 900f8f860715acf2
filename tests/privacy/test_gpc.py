"""/.well-known/gpc.json: we sell and share nothing, so every visitor is opted out."""

import json
import re

from privacy.policy import EFFECTIVE


def test_gpc_json_answers_that_every_visitor_is_opted_out(client, db):
    response = client.get("/.well-known/gpc.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"gpc": True, "lastUpdate": "2026-11-30"}


def test_gpc_json_sets_no_cookie(client, db):
    response = client.get("/.well-known/gpc.json")
    assert not response.cookies
    assert not response.has_header("Set-Cookie")


def test_gpc_json_last_update_is_the_policy_s_effective_date(client, db):
    last_update = client.get("/.well-known/gpc.json").json()["lastUpdate"]
    assert last_update == EFFECTIVE.isoformat()
    page = client.get("/privacy/").content.decode()
    assert re.search(rf"In effect from\s+{EFFECTIVE.day} November {EFFECTIVE.year}\.", page)
