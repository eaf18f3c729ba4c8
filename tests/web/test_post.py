"""The posting pages, driven through the browser's forms: upload, tag, post, follow, decide."""

from __future__ import annotations

import html
import io
import re
import uuid

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tests.lifecycle import Outing
from tests.photos import phone_jpeg
from tripposter.jobs import Queue
from tripposter.models import (
    DeletionRecord,
    Fate,
    Photo,
    PhotoState,
    Post,
    PostState,
    Role,
)
from tripposter.pipeline.window import describe
from tripposter.publishers.outbox import OutboxPublisher
from tripposter.runtime import Runtime
from tripposter.services.posting import photos as photo_service

KEY = re.compile(r'name="key" type="hidden" value="([0-9a-f]{32})"|type="hidden" name="key" value="([0-9a-f]{32})"')
TAG_LINK = re.compile(r'href="/post/photos/([0-9a-f]{32})"')


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def keys(text: str) -> list[str]:
    """The idempotency keys of the forms on a page, in order (upload first, then post)."""
    return [a or b for a, b in KEY.findall(text)]


def upload(auth: AuthActions, trip_id: int, data: bytes, key: str | None = None):  # type: ignore[no-untyped-def]
    key = key or keys(auth.client.get(f"/post/trips/{trip_id}").get_data(as_text=True))[0]
    return auth.post(f"/post/trips/{trip_id}/photos", {"photo": (io.BytesIO(data), "IMG_0001.jpg"), "key": key})


ALT = "Pupils paddling canoes on the lake"


def tag(auth: AuthActions, photo: str, faces: list[object], tagged: list[int], alt: str = ALT):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {f"faces-{i}": "" if f is None else str(f) for i, f in enumerate(faces)}
    return auth.post(f"/post/photos/{photo}", {**data, "tagged": [str(t) for t in tagged], "alt_text": alt, "faces_checked": "y"})


def make_post(auth: AuthActions, trip_id: int, photo: str, caption: str, **extra: str):  # type: ignore[no-untyped-def]
    key = keys(auth.client.get(f"/post/trips/{trip_id}").get_data(as_text=True))[1]
    data = {"key": key, "photo_ids": photo, "caption": caption, "when": "now", **extra}
    return auth.post(f"/post/trips/{trip_id}/posts", data)


def only_photo(db: Session) -> Photo:
    db.expire_all()
    return db.scalars(select(Photo)).one()


def test_full_flow_from_upload_to_posted_and_destroyed(
    auth: AuthActions, client: FlaskClient, outing: Outing, db: Session, rt: Runtime, queue: Queue
) -> None:
    auth.login(outing.lead)
    assert client.get("/post/").headers["Location"].endswith(f"/post/trips/{outing.trip.id}")  # the only trip today
    trip_page = page(client, f"/post/trips/{outing.trip.id}")
    assert 'capture="environment"' in trip_page and 'accept="image/*"' in trip_page
    assert "Take or choose a photo" in trip_page

    response = upload(auth, outing.trip.id, phone_jpeg())
    photo = only_photo(db)
    assert response.headers["Location"].endswith(f"/post/photos/{photo.public_id}")
    assert photo.state is PhotoState.READY and len(photo.faces) == 2 and len(rt.spool.names()) == 1

    tag_page = page(client, f"/post/photos/{photo.public_id}")
    assert tag_page.count("<rect") >= 2 and f'viewBox="0 0 {photo.width} {photo.height}"' in tag_page
    assert "Face 1 is" in tag_page and "Face 2 is" in tag_page and " style=" not in tag_page
    preview = client.get(f"/post/photos/{photo.public_id}/preview.jpg")
    assert preview.mimetype == "image/jpeg" and preview.data[:3] == b"\xff\xd8\xff"
    assert preview.headers["Cache-Control"] == "no-store, private"

    response = tag(auth, photo.public_id, [outing.sam.id, None], [outing.sam.id])
    assert response.headers["Location"].endswith(f"/post/trips/{outing.trip.id}")
    photo = only_photo(db)
    assert photo.face_pupils == [outing.sam.id, None] and photo.tagged == [outing.sam.id]
    assert photo.alt_text == ALT

    response = make_post(auth, outing.trip.id, photo.public_id, "A brilliant morning of canoeing!")
    assert response.status_code == 302
    assert "Queued: it will go out in a minute." in page(client, f"/post/trips/{outing.trip.id}")
    assert queue.drain() == 1

    trip_page = page(client, f"/post/trips/{outing.trip.id}")
    (published,) = OutboxPublisher(rt.settings.outbox_path).list_posts()
    assert "Posted" in trip_page and f'href="{published.url}"' in trip_page
    assert published.text.startswith("A brilliant morning of canoeing!")
    assert rt.spool.names() == []
    record = db.scalars(select(DeletionRecord)).one()
    assert record.fate is Fate.POSTED and record.verified


