"""Forms on the Networks page: one connect form per network. Secrets are never rendered back."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import Length

from ...models import ChannelKind


class BlueskyForm(FlaskForm):
    identifier = StringField("The school's Bluesky handle (or the email it signs in with)",
                             validators=[Length(max=254)])
    app_password = PasswordField("App password (four groups of four, like abcd-efgh-ijkl-mnop)",
                                 validators=[Length(max=100)])
    service = StringField("Bluesky server (leave as it is unless the school runs its own)",
                          default="https://bsky.social", validators=[Length(max=200)])


class MastodonForm(FlaskForm):
    instance = StringField("The server's address, for example https://mastodon.social", validators=[Length(max=200)])
    access_token = PasswordField("Access token (\"Your access token\")", validators=[Length(max=500)])


class FacebookForm(FlaskForm):
    page_id = StringField("Page ID (a long number)", validators=[Length(max=30)])
    page_token = PasswordField("Page access token", validators=[Length(max=1000)])


class PracticeOutboxForm(FlaskForm):
    """Nothing to type: the practice outbox is a folder on this server."""


FORMS: dict[ChannelKind, type[FlaskForm]] = {
    ChannelKind.BLUESKY: BlueskyForm,
    ChannelKind.MASTODON: MastodonForm,
    ChannelKind.FACEBOOK: FacebookForm,
    ChannelKind.OUTBOX: PracticeOutboxForm,
}
