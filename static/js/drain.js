// Send whatever waits in the queue, oldest first, until the server has acknowledged it. Used by
// the page (XHR, with progress) and by the service worker's Background Sync (fetch). Every send
// carries the idempotency key made on the phone, so a repeat after a lost answer is harmless.
import { all, get, update, tx } from "./queue.js";
import { aboutPhoto, backoff, isFinal, isRetry, message } from "./upload.js";
import { KEPT_NOTE } from "./keep.js";

export class SessionEndedError extends Error {}

// Returns {waiting, wake, offline}: records still queued, when the next retry is due (ms), and
// whether the network failed. Raises SessionEndedError when the server wants the password again.
// One sender at a time. The open page takes the lock from the service worker (the teacher is
// watching its progress bar); the worker only sends when nobody else is. A send cut short this
// way is safe: the next one carries the same idempotency key.
export function drain(send, hooks = {}) {
  const run = (lock) => (lock === null ? { waiting: 1, wake: Date.now() + 5000, offline: false, busy: true } : drainOnce(send, hooks));
  if (!navigator.locks) return run(true);
  return navigator.locks.request("tripposter-drain", hooks.background ? { ifAvailable: true } : { steal: true }, run);
}

async function drainOnce(send, hooks) {
  const state = { offline: false, changed: hooks.changed || (() => {}) };
  const session = await send({ method: "GET", url: "/api/session" });
  if (session.status === 401) throw new SessionEndedError();
  if (session.status !== 200) return finish({ ...state, offline: true });
  state.headers = { "X-CSRFToken": session.data.csrf_token };
  // Eager (back online, page opened, Background Sync): forget the backoff and try everything now.
  state.now = hooks.eager ? Infinity : Date.now();
  for (const photo of await due("photos", state.now)) await sendPhoto(send, state, photo, hooks.progress);
  for (const photo of await all("photos")) await tidyPhoto(send, state, photo);
  for (const post of await due("posts", state.now)) await sendPost(send, state, post);
  return finish(state);
}

async function due(store, now) {
  return (await all(store)).filter((r) => r.state === "waiting" && !(r.nextTry > now))
    .sort((a, b) => a.createdAt - b.createdAt);
}

async function finish(state) {
  const records = [...await all("photos"), ...await all("posts")];
  const waiting = records.filter((r) => r.state === "waiting" || r.tagsDirty || r.discard);
  const tries = waiting.map((r) => r.nextTry || 0).filter(Boolean);
  return { waiting: waiting.length, wake: tries.length ? Math.min(...tries) : null, offline: state.offline };
}

// A record that failed for a passing reason: try again later, a little later each time.
function retryLater(store, key, state, reply) {
  if (reply.status === 0) state.offline = true;
  return update(store, key, (r) => ({ ...r, attempts: (r.attempts || 0) + 1, nextTry: Date.now() + backoff(r.attempts || 0),
    error: reply.status === 0 ? "" : message(reply.data, "The server could not take it yet. Trying again soon.") }));
}

function check(reply) {
  if (reply.status === 401) throw new SessionEndedError();
  return reply.status >= 200 && reply.status < 300;
}

async function sendPhoto(send, state, photo, progress) {
  if (!photo.blob) return;
  const body = new FormData();
  body.append("photo", photo.blob, "photo.jpg");
  // When it was taken (the file's time on the phone): after the trip, the server accepts a photo
  // taken during it for a grace period. Older queue items fall back to when they were queued.
  body.append("taken_at", new Date(photo.takenAt || photo.createdAt).toISOString());
  const reply = await send({ method: "POST", url: `/api/trips/${photo.tripId}/photos`, body,
    headers: { ...state.headers, "Idempotency-Key": photo.key }, onProgress: (f) => progress?.(photo.key, f) });
  if (check(reply)) {
    const p = reply.data.photo;
    // Acknowledged: the server holds the clean copy now, so the phone's copy goes at once.
    await update("photos", photo.key, (r) => ({ ...r, blob: null, state: "uploaded", serverId: p.id, faces: p.faces,
      width: p.width, height: p.height, facePupils: r.facePupils ?? p.face_pupils, error: "", nextTry: 0 }));
  } else if (isFinal(reply.status) && aboutPhoto(reply)) {
    await update("photos", photo.key, (r) => ({ ...r, blob: null, state: "refused",
      error: message(reply.data, "The server refused this photo.") }));
  } else if (isFinal(reply.status)) {
    // Not about the photo (the trip is over, ...): never lose it. It leaves the draft and waits,
    // with its bytes, in "Not sent, kept on this phone" until the teacher saves or deletes it.
    await update("photos", photo.key, (r) => ({ ...r, state: "kept", draft: false, nextTry: 0,
      error: message(reply.data, "The server did not take this photo.") }));
  } else {
    await retryLater("photos", photo.key, state, reply);
  }
  state.changed();
}

