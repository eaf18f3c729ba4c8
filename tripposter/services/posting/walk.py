"""One photo's life, top to bottom: each step names the function that does it. Start reading here.

Before the first step, ``web.phone.uploads`` streams the phone's upload into the encrypted spool (no
plaintext copy of a photo is ever on disk). Everything after it lives below the web layer, in the
order below. Nothing in the app imports this module: it is a map, and tests/services/test_walk.py
imports it, so a step renamed or moved without its map fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...pipeline.photo import scrub_photo
from ..deletion import destruction, log, report, retention, rows
from ..networks import x_account
from ..school import rules
from . import (
    lease, name_checks, photo_review, photos, posts, publication_recovery, publications, publishing, recovery,
)


@dataclass(frozen=True)
class Step:
    """One step of the walk: its name, what happens, and the function (or class) that does it."""

    name: str
    does: str
    function: Callable[..., object]


WALK: tuple[Step, ...] = (
    # On the phone, with the teacher.
    Step("receive", "The upload is checked against the trip and its dates; only a clean copy is kept.",
         photos.receive_photo),
    Step("scrub", "Decode, drop every metadata field, re-encode, find the faces (inside receive_photo).", scrub_photo),
    Step("tag", "The teacher says which pupil each face is, and writes the alt text.", photos.tag_photo),
    Step("check faces", "The teacher's last look: every face confirmed, areas blurred by hand.",
         photo_review.review_photo),
    Step("check consent", "Each tagged pupil's consent: post as is, blur the face, or refuse the photo.",
         rules.photo_consent),
    Step("queue", "Caption, name guard and consent checked; the post waits for the next posting window.",
         posts.create_post),
    # In the worker.
    Step("due", "The worker's tick finds the posts whose time has come.", publishing.due_posts),
    Step("claim and publish", "One worker wins the post, rechecks it under today's rules, then sends it.",
         publishing.publish_post),
    Step("name guard again", "Today's consent and settings over every word that would leave the school.",
         name_checks.hold_if_named),
    Step("build", "Each photo decrypted, its faces blurred as consent says, the same as the preview.",
         photo_review.posting_image),
    Step("lease", "While the send runs, the worker renews its claim, so no other worker takes the post.",
         lease.LeaseKeeper),
    Step("network", "The school's connected account picks the publisher (the outbox when none).",
         x_account.publisher_for),
    Step("record", "The remote id is committed the moment the network returns it.", publishing.record_published),
    Step("channels", "Then each connected network (Bluesky, Mastodon, a Facebook Page) gets the same post, once each.",
         publishing.finish_post),
    Step("channel claim", "For each network's copy, one worker wins it; its attempt id is committed before the send.",
         publications.send_publications),
    Step("destroy", "Every local copy is destroyed, once every network has the post or has settled.",
         publishing.destroy_post_photos),
    Step("deletion record", "Each destroyed photo gets the DeletionRecord that proves it.", destruction.destroy_photo),
    # When things go wrong, and afterwards.
    Step("recover", "After a crash: settle posts whose outcome is unknown, finish destructions.", recovery.recover),
    Step("recover channels", "The same for each network's copy: asked with find_recent, never sent blindly.",
         publication_recovery.recover_publications),
    Step("sweep", "A photo never posted is destroyed at its retention limit all the same.", retention.sweep_expired),
    Step("deletion log", "The trip's log: every photo received, its fate, when each copy went.", rows.build_log),
    Step("attest", "Each member of staff confirms for their own phone.", log.attest),
    Step("sign off", "A senior leader signs the log off, and it is frozen as signed.", log.sign_off),
    Step("file", "The log as CSV and PDF for the school's records.", report.render_pdf),
)
