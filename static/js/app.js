// The phone page. Photos and posts go into IndexedDB first (queue.js), then drain.js sends them
// with retries; this module only draws the page and turns taps into queue records.
import { $, el, say } from "./dom.js";
import { all, get, put, update, del, tx, wrap, newKey } from "./queue.js";
import { shrink } from "./resize.js";
import { xhrSend, fetchSend, message } from "./upload.js";
import { drain, SessionEndedError } from "./drain.js";
import { photoCard } from "./faces.js";
import { localItems, serverItems } from "./status.js";
import { askToSignIn } from "./reauth.js";

const MAX_PHOTOS = 4;
const page = { trips: [], trip: null, csrf: null, reg: null, timer: 0, running: false, again: false, cards: new Map() };
const actions = {
  assign, describe, remove, edit, drop,
  forget: async (photo) => { await del("photos", photo.key); render(); },
  cancel: takeBack,
};

start();

async function start() {
  document.documentElement.classList.add("js");
  registerWorker();
  showOnline();
  addEventListener("online", () => { showOnline(); kick(true); loadPosts(); });
  addEventListener("offline", showOnline);
  navigator.serviceWorker?.addEventListener("message", (e) => e.data?.type === "changed" && (render(), loadPosts()));
  $("camera").addEventListener("change", pickPhotos);
  $("caption").addEventListener("input", captionChanged);
  $("post-form").addEventListener("submit", postIt);
  $("post-form").addEventListener("change", (e) => e.target.name === "when" && ($("later").hidden = e.target.value !== "later"));
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
    page.trips.length > 1 ? el("div", { class: "actions", role: "group", "aria-label": "Choose the trip" },
      page.trips.map((t) => el("button", { type: "button", "aria-pressed": String(t === page.trip), onclick: () => choose(t) }, t.name))) : null,
  ].filter(Boolean));
}

async function draftPhotos() {
  const photos = await all("photos");
  return photos.filter((p) => p.draft && !p.discard && p.tripId === page.trip?.id).sort((a, b) => a.createdAt - b.createdAt);
}

async function pickPhotos(event) {
  const files = [...event.target.files];
  event.target.value = "";
  const room = MAX_PHOTOS - (await draftPhotos()).length;
  if (files.length > room) say(`A post holds up to ${MAX_PHOTOS} photos, so ${room ? `only ${room} more` : "no more"} can be added. Post these first.`);
  for (const file of files.slice(0, Math.max(0, room))) {
    try {
      const { blob, width, height } = await shrink(file);
      await put("photos", { key: newKey(), tripId: page.trip.id, blob, width, height, state: "waiting", draft: true,
        createdAt: Date.now(), attempts: 0, facePupils: null, tagged: [], tagVersion: 0 });
      say("Photo saved on this phone. Sending it now.");
    } catch (err) {
      say(err.message);
      $("snap-error").textContent = err.message;
    }
  }
  await render();
  kick(true);
}

async function assign(photo, face, pupilId) {
  await update("photos", photo.key, (r) => {
    const faces = [...(r.facePupils || r.faces.map(() => null))];
    faces.forEach((id, i) => { if (pupilId !== null && id === pupilId) faces[i] = null; });  // one face per pupil
    faces[face] = pupilId;
    const tagged = [...new Set([...faces.filter((id) => id !== null)])];
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
  $("status-local").replaceChildren(...localItems(posts.sort((a, b) => a.createdAt - b.createdAt), photos, actions));
  const bytes = photos.filter((p) => p.blob).length;
  const waiting = posts.filter((p) => p.state === "waiting").length;
  $("waiting-count").textContent = bytes || waiting
    ? `Still on this phone: ${bytes} photo${bytes === 1 ? "" : "s"} to send, ${waiting} post${waiting === 1 ? "" : "s"} waiting.`
    : "Nothing is waiting on this phone.";
}

function renderDraft(draft) {
  const cards = new Map();
  const nodes = draft.map((photo, i) => {
    const sig = JSON.stringify([i, photo.state, photo.serverId, photo.facePupils, photo.problems, photo.error, photo.attempts > 0]);
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
  // "online" event do, whenever the page is open.
  if (result.offline) page.reg?.sync?.register("tripposter-drain").catch(() => {});
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
  const tagged = [...new Set((await draftPhotos()).flatMap((p) => p.tagged || []))];
  const csrf = page.trip && text.trim() && await token();
  const reply = csrf ? await fetchSend({ method: "POST", url: "/api/caption-check", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify({ trip_id: page.trip.id, caption: text, tagged }) }) : { status: -1 };
  if ($("caption").value !== text) return;  // they typed on; a newer check is on its way
  const list = $("caption-problems");
  if (reply.status !== 200) {
    list.replaceChildren();
    $("final-text").hidden = true;
    $("count").textContent = text.trim() ? `${[...text].length} characters. The caption will be checked when there is signal.` : "";
    return;
  }
  const { weighted_length: n, problems, warnings } = reply.data;
  $("count").textContent = `${n} of 280 characters, hashtags included${n > 280 ? ": too long" : ""}.`;
  list.replaceChildren(...problems.map((p) => el("li", { class: "error" }, p.message)), ...warnings.map((p) => el("li", { class: "warn" }, p.message)));
  $("final-text").hidden = false;
  $("final-text").replaceChildren(el("span", { class: "hint" }, "It will be posted as: "), reply.data.text);
}

async function postIt(event) {
  event.preventDefault();
  const draft = await draftPhotos();
  const caption = $("caption").value.trim();
  const when = new FormData(event.target).get("when");
  const minutes = when === "later" ? Number.parseInt($("minutes").value, 10) : 0;
  const undescribed = draft.findIndex((p) => !p.altText?.trim());
  const problem = !draft.length ? ["camera", "Take or choose a photo first."]
    : undescribed >= 0 ? [`alt-${draft[undescribed].key}`, `Describe photo ${undescribed + 1} for people who cannot see it.`]
    : !caption ? ["caption", "Write a caption first."]
    : when === "later" && !(minutes >= 1) ? ["minutes", "Say how many minutes to wait before posting."] : null;
  $("post-error").textContent = problem ? problem[1] : "";
  if (problem) return $(problem[0]).focus();
  const key = newKey();
  await tx(["photos", "posts"], "readwrite", async (s) => {
    s.posts.put({ key, tripId: page.trip.id, photoKeys: draft.map((p) => p.key), caption, when, minutes, state: "waiting", createdAt: Date.now(), attempts: 0 });
    for (const p of draft) {
      const record = await wrap(s.photos.get(p.key));
      if (record) s.photos.put({ ...record, draft: false });
    }
  });
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
