"""The Outbox pages: posts that stayed on this machine, shown to any signed-in member of staff."""

from __future__ import annotations

import io
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tripposter.config import Settings
from tripposter.models import Role
from tripposter.publishers.base import Post, PostImage
from tripposter.publishers.outbox import OutboxPublisher
from tripposter.services.school.settings import get_school

ALT_ONE = 'Pupils "building" a raft & paddling'
ALT_TWO = "Year 6 at the lake, waving"
CAPTION = "A wet and happy day on the lake!\n#Year6 #Residential"


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(out, format="JPEG")
    return out.getvalue()


class _Images(HTMLParser):
    """Collects (src, alt) of every <img>, with entities decoded as a browser would."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str | None, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.found.append((dict(attrs).get("src"), dict(attrs).get("alt")))


@pytest.fixture
def outbox(settings: Settings) -> OutboxPublisher:
    return OutboxPublisher(settings.outbox_path)


@pytest.fixture
def published(outbox: OutboxPublisher) -> tuple[str, list[bytes]]:
    images = [_jpeg((200, 40, 40)), _jpeg((40, 40, 200))]
    post = Post(text=CAPTION, images=(PostImage(images[0], ALT_ONE), PostImage(images[1], ALT_TWO)))
    return outbox.publish(post).remote_id, images


def test_staff_see_posts_with_alt_text_and_school_time(
    published: tuple[str, list[bytes]], outbox: OutboxPublisher, auth: AuthActions, make: Factory,
    client: FlaskClient, db: Session,
) -> None:
    post_id, _ = published
    get_school(db).timezone = "Pacific/Auckland"  # never UTC, so a UTC time on the page would show
    db.commit()
    auth.login(make.user(Role.TRIP_LEAD))

    html = client.get("/outbox/").get_data(as_text=True)

    assert "A wet and happy day on the lake!<br>#Year6 #Residential" in html
    assert _Images(html).found == [(f"/outbox/{post_id}/0.jpg", ALT_ONE), (f"/outbox/{post_id}/1.jpg", ALT_TWO)]
    created = outbox.get(post_id).created_at
    assert created.astimezone(ZoneInfo("Pacific/Auckland")).strftime("%-d %B %Y, %H:%M") in html
    assert created.strftime("%H:%M<") not in html
    single = client.get(f"/outbox/{post_id}").get_data(as_text=True)
    assert "A wet and happy day" in single and (f"/outbox/{post_id}/1.jpg", ALT_TWO) in _Images(single).found


def test_the_image_route_returns_the_stored_bytes(
    published: tuple[str, list[bytes]], auth: AuthActions, make: Factory, client: FlaskClient
) -> None:
    post_id, images = published
    auth.login(make.user(Role.OFFICE))
    for index, data in enumerate(images):
        response = client.get(f"/outbox/{post_id}/{index}.jpg")
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.data == data
        assert response.cache_control.max_age == 0
        response.close()


def test_bad_ids_are_not_found(
    published: tuple[str, list[bytes]], auth: AuthActions, make: Factory, client: FlaskClient
) -> None:
    post_id, _ = published
    auth.login(make.user(Role.OFFICE))
    unknown = "0" * 32
    for path in [f"/outbox/{unknown}", "/outbox/not-an-id", f"/outbox/{post_id}/2.jpg",
                 f"/outbox/{unknown}/0.jpg", "/outbox/..%2F..%2Fspool/0.jpg", f"/outbox/{post_id}/0.png"]:
        assert client.get(path).status_code == 404, path


def test_an_empty_outbox_says_so(auth: AuthActions, make: Factory, client: FlaskClient) -> None:
    auth.login(make.user(Role.OFFICE))
    assert "Nothing has been posted yet." in client.get("/outbox/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(published: tuple[str, list[bytes]], client: FlaskClient) -> None:
    post_id, _ = published
    for path in ["/outbox/", f"/outbox/{post_id}", f"/outbox/{post_id}/0.jpg"]:
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], path