def test_non_image_upload_is_refused_clearly_and_nothing_is_kept(
    auth: AuthActions, client: FlaskClient, outing: Outing, db: Session, rt: Runtime
) -> None:
    auth.login(outing.lead)
    response = upload(auth, outing.trip.id, b"%PDF-1.7\n" + b"x" * 2000)
    # Refused in place (422): the page comes back with the reason beside the upload form.
    assert response.status_code == 422
    shown = html.unescape(response.get_data(as_text=True))
    assert re.search(r'id="upload-error">This file is not a photo\.', shown)
    assert rt.spool.names() == []
    photo = only_photo(db)
    assert photo.state is PhotoState.DESTROYED
    # The refusal was committed: its record proves the upload was destroyed.
    assert db.scalars(select(DeletionRecord)).one().fate is Fate.REJECTED

    response = auth.post(f"/post/trips/{outing.trip.id}/photos", {"key": uuid.uuid4().hex})
    assert response.status_code == 400 and "No photo arrived." in response.get_data(as_text=True)


def test_double_submitted_upload_makes_one_photo(auth: AuthActions, outing: Outing, db: Session, rt: Runtime) -> None:
    auth.login(outing.lead)
    data = phone_jpeg(faces=0)
    key = keys(auth.client.get(f"/post/trips/{outing.trip.id}").get_data(as_text=True))[0]
    first, second = upload(auth, outing.trip.id, data, key), upload(auth, outing.trip.id, data, key)
    assert first.headers["Location"] == second.headers["Location"]
    assert only_photo(db).public_id in first.headers["Location"]
    assert len(rt.spool.names()) == 1
    # Every rendering of the page carries a fresh key: a second photo is a second form.
    assert key not in keys(auth.client.get(f"/post/trips/{outing.trip.id}").get_data(as_text=True))


def test_pupil_without_consent_cannot_be_given_a_face(
    auth: AuthActions, client: FlaskClient, outing: Outing, db: Session
) -> None:
    auth.login(outing.lead)
    upload(auth, outing.trip.id, phone_jpeg())
    photo = only_photo(db)
    tag_page = page(client, f"/post/photos/{photo.public_id}")
    ava = re.search(rf'<option[^>]*value="{outing.ava.id}"[^>]*>([^<]*)</option>', tag_page)
    assert ava and "disabled" in ava.group(0) and "(no photo consent: will be blurred)" in ava.group(1)
    sam = re.search(rf'<option[^>]*value="{outing.sam.id}"[^>]*>', tag_page)
    assert sam and "disabled" not in sam.group(0)

    # A forged form does it anyway: the tags are saved, but the post's checks refuse it by name.
    tag(auth, photo.public_id, [outing.ava.id, None], [outing.ava.id])
    response = make_post(auth, outing.trip.id, photo.public_id, "Canoeing on the lake")
    assert response.status_code == 422
    shown = html.unescape(response.get_data(as_text=True))
    assert 'role="alert"' in shown and "Ava Khan's parents have not given photo consent" in shown
    assert db.scalars(select(Post)).first() is None


def test_surname_in_caption_is_refused_and_caption_kept(
    auth: AuthActions, client: FlaskClient, outing: Outing, db: Session
) -> None:
    auth.login(outing.lead)
    upload(auth, outing.trip.id, phone_jpeg(faces=0))
    photo = only_photo(db)
    tag(auth, photo.public_id, [], [])
    caption = "Great teamwork from the Hill family today"
    response = make_post(auth, outing.trip.id, photo.public_id, caption)
    shown = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and 'role="alert"' in shown
    assert "Hill" in shown.split('role="alert"')[1].split("</div>")[0]  # the problem names the word
    assert re.search(rf">\s*{caption}</textarea>", shown)
    assert db.scalars(select(Post)).first() is None and only_photo(db).state is PhotoState.READY


