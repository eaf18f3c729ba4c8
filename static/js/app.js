// The phone page. Photos and posts go into IndexedDB first (queue.js), then drain.js sends them
// with retries; this module only draws the page and turns taps into queue records.
import { $, el, say } from "./dom.js";
import { all, get, put, update, del, tx, wrap, newKey } from "./queue.js";
import { xhrSend, fetchSend, message } from "./upload.js";
import { drain, SessionEndedError } from "./drain.js";
import { photoCard, cardState } from "./faces.js";
import { endedDrafts, localItems, serverItems } from "./status.js";
import { deleteKept, isKept, keptItems, retryKept } from "./keep.js";
import { arm, keepStorage } from "./background.js";
import { queuePhotos } from "./pick.js";
import { checkBody } from "./guard.js";
import { askToSignIn } from "./reauth.js";

const MAX_PHOTOS = 4;
const page = { trips: [], trip: null, csrf: null, reg: null, timer: 0, running: false, again: false, cards: new Map() };
const actions = {
  assign, describe, remove, edit, drop,
  forget: async (photo) => { await del("photos", photo.key); render(); },
  cancel: takeBack,
  retry: async (photo) => { await retryKept(photo); armQueue(); await render(); kick(true); },
  discardKept: async (photo) => { if (await deleteKept(photo)) { say("Photo deleted from this phone."); render(); } },
  saved: async () => { await render(); kick(); },  // faces.js changed a photo's record
};

start();

async function start() {
  document.documentElement.classList.add("js");
  registerWorker();
  showOnline();
  addEventListener("online", () => { showOnline(); kick(true); loadPosts(); });
  addEventListener("offline", showOnline);
  document.addEventListener("visibilitychange", () => !document.hidden && kick(true));
  navigator.serviceWorker?.addEventListener("message", (e) => e.data?.type === "changed" && (render(), loadPosts()));
  $("camera").addEventListener("change", pickPhotos);
  $("caption").addEventListener("input", captionChanged);
  $("post-form").addEventListener("submit", postIt);
  $("post-form").addEventListener("change", (e) => e.target.name === "when" && ($("later").hidden = e.target.value !== "later"));
  keepStorage().then((kept) => { $("storage-note").hidden = kept !== false; });
  await loadTrips();
  $("loading").hidden = true;
  await render();
  kick(true);
  loadPosts();
  setInterval(() => !document.hidden && navigator.onLine && loadPosts(), 15000);
}

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  try {
    page.reg = await navigator.serviceWorker.register("/sw.js", { scope: "/", type: "module" });
  } catch (err) {
    console.warn("The page will not open offline: its service worker did not start.", err);
  }
}

function showOnline() {
  $("offline").hidden = navigator.onLine;
}

function sessionEnded() {
  page.csrf = null;
  // Sign in again in place (reauth.js), then carry on with the queue.
  askToSignIn(() => { page.csrf = null; say("Signed in again. Sending what is waiting."); loadTrips(); kick(true); loadPosts(); });
}

async function loadTrips() {
  const reply = await fetchSend({ method: "GET", url: "/api/trips/today" });
  if (reply.status === 200) await put("meta", { key: "trips", data: reply.data });
  else if (reply.status === 401) sessionEnded();
  const saved = reply.status === 200 ? { data: reply.data } : await get("meta", "trips");
  page.trips = saved?.data.trips || [];
  page.tripsFresh = reply.status === 200;  // only a fresh list can say a trip is over
  const chosen = await get("meta", "chosen");
  page.trip = page.trips.find((t) => t.id === chosen?.id) || page.trips[0] || null;
  renderTrips(saved ? "" : "This phone has no trip saved yet. Connect to the internet once to load today's trip.");
}

function renderTrips(problem) {
  const body = $("trip-body");
  $("snap").hidden = $("draft").hidden = !page.trip;
  if (!page.trip) {
    body.replaceChildren(el("p", {}, problem || "No trip of yours is running today. Photos can be posted only during a trip you lead."));
    return;
  }
  const choose = async (trip) => { page.trip = trip; await put("meta", { key: "chosen", id: trip.id }); renderTrips(); render(); loadPosts(); };
  body.replaceChildren(...[
    el("p", { class: "trip-name" }, el("strong", {}, page.trip.name), ` \u00b7 ${page.trip.destination}`),
    page.trip.networks?.length ? el("p", { class: "hint", id: "trip-networks" }, `Posts from this trip go to ${page.trip.networks.join(", ")}.`) : null,
    page.trip.ended ? el("p", { class: "hint", id: "trip-ended" }, endedNote(page.trip)) : null,
    page.trips.length > 1 ? el("div", { class: "actions", role: "group", "aria-label": "Choose the trip" },
      page.trips.map((t) => el("button", { type: "button", "aria-pressed": String(t === page.trip), onclick: () => choose(t) }, t.name))) : null,
  ].filter(Boolean));
}

