"""Malformed JSON bodies for every JSON endpoint, and bad posting-page forms (see malformed_cases.py)."""

from __future__ import annotations

from collections.abc import Callable

from tests.web.malformed_cases import Case, Ctx, api_json, form, fresh_key

TAG = "/api/photos/{ctx.photo_id}"
POSTS = "/api/posts"
CHECK = "/api/caption-check"
DEEP = b"[" * 100_000 + b"]" * 100_000


def json_cases() -> list[Case]:
    photo = {"needs_photo": True}
    return [
        Case("tag-not-json", api_json("PUT", TAG, raw=b"hello there"), 400, "JSON object", **photo),
        Case("tag-json-sent-as-text-plain", api_json("PUT", TAG, {"tagged": []}, content_type="text/plain"), 400, **photo),
        Case("tag-json-array", api_json("PUT", TAG, []), 400, "JSON object", **photo),
        Case("tag-face-pupils-a-string", api_json("PUT", TAG, {"face_pupils": "1,2"}), 400, "face_pupils", **photo),
        Case("tag-face-pupils-booleans", api_json("PUT", TAG, {"face_pupils": [True]}), 400, "face_pupils", **photo),
        Case("tag-tagged-null", api_json("PUT", TAG, {"tagged": None}), 400, "tagged", **photo),
        Case("tag-alt-text-huge", api_json("PUT", TAG, {"alt_text": "a" * 100_000}), 400, "alt_text", **photo),
        Case("tag-alt-text-a-number", api_json("PUT", TAG, {"alt_text": 7}), 400, "alt_text", **photo),
        Case("tag-wrong-number-of-faces", api_json("PUT", TAG, {"face_pupils": [None] * 9}), 422, "faces", **photo),
        Case("tag-pupil-not-on-trip", api_json("PUT", TAG, {"tagged": [999_999]}), 422, "not on this trip", **photo),
        Case("tag-deeply-nested", api_json("PUT", TAG, raw=DEEP), 400, **photo),
        Case("tag-invalid-utf8", api_json("PUT", TAG, raw=b'{"alt_text": "\xff\xfe"}'), 400, **photo),
        Case("tag-unknown-photo", api_json("PUT", "/api/photos/" + "f" * 32, {"tagged": []}), 404),
        Case("tag-photo-id-10k-chars", api_json("PUT", "/api/photos/" + "f" * 10_000, {"tagged": []}), 404),
        Case("check-missing-trip", api_json("POST", CHECK, {"caption": "Hello"}), 400, "trip_id"),
        Case("check-trip-as-string", api_json("POST", CHECK, {"trip_id": "1", "caption": "Hello"}), 400, "trip_id"),
        Case("check-trip-as-boolean", api_json("POST", CHECK, {"trip_id": True}), 400, "trip_id"),
        Case("check-trip-as-float", api_json("POST", CHECK, {"trip_id": 1.5}), 400, "trip_id"),
        Case("check-trip-negative", api_json("POST", CHECK, {"trip_id": -1}), 400, "trip_id"),
        Case("check-trip-huge", api_json("POST", CHECK, raw=b'{"trip_id": 1' + b"0" * 5000 + b"}"), 400),
        Case("check-trip-nan", api_json("POST", CHECK, raw=b'{"trip_id": NaN}'), 400, "trip_id"),
        Case("check-caption-null", api_json("POST", CHECK, {"trip_id": 1, "caption": None}), 400, "caption"),
        Case("check-caption-huge", api_json("POST", CHECK, {"trip_id": 1, "caption": "a" * 100_000}), 400, "caption"),
        Case("check-tagged-a-string", api_json("POST", CHECK, {"trip_id": 1, "tagged": "abc"}), 400, "tagged"),
        Case("check-not-my-trip", api_json("POST", CHECK, {"trip_id": 999_999, "caption": "Hi"}), 404),
        Case("check-deeply-nested", api_json("POST", CHECK, raw=DEEP), 400),
        Case("check-empty-body", api_json("POST", CHECK, raw=b""), 400, "JSON object"),
        Case("post-empty-object", api_json("POST", POSTS, {}, key=True), 400),
        Case("post-no-photos", api_json("POST", POSTS, {"trip_id": 1, "photo_ids": [], "caption": "Hi"}, key=True), 400,
             "photo_ids"),
        Case("post-five-photos", api_json("POST", POSTS, {"trip_id": 1, "photo_ids": ["a"] * 5, "caption": "Hi"}, key=True),
             400, "photo_ids"),
        Case("post-photo-ids-numbers", api_json("POST", POSTS, {"trip_id": 1, "photo_ids": [1], "caption": "Hi"}, key=True),
             400, "photo_ids"),
        Case("post-when-tomorrow", api_json("POST", POSTS, {"trip_id": 1, "photo_ids": ["a"], "caption": "Hi",
                                                            "when": "tomorrow"}, key=True), 422, "when to post"),
        Case("post-when-null", api_json("POST", POSTS, {"trip_id": 1, "photo_ids": ["a"], "caption": "Hi", "when": None},
                                        key=True), 422, "when to post"),
        Case("post-when-a-list", api_json("POST", POSTS, {"trip_id": 1, "photo_ids": ["a"], "caption": "Hi",
                                                          "when": ["now"]}, key=True), 422, "when to post"),
        Case("post-minutes-negative", api_json("POST", POSTS, {"trip_id": 1, "photo_ids": ["a"], "caption": "Hi",
                                                               "when": "later", "minutes": -5}, key=True), 400, "minutes"),
        Case("post-minutes-text", api_json("POST", POSTS, {"trip_id": 1, "photo_ids": ["a"], "caption": "Hi",
                                                           "when": "later", "minutes": "ten"}, key=True), 400, "minutes"),
        Case("post-caption-blank", api_json("POST", POSTS, {"trip_id": 1, "photo_ids": ["a"], "caption": "  "}, key=True),
             400, "caption"),
        Case("post-urgent-reason-huge", api_json("POST", POSTS, {"trip_id": 1, "photo_ids": ["a"], "caption": "Hi",
                                                                 "urgent_reason": "u" * 10_000}, key=True), 400),
        Case("post-key-a-number", api_json("POST", POSTS, {"trip_id": 1, "photo_ids": ["a"], "caption": "Hi", "key": 7}),
             400, "Idempotency-Key"),
        Case("post-json-string", api_json("POST", POSTS, "just a string", key=True), 400, "JSON object"),
        Case("post-unknown-photo", api_json("POST", POSTS, lambda ctx: {"trip_id": ctx.trip_id, "photo_ids": ["f" * 32],
                                                                        "caption": "Hi"}, key=True), 404),
        Case("delete-unknown-photo", api_json("DELETE", "/api/photos/" + "0" * 32, raw=b""), 404),
        Case("delete-unknown-post", api_json("DELETE", "/api/posts/" + "0" * 32, raw=b""), 404),
    ]


