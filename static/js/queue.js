// The phone's queue, in IndexedDB: every photo and post is stored here, with its idempotency key,
// before any network call, so nothing is lost when the tab, the phone or the signal goes.
const NAME = "tripposter";
const STORES = ["photos", "posts", "meta"];
let opening = null;

function open() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = () => {
      for (const store of STORES) request.result.createObjectStore(store, { keyPath: "key" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opening;
}

// Run `work(stores)` in one transaction; resolves with its result once the transaction commits.
export async function tx(names, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(names, mode);
    const stores = Object.fromEntries(names.map((n) => [n, t.objectStore(n)]));
    let result;
    Promise.resolve(work(stores)).then((r) => { result = r; }, (e) => { t.abort(); reject(e); });
    t.oncomplete = () => resolve(result);
    t.onerror = t.onabort = () => reject(t.error || new Error("The phone's storage refused the change."));
  });
}

export const wrap = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

export const all = (store) => tx([store], "readonly", (s) => wrap(s[store].getAll()));
export const get = (store, key) => tx([store], "readonly", (s) => wrap(s[store].get(key)));
export const put = (store, record) => tx([store], "readwrite", (s) => { s[store].put(record); });
export const del = (store, key) => tx([store], "readwrite", (s) => { s[store].delete(key); });

// Change one record in place; `change` returns the new record, or null to delete it.
export function update(store, key, change) {
  return tx([store], "readwrite", async (s) => {
    const record = await wrap(s[store].get(key));
    if (!record) return null;
    const next = change(record);
    if (next === null) s[store].delete(key); else s[store].put(next);
    return next;
  });
}

// How many photos and posts still wait on this phone, and how many photos still hold bytes.
export async function counts() {
  const [photos, posts] = await Promise.all([all("photos"), all("posts")]);
  return { photos: photos.length, posts: posts.length, bytes: photos.filter((p) => p.blob).length };
}

export const newKey = () => crypto.randomUUID();