// After the last day, photos taken during the trip are still taken for a few days (the server says until when).
function endedNote(trip) {
  const day = (iso) => new Date(`${iso}T12:00:00`).toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long" });
  return `This trip ended on ${day(trip.end_date)}. Photos taken during it can still be sent and posted until the end of `
    + `${day(trip.photos_until)}; posts go out in the school's posting hours.`;
}

async function draftPhotos() {
  const photos = await all("photos");
  return photos.filter((p) => p.draft && !p.discard && p.tripId === page.trip?.id).sort((a, b) => a.createdAt - b.createdAt);
}

async function pickPhotos(event) {
  const files = [...event.target.files];
  event.target.value = "";
  $("snap-error").textContent = "";
  const { added, problems } = await queuePhotos(files, page.trip.id, await draftPhotos(), MAX_PHOTOS);
  if (added) say(`${added === 1 ? "Photo" : `${added} photos`} saved on this phone. Sending now.`);
  // Shown beside the camera button and, said last so no "saved" notice hides it, in the on-screen
  // notice: a duplicate or a photo that did not fit must be seen.
  if (problems.length) {
    $("snap-error").textContent = problems.join(" ");
    say(problems.join(" "));
  }
  await render();
  if (added) armQueue();
  kick(true);
}

// Background Sync is registered whenever something is queued, not only after a failed send.
function armQueue() {
  arm();
  keepStorage().then((kept) => { $("storage-note").hidden = kept !== false; });
}

async function assign(photo, face, pupilId) {
  await update("photos", photo.key, (r) => {
    const faces = [...(r.facePupils || r.faces.map(() => null))];
    faces.forEach((id, i) => { if (pupilId !== null && id === pupilId) faces[i] = null; });  // one face per pupil
    faces[face] = pupilId;
    const tagged = [...new Set([...faces.filter((id) => id !== null), ...(r.present || [])])];
    return { ...r, facePupils: faces, tagged, tagsDirty: true, tagVersion: (r.tagVersion || 0) + 1 };
  });
  const pupil = page.trip.pupils.find((p) => p.id === pupilId);
  say(pupil ? `Face ${face + 1} is ${pupil.name}.` : `Face ${face + 1} will be blurred.`);
  await render();
  document.querySelectorAll(`#photo-${photo.key} .face`)[face]?.focus();
  kick();
  captionChanged();
}

async function describe(photo, text) {
  await update("photos", photo.key, (r) => ({ ...r, altText: text, tagsDirty: true, tagVersion: (r.tagVersion || 0) + 1 }));
  kick();
  captionChanged();  // the name guard checks each alt text live, with the caption
}

async function remove(photo) {
  // An uploaded photo is abandoned on the server (destroyed and logged); otherwise it only lived here.
  if (photo.state === "uploaded") await update("photos", photo.key, (r) => ({ ...r, discard: true, draft: false }));
  else await del("photos", photo.key);
  say("Photo removed.");
  await render();
  $("camera").focus();
  kick();
}

async function render() {
  // Renders overlap (a drain reports while the teacher taps): only the newest read may draw.
  const turn = page.renders = (page.renders || 0) + 1;
  const [photos, posts] = await Promise.all([all("photos"), all("posts")]);
  if (turn !== page.renders) return;
  const draft = photos.filter((p) => p.draft && !p.discard && p.tripId === page.trip?.id).sort((a, b) => a.createdAt - b.createdAt);
  renderDraft(draft);
  $("status-local").replaceChildren(...localItems(posts.sort((a, b) => a.createdAt - b.createdAt), photos, actions),
    ...keptItems(photos, actions), ...(page.tripsFresh ? endedDrafts(photos, page.trips, actions) : []));
  const kept = photos.filter(isKept).length;
  const bytes = photos.filter((p) => p.blob).length - kept;
  const waiting = posts.filter((p) => p.state === "waiting").length;
  $("waiting-count").textContent = bytes || waiting
    ? `Still on this phone: ${bytes} photo${bytes === 1 ? "" : "s"} to send, ${waiting} post${waiting === 1 ? "" : "s"} waiting.`
    : "Nothing is waiting on this phone.";
  if (kept) $("waiting-count").textContent += ` ${kept} photo${kept === 1 ? " was" : "s were"} not sent and ${kept === 1 ? "is" : "are"} kept on this phone: see below.`;
}