// After upload: send the teacher's face tags, or abandon a photo they removed.
async function tidyPhoto(send, state, photo) {
  if (photo.state !== "uploaded" || (!photo.discard && !photo.tagsDirty) || photo.nextTry > state.now) return;
  const url = `/api/photos/${photo.serverId}`;
  if (photo.discard) {
    const reply = await send({ method: "DELETE", url, headers: state.headers });
    if (check(reply) || isFinal(reply.status)) await update("photos", photo.key, () => null);
    else await retryLater("photos", photo.key, state, reply);
    return state.changed();
  }
  const body = JSON.stringify({ face_pupils: photo.facePupils, tagged: photo.tagged || [], alt_text: photo.altText || "",
    regions: photo.regions, faces_checked: photo.facesChecked });  // left out (unchanged) until the teacher sets them
  const reply = await send({ method: "PUT", url, body, headers: { ...state.headers, "Content-Type": "application/json" } });
  if (check(reply)) {
    // Tags changed again while this was in flight: keep them dirty so the newer ones go too.
    await update("photos", photo.key, (r) => ({ ...r, tagsDirty: r.tagVersion !== photo.tagVersion,
      problems: reply.data.problems, error: "" }));
  } else if (isFinal(reply.status)) {
    await update("photos", photo.key, (r) => ({ ...r, tagsDirty: false, error: message(reply.data, "The tags were refused.") }));
  } else {
    await retryLater("photos", photo.key, state, reply);
  }
  state.changed();
}

async function sendPost(send, state, post) {
  const photos = await Promise.all(post.photoKeys.map((k) => get("photos", k)));
  const stuck = photos.findIndex((p) => !p || p.state === "refused" || p.state === "kept");
  if (stuck >= 0) {
    const photo = photos[stuck];
    const which = photos.length > 1 ? `Photo ${stuck + 1}` : "The photo";
    const error = photo?.state === "kept"
      ? `${which} was not sent: ${photo.error} ${KEPT_NOTE}`
      : `${which} was refused${photo?.error ? `: ${photo.error}` : "."} Remove it, or choose another photo, and post again.`;
    await update("posts", post.key, (r) => ({ ...r, state: "refused", error }));
    return state.changed();
  }
  if (photos.some((p) => p.state !== "uploaded" || p.tagsDirty)) return;  // its photos go first
  const body = JSON.stringify({ trip_id: post.tripId, photo_ids: photos.map((p) => p.serverId), caption: post.caption,
    when: post.when, minutes: post.minutes || 0, urgent_reason: "" });
  const reply = await send({ method: "POST", url: "/api/posts", body,
    headers: { ...state.headers, "Content-Type": "application/json", "Idempotency-Key": post.key } });
  if (check(reply)) {
    // The server has the post: nothing about it needs to stay on the phone.
    await tx(["photos", "posts"], "readwrite", (s) => {
      s.posts.delete(post.key);
      for (const k of post.photoKeys) s.photos.delete(k);
    });
  } else if (isFinal(reply.status)) {
    await update("posts", post.key, (r) => ({ ...r, state: "refused", problems: reply.data?.error?.problems || [],
      error: message(reply.data, "The server refused this post.") }));
  } else {
    await retryLater("posts", post.key, state, reply);
  }
  state.changed();
}
