"""A small in-memory Bluesky server (PDS) behind respx, for the Bluesky publisher's tests.

Only the HTTP layer is faked: atproto's real client sends real requests, and these handlers answer
them the way bsky.social does (status codes and XRPC error names as its servers send them):
a repeated create of an existing record key is a 500, an expired access token a 400 ExpiredToken,
a wrong app password a 401, a missing record a 400 RecordNotFound. The tests at the bottom pin that.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

HOST = "https://bsky.social"
XRPC = f"{HOST}/xrpc"
ACCOUNT_HOST = "https://morel.us-east.host.bsky.network"  # where a bsky.social account actually lives
HANDLE = "oakfield.bsky.social"
DID = "did:plc:oakfield2026school"
EMAIL = "office@oakfield.sch.uk"  # Bluesky also accepts the account's email address at sign-in
PASSWORD = "abcd-efgh-ijkl-mnop"
BLOB_CID = "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"
RECORD_CID = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
LOST = "lost"  # a fault: the server carries the request out, but its answer never arrives
Fault = httpx.Response | Exception | str


def jwt(scope: str, expires_in: timedelta, serial: int = 0) -> str:
    """An unsigned JWT with the claims atproto reads (the client never checks signatures)."""

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = datetime.now(UTC)
    claims = {"scope": scope, "sub": DID, "iat": int(now.timestamp()), "exp": int((now + expires_in).timestamp()),
              "jti": f"{scope}-{serial}"}
    return f"{part({'alg': 'ES256K', 'typ': 'at+jwt'})}.{part(claims)}.c2ln"


def session_string(access_in: timedelta = timedelta(hours=2), refresh_in: timedelta = timedelta(days=60)) -> str:
    """A saved session as atproto's ``export_session_string`` writes it."""
    access, refresh = jwt("com.atproto.appPass", access_in, 90), jwt("com.atproto.refresh", refresh_in, 90)
    return f"{HANDLE}:::{DID}:::{access}:::{refresh}:::{HOST}"