function renderDraft(draft) {
  const cards = new Map();
  const nodes = draft.map((photo, i) => {
    const sig = JSON.stringify([i, photo.state, photo.serverId, photo.facePupils, photo.problems, photo.error, photo.attempts > 0, ...cardState(photo)]);
    const old = page.cards.get(photo.key);
    const node = old?.sig === sig ? old.node : photoCard(photo, i + 1, page.trip, actions);
    cards.set(photo.key, { sig, node });
    return node;
  });
  page.cards = cards;
  const list = $("draft-photos");
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  if (nodes.length !== list.children.length || nodes.some((n, i) => list.children[i] !== n)) list.replaceChildren(...nodes);
  // A card redrawn while the teacher was typing in it (say, its upload just finished) keeps their place.
  if (focused?.id && !focused.isConnected) {
    const again = $(focused.id);
    if (again && focused.tagName === "INPUT") again.value = focused.value;
    again?.focus();
  }
  $("draft-empty").hidden = draft.length > 0;
  $("camera-hint").textContent = draft.length >= MAX_PHOTOS
    ? "This post has 4 photos, the most X allows. Post it before taking more."
    : draft.length ? `${draft.length} of ${MAX_PHOTOS} photos in this post. Add more, or write the caption and post.` : "";
}

async function kick(eager = false) {
  if (page.running) { page.again = true; page.eager ||= eager; return; }
  page.running = true;
  clearTimeout(page.timer);
  try {
    do {
      page.again = false;
      const result = await drain(xhrSend, { eager: eager || page.eager, progress, changed: render });
      page.eager = false;
      schedule(result);
    } while (page.again);
  } catch (err) {
    if (err instanceof SessionEndedError) sessionEnded(); else console.error(err);
  } finally {
    page.running = false;
    render();
    loadPosts();
  }
}

function progress(key, fraction) {
  const bar = $(`progress-${key}`);
  if (bar) bar.value = fraction;
}

function schedule(result) {
  if (!result.waiting) return;
  // Background Sync sends the queue even after the page is closed; elsewhere the timer and the
  // "online" event do, whenever the page is open. Armed whenever anything waits, online or not.
  arm();
  // Offline, look again every few seconds: the "online" event is not to be trusted (it can come
  // before the network works, or not at all behind a captive portal), and a failed look is free.
  const wait = result.offline ? 4000 : result.wake ? result.wake - Date.now() : 30000;
  page.timer = setTimeout(() => kick(), Math.max(1000, Math.min(wait, 300000)));
}

let captionTimer = 0;
function captionChanged() {
  const text = $("caption").value;
  $("count").textContent = `${[...text].length} characters, checking\u2026`;
  clearTimeout(captionTimer);
  captionTimer = setTimeout(checkCaption, 400);
}

async function token() {
  if (page.csrf) return page.csrf;
  const reply = await fetchSend({ method: "GET", url: "/api/session" });
  if (reply.status === 401) sessionEnded();
  page.csrf = reply.status === 200 ? reply.data.csrf_token : null;
  return page.csrf;
}

async function checkCaption() {
  const text = $("caption").value;
  const drafts = await draftPhotos();
  const csrf = page.trip && (text.trim() || drafts.some((p) => p.altText?.trim())) && await token();
  const reply = csrf ? await fetchSend({ method: "POST", url: "/api/caption-check", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(checkBody(page.trip.id, text, drafts)) }) : { status: -1 };
  if ($("caption").value !== text) return;  // they typed on; a newer check is on its way
  const list = $("caption-problems");
  if (reply.status !== 200) {
    list.replaceChildren();
    $("final-text").hidden = true;
    $("count").textContent = text.trim() ? `${[...text].length} characters. The caption will be checked when there is signal.` : "";
    return;
  }
  const { weighted_length: n, problems, warnings } = reply.data;
  const lengths = reply.data.lengths || [];
  $("count").textContent = lengths.length
    ? `${lengths.map((c) => `${c.network}: ${c.length} of ${c.limit}${c.length > c.limit ? " (too long)" : ""}`).join("; ")} characters, hashtags included.`
    : `${n} of 280 characters, hashtags included${n > 280 ? ": too long" : ""}.`;
  list.replaceChildren(...problems.map((p) => el("li", { class: "error" }, p.message)), ...warnings.map((p) => el("li", { class: "warn" }, p.message)),
    ...costLines(reply.data.cost));
  $("final-text").hidden = false;
  $("final-text").replaceChildren(el("span", { class: "hint" }, "It will be posted as: "), reply.data.text);
}

// What the post costs the school where it goes (X charges per post; a link makes it far dearer).
function costLines(cost) {
  if (!cost) return [];
  const lines = [el("li", { class: "hint cost" }, `Posting this on ${cost.network} costs the school ${cost.dollars}.`)];
  if (cost.warning) lines.push(el("li", { class: "warn" }, cost.warning));
  return lines;
}

