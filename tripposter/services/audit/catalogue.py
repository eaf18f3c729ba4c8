"""What each audit action means, in words a senior leader reads, and the categories the log is filtered by.

The one place that turns ``checks.failed`` with ``rules=["no_consent"]`` into "Checks failed: no
photo consent". An action missing here (a new one, or another module's ``auth.*``) still shows,
spelled out from its name, so nothing recorded is ever hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Category:
    label: str
    prefixes: tuple[str, ...]  # action prefixes; "photo.received" matches that action exactly and any longer one


CATEGORIES: dict[str, Category] = {
    "sign_in": Category("Sign-in and sessions", ("auth.",)),
    "staff": Category("Staff accounts", ("user.",)),
    "consent": Category("Roster and consent", ("roster.", "pupil.", "consent.")),
    "trips": Category("Trips", ("trip.",)),
    "uploads": Category("Uploads", ("photo.received", "photo.refused", "photo.tagged", "photo.faces_checked")),
    "checks": Category("Check outcomes", ("checks.",)),
    "posts": Category("Posts", ("post.",)),
    "window": Category("Posting-hours overrides", ("window.",)),
    "deletions": Category("Deletions", ("photo.destroyed", "photo.orphan_destroyed", "photo.file_vanished", "retention.",
                                         "outbox.")),
    "x": Category("X account", ("x.",)),
    "channels": Category("Networks (Bluesky, Mastodon, Facebook)", ("channel.", "publication.")),
    "logs": Category("Deletion log sign-offs", ("log.",)),
    "settings": Category("School settings", ("school.",)),
    "audit": Category("Audit log exports", ("audit.",)),
}

ACTIONS: dict[str, str] = {
    "auth.login": "Signed in",
    "auth.login_failed": "Sign-in failed",
    "auth.logout": "Signed out",
    "auth.logout_everywhere": "Signed out everywhere",
    "auth.sessions_ended": "All sessions ended by a senior leader",
    "auth.session_expired": "Session expired",
    "auth.session_closed": "Session ended",
    "auth.passkey_added": "Passkey added",
    "auth.passkey_removed": "Passkey removed",
    "auth.passkeys_removed": "Passkeys removed by a senior leader",
    "auth.2fa_enrolled": "Two-step sign-in turned on",
    "auth.2fa_disabled": "Two-step sign-in turned off",
    "auth.2fa_reset": "Two-step sign-in reset by a senior leader",
    "auth.2fa_failed": "Wrong sign-in code",
    "auth.2fa_reused": "Used sign-in code refused",
    "auth.2fa_required": "School now requires two-step sign-in",
    "auth.2fa_optional": "Two-step sign-in made optional",
    "user.created": "Staff account created",
    "user.disabled": "Staff account disabled",
    "user.enabled": "Staff account enabled",
    "user.password_reset": "Password reset by a senior leader",
    "user.password_changed": "Password changed",
    "roster.imported": "Roster imported",
    "pupil.added": "Pupil added to the roster",
    "consent.changed": "Consent changed",
    "trip.created": "Trip created",
    "trip.updated": "Trip edited",
    "trip.pupils_changed": "Trip pupils changed",
    "trip.staff_changed": "Trip staff changed",
    "trip.networks_changed": "Trip networks changed",
    "photo.received": "Photo received",
    "photo.refused": "Photo refused",
    "photo.tagged": "Faces tagged",
    "photo.faces_checked": "Teacher confirmed looking at every face",
    "checks.failed": "Checks failed",
    "post.queued": "Post queued",
    "post.rescheduled": "Post rescheduled",
    "post.published": "Post published",
    "post.released": "Post released to the trip's networks only",
    "post.failed": "Post failed",
    "post.unknown": "Post outcome unknown",
    "post.needs_decision": "Post waiting for a senior leader's decision",
    "post.decided": "Unknown post decided",
    "post.requeued": "Post queued again",
    "post.cancelled": "Post cancelled",
    "post.expired": "Post expired",
    "post.withdrawn": "Post withdrawn",
    "post.held": "Post held: its author was disabled",
    "window.override": "Posted outside the school's hours",
    "photo.destroyed": "Photo destroyed",
    "photo.orphan_destroyed": "Unknown spool file destroyed",
    "photo.file_vanished": "Photo file found missing",
    "retention.swept": "Retention sweep",
    "outbox.destroyed": "Outbox copy destroyed after its retention time",
    "outbox.leftover_destroyed": "Unfinished or unclaimed outbox copy destroyed",
    "x.connected": "X account connected",
    "x.tokens_rotated": "X tokens renewed",
    "x.disconnected": "X account disconnected",
    "x.paused": "Posting to X paused",
    "x.resumed": "Posting to X resumed",
    "channel.connected": "Network connected",
    "channel.reconnected": "Network connected again with new details",
    "channel.tested": "Network connection tested",
    "channel.disconnected": "Network disconnected",
    "channel.paused": "Posting to a network paused until it is reconnected",
    "publication.published": "Post sent to a connected network",
    "publication.retrying": "Sending to a network will be tried again",
    "publication.unknown": "Not known whether a post reached a network",
    "publication.requeued": "Post not found on a network, queued to send again",
    "publication.needs_decision": "A senior leader must check a network for a post",
    "publication.failed": "A network refused a post",
    "publication.expired": "Post not sent to a network before its photos' retention limit",
    "publication.cancelled": "Post not sent to a network",
    "publication.decided": "A senior leader decided a post on a network",
    "log.attested": "Deletion log attested",
    "log.signed_off": "Deletion log signed off",
    "school.updated": "School settings changed",
    "audit.exported": "Audit log exported",
}

RULES: dict[str, str] = {
    # consent and faces
    "no_consent": "no photo consent",
    "blur_missing": "faces to blur not marked",
    "face_conflict": "a face with two decisions",
    "face_twice": "one pupil on two faces",
    "face_unknown": "an unknown face",
    "face_unknown_pupil": "a pupil not on the trip",
    "face_not_tagged": "a face's pupil not tagged",
    "unknown_pupil": "a pupil not on the trip",
    "alt_text": "no alt text",
    "faces_not_checked": "faces not confirmed as looked at",
    # caption
    "full_name": "a pupil's full name in the caption",
    "surname": "a pupil's surname in the caption",
    "first_name": "a first name not allowed",
    "staff_surname": "a staff surname",
    "maybe_name": "an everyday word that may be a pupil's name",
    "length": "caption too long",
    "mention": "a mention not allowed",
    "text_speak": "text-speak",
    "offensive": "an offensive word",
    "link": "a link",
    "urgent_later": "urgent but not now",
    # the photo itself (refused on upload)
    "empty_file": "empty file",
    "not_an_image": "not a photo",
    "unsupported_format": "unsupported format",
    "corrupt_image": "damaged photo",
    "animated_image": "animated image",
    "file_too_large": "file too large",
    "too_many_pixels": "too many pixels",
    "output_too_large": "too large after cleaning",
    "unsafe_output": "cleaning could not be verified",
    "face_model_missing": "face detection unavailable",
}

CONSENT_FIELDS = {"photo_consent": "photo consent", "first_name_consent": "first-name consent"}
DECISIONS = {"posted": "it was posted", "resend": "send it again", "cancel": "cancel it"}
NETWORK_DECISIONS = {"posted": "it went out", "resend": "send it again", "cancel": "do not send"}
OVERRIDES = {"urgent": "urgent", "trip_hours": "within the trip's own hours"}


def label(action: str) -> str:
    """The plain name of ``action``; an unknown one is spelled out from its dotted name."""
    if action in ACTIONS:
        return ACTIONS[action]
    area, _, rest = action.partition(".")
    words = rest.replace("_", " ").replace(".", " ")
    return f"{area.capitalize()}: {words}" if words else area.capitalize()


def rule_words(codes: Any) -> str:
    if not isinstance(codes, list | tuple):
        codes = [codes]
    return ", ".join(RULES.get(str(c), str(c).replace("_", " ")) for c in codes)


def describe(action: str, detail: Mapping[str, Any]) -> str:
    """One line: the action's name, then what matters most about this one."""
    base = label(action)
    extra = _extra(action, detail)
    return f"{base}: {extra}" if extra else base


