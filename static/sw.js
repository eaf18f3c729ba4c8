// tripposter's service worker: keeps the phone page's shell so it opens with no signal, and
// sends the queue from the background (Background Sync) when the page is closed.
// The server fills in VERSION (a digest of the shell's files) and the list of assets.
import { drain } from "/static/js/drain.js";
import { fetchSend } from "/static/js/upload.js";
import { arm, SYNC_TAG } from "/static/js/background.js";

const VERSION = "__VERSION__";
const CACHE = `tripposter-shell-${VERSION}`;
const ASSETS = ["__ASSETS__"];
const SHELL = "/app";

self.addEventListener("install", (event) => event.waitUntil(precache().then(() => self.skipWaiting())));

async function precache() {
  const cache = await caches.open(CACHE);
  await Promise.all(ASSETS.map(async (url) => {
    const response = await fetch(url, { cache: "no-cache" });
    if (!response.ok) throw new Error(`could not cache ${url}`);
    await cache.put(url, response);
  }));
  // The shell holds no personal data; keep it only if the server gave us the real page.
  const shell = await fetch(SHELL, { cache: "no-store" });
  if (shell.ok && !shell.redirected) await cache.put(SHELL, shell);
}

self.addEventListener("activate", (event) => event.waitUntil((async () => {
  for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
  await self.clients.claim();
})()));

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  // The API (and so every photo preview) always goes to the network and is never kept.
  if (request.method !== "GET" || url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  if (url.pathname === SHELL) event.respondWith(shell(request));
  else if (ASSETS.includes(url.pathname)) event.respondWith(caches.match(url.pathname).then((hit) => hit || fetch(request)));
});

async function shell(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(SHELL, { ignoreSearch: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && !response.redirected) await cache.put(SHELL, response.clone());
  return response;
}

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(sendQueue(event.lastChance));
});

async function sendQueue(lastChance) {
  try {
    const result = await drain(fetchSend, { eager: true, background: true, changed: tell });
    // Something still waits (offline, the page is sending, a retry not yet due): failing the sync
    // makes the browser try again later, with its own backoff. On its last try, register afresh,
    // so that the queue is never left without a background send while anything waits.
    if (result.waiting) {
      if (lastChance) await arm();
      throw new Error("still waiting to send");
    }
  } finally {
    await tell();
  }
}

async function tell() {
  for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage({ type: "changed" });
}