def _error(status: int, name: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": name, "message": message})


class FakePDS:
    """The school's account on a fake bsky.social: sessions, blobs and repository records."""

    def __init__(self, router: respx.MockRouter, *, blob_limit: int = 2_000_000) -> None:
        self.router, self.blob_limit = router, blob_limit
        self.records: dict[tuple[str, str], dict[str, object]] = {}
        self.calls: Counter[str] = Counter()
        self.faults: dict[str, list[Fault]] = {}
        self.valid_access: set[str] = set()
        self.valid_refresh: set[str] = set()
        self._serial = 0
        self.did_doc_host: str | None = None  # set: createSession names this host as the account's PDS
        self.duplicate_refusal = _error(500, "InternalServerError", "Internal Server Error")  # bsky.social today
        for host in (HOST, ACCOUNT_HOST):
            self._route(router, f"{host}/xrpc")

    def _route(self, router: respx.MockRouter, xrpc: str) -> None:
        for nsid, handler in {
            "com.atproto.server.createSession": self._create_session,
            "com.atproto.server.refreshSession": self._refresh_session,
            "com.atproto.repo.uploadBlob": self._upload_blob,
            "com.atproto.repo.applyWrites": self._apply_writes,
            "com.atproto.repo.putRecord": self._put_record,
        }.items():
            router.post(f"{xrpc}/{nsid}").mock(side_effect=self._wrap(nsid, handler))
        for nsid, handler in {
            "com.atproto.repo.getRecord": self._get_record,
            "app.bsky.actor.getProfile": self._get_profile,
        }.items():
            router.get(f"{xrpc}/{nsid}").mock(side_effect=self._wrap(nsid, handler))

    def accept(self, session: str) -> None:
        """Make a saved session string one this server issued."""
        _, _, access, refresh, _ = session.split(":::")
        self.valid_access.add(access)
        self.valid_refresh.add(refresh)

    def fail(self, nsid: str, *faults: Fault) -> None:
        """Answer the next calls of ``nsid`` with these responses or exceptions, in order."""
        self.faults.setdefault(nsid, []).extend(faults)

    def requests(self, nsid: str) -> list[httpx.Request]:
        """Every request sent to ``nsid``, in order."""
        return [call.request for call in self.router.calls if call.request.url.path.endswith(f"/{nsid}")]

    def _wrap(self, nsid: str, handler: Callable[[httpx.Request], httpx.Response]) -> Callable[..., httpx.Response]:
        def respond(request: httpx.Request) -> httpx.Response:
            self.calls[nsid] += 1
            if self.faults.get(nsid):
                fault = self.faults[nsid].pop(0)
                if fault == LOST:
                    handler(request)
                    raise httpx.ReadTimeout("the answer was lost", request=request)
                if isinstance(fault, Exception):
                    raise fault
                assert isinstance(fault, httpx.Response)
                return fault
            return handler(request)

        return respond

    def _new_tokens(self, access_in: timedelta = timedelta(hours=2)) -> dict[str, str]:
        self._serial += 1
        access = jwt("com.atproto.appPass", access_in, self._serial)
        refresh = jwt("com.atproto.refresh", timedelta(days=60), self._serial)
        self.valid_access.add(access)
        self.valid_refresh.add(refresh)
        return {"accessJwt": access, "refreshJwt": refresh, "handle": HANDLE, "did": DID}

    def _bearer(self, request: httpx.Request) -> str:
        return request.headers.get("authorization", "").removeprefix("Bearer ")

    def _auth_error(self, request: httpx.Request) -> httpx.Response | None:
        token = self._bearer(request)
        if not token:
            return _error(401, "AuthMissing", "Authentication Required")
        if token not in self.valid_access:
            return _error(400, "ExpiredToken", "Token has expired")
        return None

    def _create_session(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("identifier") not in (HANDLE, EMAIL) or body.get("password") != PASSWORD:
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        answer: dict[str, object] = {**self._new_tokens(), "active": True}
        if self.did_doc_host:
            answer["didDoc"] = {
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": DID,
                "alsoKnownAs": [f"at://{HANDLE}"],
                "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                             "serviceEndpoint": self.did_doc_host}],
            }
        return httpx.Response(200, json=answer)

    def _refresh_session(self, request: httpx.Request) -> httpx.Response:
        if self._bearer(request) not in self.valid_refresh:
            return _error(400, "ExpiredToken", "Token has been revoked")
        return httpx.Response(200, json=self._new_tokens())

    def _upload_blob(self, request: httpx.Request) -> httpx.Response:
        if (refused := self._auth_error(request)) is not None:
            return refused
        size = len(request.content)
        if size > self.blob_limit:
            return _error(400, "BlobTooLarge", f"This file is too large. It is {size / 1e6:.2f}MB.")
        blob = {"$type": "blob", "ref": {"$link": BLOB_CID}, "mimeType": request.headers["content-type"], "size": size}
        return httpx.Response(200, json={"blob": blob})

    def _apply_writes(self, request: httpx.Request) -> httpx.Response:
        if (refused := self._auth_error(request)) is not None:
            return refused
        writes = json.loads(request.content)["writes"]
        if any((w["collection"], w["rkey"]) in self.records for w in writes):
            return self.duplicate_refusal
        results = []
        for write in writes:
            self.records[(write["collection"], write["rkey"])] = write["value"]
            uri = f"at://{DID}/{write['collection']}/{write['rkey']}"
            results.append({"$type": "com.atproto.repo.applyWrites#createResult", "uri": uri, "cid": RECORD_CID})
        return httpx.Response(200, json={"commit": {"cid": RECORD_CID, "rev": "3lzzzzzzzzz22"}, "results": results})

    def _put_record(self, request: httpx.Request) -> httpx.Response:
        if (refused := self._auth_error(request)) is not None:
            return refused
        body = json.loads(request.content)
        self.records[(body["collection"], body["rkey"])] = body["record"]
        return httpx.Response(200, json={"uri": f"at://{DID}/{body['collection']}/{body['rkey']}", "cid": RECORD_CID})

    def _get_record(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        value = self.records.get((params["collection"], params["rkey"]))
        if value is None:
            return _error(400, "RecordNotFound", f"Could not locate record: at://{params['repo']}")
        uri = f"at://{DID}/{params['collection']}/{params['rkey']}"
        return httpx.Response(200, json={"uri": uri, "cid": RECORD_CID, "value": value})

    def _get_profile(self, request: httpx.Request) -> httpx.Response:
        if (refused := self._auth_error(request)) is not None:
            return refused
        return httpx.Response(200, json={"did": DID, "handle": HANDLE, "displayName": "Oakfield Primary School"})


@pytest.fixture
def pds() -> Iterator[FakePDS]:
    """The fake server; any request it does not serve fails the test."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield FakePDS(router)


def test_the_fake_refuses_a_second_create_of_the_same_key_as_bsky_social_does(pds: FakePDS) -> None:
    session = httpx.post(f"{XRPC}/com.atproto.server.createSession", json={"identifier": HANDLE, "password": PASSWORD})
    auth = {"authorization": f"Bearer {session.json()['accessJwt']}"}
    write = {"repo": DID, "writes": [{"$type": "com.atproto.repo.applyWrites#create",
                                      "collection": "app.bsky.feed.post", "rkey": "3kabc", "value": {"text": "x"}}]}
    assert httpx.post(f"{XRPC}/com.atproto.repo.applyWrites", json=write, headers=auth).status_code == 200
    again = httpx.post(f"{XRPC}/com.atproto.repo.applyWrites", json=write, headers=auth)
    assert (again.status_code, again.json()["error"]) == (500, "InternalServerError")
    assert len(pds.records) == 1


def test_the_fake_refuses_tokens_it_did_not_issue_and_wrong_passwords(pds: FakePDS) -> None:
    refused = httpx.post(f"{XRPC}/com.atproto.repo.uploadBlob", content=b"x", headers={"authorization": "Bearer nope"})
    assert (refused.status_code, refused.json()["error"]) == (400, "ExpiredToken")
    wrong = httpx.post(f"{XRPC}/com.atproto.server.createSession", json={"identifier": HANDLE, "password": "no"})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "AuthenticationRequired")