async function postIt(event) {
  event.preventDefault();
  // One tap, one post: Post stays off until this post is saved on the phone (a double tap's
  // second submit finds it off, or finds the guard set before anything was awaited).
  const button = event.target.querySelector("button[type=submit]");
  if (page.posting) return;
  page.posting = true;
  button.disabled = true;
  try {
    await savePost(event);
  } finally {
    page.posting = false;
    button.disabled = false;
  }
}

async function savePost(event) {
  const draft = await draftPhotos();
  const caption = $("caption").value.trim();
  const when = new FormData(event.target).get("when");
  const minutes = when === "later" ? Number.parseInt($("minutes").value, 10) : 0;
  const undescribed = draft.findIndex((p) => !p.altText?.trim());
  // A photo the server refused will never be posted (and its card has no description to fill in):
  // say so first, rather than "describe it" or "it goes when there is signal".
  const refused = draft.findIndex((p) => p.state === "refused");
  const unseen = draft.findIndex((p) => p.state !== "uploaded");  // its posting image does not exist yet
  const unchecked = draft.findIndex((p) => !p.facesChecked);
  const problem = !draft.length ? ["camera", "Take or choose a photo first."]
    : refused >= 0 ? ["camera", `Photo ${refused + 1} was not accepted: ${draft[refused].error} Remove it, then post.`]
    : undescribed >= 0 ? [`alt-${draft[undescribed].key}`, `Describe photo ${undescribed + 1} for people who cannot see it.`]
    : unseen >= 0 ? ["camera", `Photo ${unseen + 1} has not reached the server yet. It goes as soon as there is signal; then check its faces as they will be posted, and post.`]
    : unchecked >= 0 ? [`checked-${draft[unchecked].key}`, `Look at photo ${unchecked + 1} as it will be posted and tick \u201cI have looked at every face\u201d.`]
    : !caption ? ["caption", "Write a caption first."]
    : when === "later" && !(minutes >= 1) ? ["minutes", "Say how many minutes to wait before posting."] : null;
  $("post-error").textContent = problem ? problem[1] : "";
  if (problem) return $(problem[0]).focus();
  const key = newKey();
  const saved = await tx(["photos", "posts"], "readwrite", async (s) => {
    const records = await Promise.all(draft.map((p) => wrap(s.photos.get(p.key))));
    if (records.some((r) => !r?.draft)) return false;  // these photos went into a post already
    s.posts.put({ key, tripId: page.trip.id, photoKeys: draft.map((p) => p.key), caption, when, minutes, state: "waiting", createdAt: Date.now(), attempts: 0 });
    for (const record of records) s.photos.put({ ...record, draft: false });
    return true;
  });
  if (!saved) return render();
  armQueue();
  event.target.reset();
  $("later").hidden = true;
  captionChanged();
  say("Post saved on this phone. It will be sent as soon as there is signal.");
  await render();
  $("status-h").focus();
  kick(true);
}

async function edit(post) {
  await tx(["photos", "posts"], "readwrite", async (s) => {
    for (const key of post.photoKeys) {
      const record = await wrap(s.photos.get(key));
      if (record && record.state === "uploaded") s.photos.put({ ...record, draft: true });
    }
    s.posts.delete(post.key);
  });
  $("caption").value = post.caption;
  captionChanged();
  await render();
  $("caption").focus();
}

async function drop(post) {
  await tx(["photos", "posts"], "readwrite", async (s) => {
    for (const key of post.photoKeys) {
      const record = await wrap(s.photos.get(key));
      if (record?.state === "uploaded") s.photos.put({ ...record, discard: true });
      else if (record?.state === "kept") continue;  // its bytes stay until the teacher deletes them
      else if (record) s.photos.delete(key);
    }
    s.posts.delete(post.key);
  });
  await render();
  kick();
}

async function loadPosts() {
  if (!page.trip) return;
  const reply = await fetchSend({ method: "GET", url: `/api/trips/${page.trip.id}/posts` });
  if (reply.status === 200) await put("meta", { key: `posts-${page.trip.id}`, posts: reply.data.posts });
  else if (reply.status === 401) sessionEnded();
  const saved = reply.status === 200 ? reply.data : await get("meta", `posts-${page.trip.id}`);
  $("status-server").replaceChildren(...serverItems((saved?.posts || []).slice().reverse(), actions));
}

async function takeBack(post) {
  const csrf = await token();
  const reply = csrf ? await fetchSend({ method: "DELETE", url: `/api/posts/${post.id}`, headers: { "X-CSRFToken": csrf } }) : { status: 0 };
  say(reply.status === 200 ? "The post was taken back and its photos destroyed." : message(reply.data, "That needs signal. Try again when you are online."));
  loadPosts();
}