def form_cases() -> list[Case]:
    photo = {"needs_photo": True}

    def post_fields(**over: str) -> Callable[[Ctx], dict[str, str]]:
        def fields(ctx: Ctx) -> dict[str, str]:
            key = fresh_key().replace("-", "")
            return {"key": key, "photo_ids": ctx.photo_id, "caption": "A lovely day", "when": "now"} | over

        return fields

    post_path = "/post/trips/{ctx.trip_id}/posts"
    return [
        Case("form-post-no-caption", form(post_path, post_fields(caption="")), 422, **photo),
        Case("form-post-when-invalid", form(post_path, post_fields(when="tomorrow")), 422, **photo),
        Case("form-post-minutes-text", form(post_path, post_fields(when="later", minutes="ten")), 422, **photo),
        Case("form-post-unknown-photo", form(post_path, post_fields(photo_ids="f" * 32)), 422, **photo),
        Case("form-post-caption-huge", form(post_path, post_fields(caption="a" * 100_000)), 422, **photo),
        Case("form-post-missing-key", form(post_path, post_fields(key="")), 422, **photo),
        Case("form-post-no-csrf", form(post_path, post_fields(), csrf=False), 400, "reload", **photo),
        Case("form-tag-face-not-a-number", form("/post/photos/{ctx.photo_id}", {"faces-0": "abc", "alt_text": "x"}), 422,
             **photo),
        Case("form-tag-tagged-not-a-number", form("/post/photos/{ctx.photo_id}", {"tagged": "abc"}), 422, **photo),
        Case("form-tag-alt-text-huge", form("/post/photos/{ctx.photo_id}", {"alt_text": "a" * 100_000}), 422, **photo),
        Case("form-delete-unknown-photo", form("/post/photos/" + "0" * 32 + "/delete", {}), 404),
        Case("form-cancel-unknown-post", form("/post/posts/" + "0" * 32 + "/cancel", {}), 404),
    ]