def test_post_later_shows_its_scheduled_time_and_can_be_taken_back(
    auth: AuthActions, client: FlaskClient, outing: Outing, db: Session, rt: Runtime, queue: Queue
) -> None:
    auth.login(outing.lead)
    upload(auth, outing.trip.id, phone_jpeg(faces=0))
    photo = only_photo(db)
    tag(auth, photo.public_id, [], [])
    response = make_post(auth, outing.trip.id, photo.public_id, "Lunch by the lake", when="later", minutes="30")
    assert response.status_code == 302
    post = db.scalars(select(Post)).one()
    assert post.state is PostState.SCHEDULED
    when = describe(post.scheduled_for, "Europe/London", rt.clock())
    shown = page(client, f"/post/trips/{outing.trip.id}")
    assert f"Scheduled for {when}." in shown and f"Will go out at {when}." in shown
    assert queue.drain() == 0  # nothing is queued for a scheduled post: the minute tick sends it

    auth.post(f"/post/posts/{post.public_id}/cancel")
    db.expire_all()
    assert post.state is PostState.CANCELLED and only_photo(db).state is PhotoState.READY
    assert "Taken back" in page(client, f"/post/trips/{outing.trip.id}")


def test_preview_is_only_for_the_trip_staff(
    auth: AuthActions, client: FlaskClient, outing: Outing, make: Factory, db: Session, rt: Runtime
) -> None:
    received = photo_service.receive_photo(
        db, rt.spool, outing.lead, outing.trip.id, uuid.uuid4().hex, phone_jpeg(faces=0),
        now=rt.clock(), limits=rt.limits, detector=rt.detector_factory(),
    )
    db.commit()
    public_id = received.photo.public_id
    auth.login(make.user(Role.TRIP_LEAD))
    assert client.get(f"/post/photos/{public_id}/preview.jpg").status_code == 404
    assert client.get(f"/post/photos/{public_id}").status_code == 404
    assert auth.post(f"/post/photos/{public_id}/delete").status_code == 404
    assert client.get(f"/post/trips/{outing.trip.id}").status_code == 404
    assert "No trip of yours is running today." in page(client, "/post/")
    assert len(rt.spool.names()) == 1


def _unknown_post(db: Session, outing: Outing, text: str) -> Post:
    post = Post(
        idempotency_key=uuid.uuid4().hex, request_hash="0" * 64, trip_id=outing.trip.id,
        author_id=outing.lead.id, text=text, state=PostState.UNKNOWN,
        last_error="X cannot tell us whether this post went out.",
    )
    db.add(post)
    db.commit()
    return post


def test_senior_leader_decides_unknown_posts(
    auth: AuthActions, client: FlaskClient, outing: Outing, make: Factory, db: Session, queue: Queue
) -> None:
    posted, again, dropped = (_unknown_post(db, outing, f"Post number {n}") for n in (1, 2, 3))
    auth.login(make.user(Role.ADMIN))
    shown = page(client, "/post/decisions")
    for post in (posted, again, dropped):
        assert post.text in shown and f"/post/decisions/{post.public_id}" in shown
    assert outing.trip.name in shown and "X cannot tell us whether this post went out." in shown

    for post, decision in ((posted, "posted"), (again, "resend"), (dropped, "cancel")):
        assert auth.post(f"/post/decisions/{post.public_id}", {"decision": decision}).status_code == 302
    db.expire_all()
    assert (posted.state, again.state, dropped.state) == (PostState.PUBLISHED, PostState.QUEUED, PostState.CANCELLED)
    assert queue.huey.pending_count() == 1  # the re-sent one is handed to a worker at once
    assert "Nothing to decide" in page(client, "/post/decisions")
    assert auth.post(f"/post/decisions/{posted.public_id}", {"decision": "posted"}).status_code == 302
    assert "not waiting for a decision" in page(client, "/post/decisions")
    assert auth.post(f"/post/decisions/{again.public_id}", {"decision": "shrug"}).status_code == 400


def test_senior_leader_home_page_raises_unknown_posts_and_a_paused_account(
    auth: AuthActions, make: Factory, client: FlaskClient, db: Session
) -> None:
    from tripposter.models import Channel, ChannelKind, XAccount

    lead = make.user(Role.TRIP_LEAD)
    trip = make.trip(lead)
    db.add(Post(idempotency_key="k" * 16, request_hash="h", trip_id=trip.id, author_id=lead.id, state=PostState.UNKNOWN))
    db.add(XAccount(paused_reason="X refused our tokens."))
    db.add(Channel(kind=ChannelKind.MASTODON, display_name="@school@mastodon.social", secret=b"sealed",
                   paused_reason="The access token was refused."))
    db.commit()
    auth.login(make.user(Role.ADMIN))
    html = client.get("/").get_data(as_text=True)
    assert "Posting to X is paused: X refused our tokens." in html
    assert "Posting to Mastodon is paused: The access token was refused." in html and 'href="/networks/"' in html
    assert "1 post(s) wait for your decision" in html
