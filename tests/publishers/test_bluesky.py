"""The Bluesky publisher through the real atproto client; only HTTP is faked (respx, ``FakePDS``).

The requests are read back as sent: the photo uploads, the one commit holding the post (alt text,
aspect ratio, facets), the threadgate and the postgate under the attempt's record key, and logins
only when the saved session cannot be used.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.publishers.conftest import make_jpeg
from tests.publishers.test_bluesky_pds import (  # noqa: F401 - pds is a fixture
    DID,
    EMAIL,
    HANDLE,
    ACCOUNT_HOST,
    HOST,
    LOST,
    PASSWORD,
    FakePDS,
    pds,
    session_string,
)
from tripposter.publishers.base import Attempt, Post, PostImage, Publisher, RetryableError
from tripposter.publishers.bluesky import BlueskyPublisher
from tripposter.publishers.bluesky_records import rkey_for

CAPTION = "Rock pooling at Robin Hood's Bay 🦀 #Year5Trip https://oakfield.sch.uk/trips"
STARTED = datetime(2026, 6, 3, 10, 0, 0, 123456, tzinfo=UTC)
ATTEMPT = Attempt("0f" * 16, STARTED, 2)
RKEY = rkey_for(ATTEMPT)


def publisher(saved: list[str], session: str | None = None, password: str = PASSWORD) -> BlueskyPublisher:
    """A publisher whose stored sessions land in ``saved``."""
    return BlueskyPublisher(HANDLE, password, session=session, on_session=saved.append, base_url=HOST, timeout=7.5)


def make_post(count: int = 2, attempt: Attempt | None = ATTEMPT) -> Post:
    images = tuple(
        PostImage(make_jpeg(64 + 16 * i, 48, seed=i), f"Pupils beside rock pool {i + 1}") for i in range(count)
    )
    return Post(text=CAPTION, images=images, attempt=attempt)


def body(request: httpx.Request) -> dict:
    return json.loads(request.content)


def test_bluesky_publisher_is_a_publisher() -> None:
    assert isinstance(publisher([]), Publisher)


def test_publish_logs_in_once_uploads_each_photo_and_writes_post_and_gates_in_one_commit(pds: FakePDS) -> None:
    saved: list[str] = []
    post = make_post(2)

    published = publisher(saved).publish(post)

    assert published.remote_id == f"at://{DID}/app.bsky.feed.post/{RKEY}"
    assert published.url == f"https://bsky.app/profile/{HANDLE}/post/{RKEY}"
    login = pds.requests("com.atproto.server.createSession")
    assert len(login) == 1 and body(login[0]) == {"identifier": HANDLE, "password": PASSWORD}
    uploads = pds.requests("com.atproto.repo.uploadBlob")
    assert [u.content for u in uploads] == [image.jpeg for image in post.images]
    assert {u.headers["content-type"] for u in uploads} == {"image/jpeg"}

    [commit] = pds.requests("com.atproto.repo.applyWrites")
    sent = body(commit)
    assert sent["repo"] == DID
    assert [(w["$type"], w["collection"], w["rkey"]) for w in sent["writes"]] == [
        ("com.atproto.repo.applyWrites#create", "app.bsky.feed.post", RKEY),
        ("com.atproto.repo.applyWrites#create", "app.bsky.feed.threadgate", RKEY),
        ("com.atproto.repo.applyWrites#create", "app.bsky.feed.postgate", RKEY),
    ]
    record, threadgate, postgate = (w["value"] for w in sent["writes"])
    assert record["$type"] == "app.bsky.feed.post" and record["text"] == CAPTION
    assert record["embed"]["$type"] == "app.bsky.embed.images"
    assert [(i["alt"], i["aspectRatio"]) for i in record["embed"]["images"]] == [
        ("Pupils beside rock pool 1", {"$type": "app.bsky.embed.defs#aspectRatio", "width": 64, "height": 48}),
        ("Pupils beside rock pool 2", {"$type": "app.bsky.embed.defs#aspectRatio", "width": 80, "height": 48}),
    ]
    assert record["embed"]["images"][0]["image"]["mimeType"] == "image/jpeg"
    features = [f["features"][0] for f in record["facets"]]
    assert {"$type": "app.bsky.richtext.facet#tag", "tag": "Year5Trip"} in features
    assert {"$type": "app.bsky.richtext.facet#link", "uri": "https://oakfield.sch.uk/trips"} in features
    tag = next(f for f in record["facets"] if f["features"][0].get("tag"))
    assert CAPTION.encode()[tag["index"]["byteStart"] : tag["index"]["byteEnd"]] == b"#Year5Trip"
    assert threadgate == {"$type": "app.bsky.feed.threadgate", "post": published.remote_id, "allow": [],
                          "createdAt": record["createdAt"]}
    assert postgate["$type"] == "app.bsky.feed.postgate" and postgate["post"] == published.remote_id
    assert postgate["embeddingRules"] == [{"$type": "app.bsky.feed.postgate#disableRule"}]
    for call in pds.router.calls:
        assert call.request.extensions["timeout"]["read"] == 7.5
    assert len(saved) == 1 and saved[0].startswith(f"{HANDLE}:::{DID}:::")


def test_the_record_key_is_the_attempts_own_tid() -> None:
    assert RKEY == rkey_for(Attempt("0f" * 16, STARTED, 2))  # the same attempt: the same key, always
    assert RKEY != rkey_for(Attempt("0e" * 16, STARTED, 2))  # another attempt in the same microsecond
    assert RKEY != rkey_for(Attempt("0f" * 16, STARTED + timedelta(microseconds=1), 2))


def test_a_saved_session_is_reused_without_logging_in(pds: FakePDS) -> None:
    saved_session = session_string()
    pds.accept(saved_session)
    saved: list[str] = []
    first = publisher(saved, session=saved_session)
    first.publish(make_post(1, Attempt("1" * 32, STARTED, 1)))
    second = publisher(saved, session=saved_session)
    second.publish(make_post(1, Attempt("2" * 32, STARTED, 1)))

    assert pds.calls["com.atproto.server.createSession"] == 0
    assert pds.calls["com.atproto.server.refreshSession"] == 0
    assert saved == []  # nothing changed, nothing to store
    access = saved_session.split(":::")[2]
    assert all(r.headers["authorization"] == f"Bearer {access}" for r in pds.requests("com.atproto.repo.applyWrites"))


def test_a_session_near_expiry_is_refreshed_not_relogged_and_the_new_one_is_stored(pds: FakePDS) -> None:
    saved_session = session_string(access_in=timedelta(minutes=5))  # atproto renews 15 minutes early
    pds.accept(saved_session)
    saved: list[str] = []

    publisher(saved, session=saved_session).publish(make_post(1))

    assert pds.calls["com.atproto.server.refreshSession"] == 1
    assert pds.calls["com.atproto.server.createSession"] == 0
    [stored] = saved
    assert stored != saved_session and stored.split(":::")[:2] == [HANDLE, DID]
    new_access = stored.split(":::")[2]
    assert pds.requests("com.atproto.repo.applyWrites")[0].headers["authorization"] == f"Bearer {new_access}"


def test_a_refused_session_leads_to_one_login_and_the_call_is_made_again(pds: FakePDS) -> None:
    saved: list[str] = []  # the session string is well formed, but this server never issued it
    published = publisher(saved, session=session_string()).publish(make_post(1))

    assert published.remote_id.endswith(RKEY)
    assert pds.calls["com.atproto.server.createSession"] == 1
    assert pds.calls["com.atproto.repo.uploadBlob"] == 2  # refused (ExpiredToken), then sent again
    assert len(saved) == 1 and pds.calls["com.atproto.repo.applyWrites"] == 1


@pytest.mark.parametrize("session", ["not a session", session_string(refresh_in=timedelta(seconds=-5))])
def test_an_unreadable_or_dead_session_means_a_login_without_trying_it(pds: FakePDS, session: str) -> None:
    publisher([], session=session).publish(make_post(1))
    assert pds.calls["com.atproto.server.createSession"] == 1
    assert pds.calls["com.atproto.server.refreshSession"] == 0


def test_one_publisher_logs_in_once_for_many_posts(pds: FakePDS) -> None:
    one = publisher([])
    for n in range(3):
        one.publish(make_post(1, Attempt(f"{n}" * 32, STARTED, 1)))
    assert pds.calls["com.atproto.server.createSession"] == 1
    assert pds.calls["com.atproto.repo.applyWrites"] == 3


def test_find_recent_reads_the_attempts_record_key_exactly(pds: FakePDS) -> None:
    one = publisher([])
    assert one.find_recent(CAPTION, ATTEMPT) is None
    one.publish(make_post(2))
    found = one.find_recent(CAPTION, ATTEMPT)

    assert found is not None and found.remote_id == f"at://{DID}/app.bsky.feed.post/{RKEY}"
    lookups = pds.requests("com.atproto.repo.getRecord")
    assert {(r.url.params["repo"], r.url.params["collection"], r.url.params["rkey"]) for r in lookups} == {
        (DID, "app.bsky.feed.post", RKEY), (DID, "app.bsky.feed.threadgate", RKEY),
        (DID, "app.bsky.feed.postgate", RKEY),
    }
    # Another attempt with the identical caption is not taken for this one.
    assert one.find_recent(CAPTION, Attempt("9" * 32, STARTED + timedelta(seconds=1), 2)) is None


@pytest.mark.parametrize(
    "refusal",
    [
        None,  # bsky.social today: a 500 InternalServerError
        httpx.Response(400, json={"error": "RecordAlreadyExists", "message": "Record already exists"}),
        httpx.Response(409, json={"error": "RecordAlreadyExists", "message": "Record already exists"}),
    ],
    ids=["500", "400-named", "409"],
)
def test_a_resend_after_an_unknown_outcome_makes_no_second_post(pds: FakePDS, refusal: httpx.Response | None) -> None:
    if refusal is not None:  # how newer or other servers refuse a record key that is taken
        pds.duplicate_refusal = refusal
    one = publisher([])
    post = make_post(2)
    pds.fail("com.atproto.repo.applyWrites", LOST)  # the commit is made; its answer never arrives

    with pytest.raises(RetryableError) as unknown:
        one.publish(post)
    assert unknown.value.outcome_unknown is True

    again = one.publish(post)  # the same attempt sent again: the server refuses the key

    assert again.remote_id == f"at://{DID}/app.bsky.feed.post/{RKEY}"
    assert [key for key in pds.records if key[0] == "app.bsky.feed.post"] == [("app.bsky.feed.post", RKEY)]
    assert pds.calls["com.atproto.repo.applyWrites"] == 2
    assert pds.calls["com.atproto.repo.putRecord"] == 0  # the gates came in the same commit


def test_a_post_found_without_its_gates_gets_only_the_gates_written(pds: FakePDS) -> None:
    one = publisher([])
    one.publish(make_post(1))
    del pds.records[("app.bsky.feed.threadgate", RKEY)]  # e.g. removed in the Bluesky app

    found = one.find_recent(CAPTION, ATTEMPT)

    assert found is not None
    [put] = pds.requests("com.atproto.repo.putRecord")
    assert body(put)["collection"] == "app.bsky.feed.threadgate" and body(put)["rkey"] == RKEY
    assert body(put)["record"]["allow"] == [] and body(put)["record"]["post"] == found.remote_id
    assert pds.calls["com.atproto.repo.applyWrites"] == 1  # the post was not sent again


def test_check_connection_names_the_account_and_reuses_the_session(pds: FakePDS) -> None:
    saved_session = session_string()
    pds.accept(saved_session)
    assert publisher([], session=saved_session).check_connection() == f"Oakfield Primary School (@{HANDLE})"
    assert pds.calls["com.atproto.server.createSession"] == 0
    assert pds.requests("app.bsky.actor.getProfile")[0].url.params["actor"] == DID


def test_signed_in_by_email_the_link_still_uses_the_accounts_handle(pds: FakePDS) -> None:
    by_email = BlueskyPublisher(EMAIL, PASSWORD, session=None, on_session=lambda _: None, base_url=HOST)
    assert by_email.publish(make_post(1)).url == f"https://bsky.app/profile/{HANDLE}/post/{RKEY}"


def test_after_login_calls_go_to_the_accounts_own_server_and_the_saved_session_remembers_it(pds: FakePDS) -> None:
    pds.did_doc_host = ACCOUNT_HOST
    saved: list[str] = []
    publisher(saved).publish(make_post(1, Attempt("6" * 32, STARTED, 1)))
    assert [str(c.request.url.host) for c in pds.router.calls] == ["bsky.social"] + ["morel.us-east.host.bsky.network"] * 2
    assert saved[0].endswith(f":::{ACCOUNT_HOST}")

    pds.router.calls.clear()
    publisher([], session=saved[0]).publish(make_post(1, Attempt("7" * 32, STARTED, 1)))
    assert {str(c.request.url.host) for c in pds.router.calls} == {"morel.us-east.host.bsky.network"}