def _consent(value: Any) -> str:
    return {True: "yes", False: "no"}.get(value, "no record")


def _extra(action: str, d: Mapping[str, Any]) -> str:
    if action in ("checks.failed", "photo.refused"):
        return rule_words(d.get("rules", d.get("rule", [])))
    if action == "consent.changed":
        field = CONSENT_FIELDS.get(str(d.get("field")), str(d.get("field")))
        return f"{field} {_consent(d.get('old'))} \u2192 {_consent(d.get('new'))} ({d.get('source', '')})"
    if action == "window.override":
        return OVERRIDES.get(str(d.get("kind")), str(d.get("kind", "")))
    if action == "post.decided":
        return DECISIONS.get(str(d.get("decision")), str(d.get("decision", "")))
    if action == "publication.decided":
        return f"{d.get('kind', '')}, " + NETWORK_DECISIONS.get(str(d.get("decision")), str(d.get("decision", "")))
    if action.startswith("publication.") and d.get("kind"):
        return str(d["kind"]) + (f", {d['error']}" if d.get("error") else "")
    if action in ("post.failed", "post.unknown"):
        return str(d.get("error", ""))
    if action == "photo.destroyed":
        verified = "verified" if d.get("verified") else "NOT verified"
        return f"{d.get('fate', '')}, {verified}"
    if action in ("trip.updated", "school.updated"):
        return ", ".join(str(f).replace("_", " ") for f in d.get("fields", []))
    if action == "trip.networks_changed":
        return f"{_networks(d.get('before'))} \u2192 {_networks(d.get('after'))}"
    if action in ("trip.pupils_changed", "trip.staff_changed"):
        return f"{len(d.get('added', []))} added, {len(d.get('removed', []))} removed"
    if action in ("x.connected", "x.tokens_rotated", "x.disconnected") and d.get("screen_name"):
        return "@" + str(d["screen_name"])
    if action.startswith("channel.") and d.get("kind"):
        result = {True: ", working", False: ", refused"}.get(d.get("ok"), "") if action == "channel.tested" else ""
        return f"{d['kind']} {d.get('account', '')}".strip() + result
    if action == "user.created" and d.get("role"):
        return str(d["role"]).replace("_", " ")
    if action == "audit.exported":
        return str(d.get("format", "")).upper()
    if action == "photo.faces_checked":
        return f"{d.get('faces', 0)} face(s), {d.get('regions', 0)} area(s) blurred by hand"
    if action == "retention.swept":
        return f"{d.get('photos', 0)} photo(s)"
    return ""


def _networks(value: Any) -> str:
    if value == "all" or value is None:
        return "all connected"
    return ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)


def detail_text(detail: Mapping[str, Any]) -> str:
    """The detail as ``key: value`` pairs, for the page's last column and the export."""
    parts = []
    for key, value in detail.items():
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value) or "none"
        elif isinstance(value, dict):
            value = "; ".join(f"{k}: {v}" for k, v in value.items())
        parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)
