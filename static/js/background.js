// Background sending, always armed: whenever anything waits in the queue, a Background Sync is
// registered (where the browser has it), so the queue goes even if the page is closed while
// online. The page also sends on every open and every "online" event (app.js), and asks the
// browser to keep this site's storage, so the queue is not evicted when the phone runs short.
export const SYNC_TAG = "tripposter-drain";

// Register the sync. Works on the page and inside the service worker. Never throws: without
// Background Sync (Safari, Firefox) the page's own timer and "online" handler do the work.
export async function arm() {
  try {
    const reg = self.registration ?? await ready();
    await reg?.sync?.register(SYNC_TAG);
    return Boolean(reg?.sync);
  } catch {
    return false;
  }
}

// navigator.serviceWorker.ready never settles if no worker registers: do not wait for ever.
function ready() {
  if (!navigator.serviceWorker) return null;
  return Promise.race([navigator.serviceWorker.ready, new Promise((resolve) => setTimeout(resolve, 5000, null))]);
}

let asked = null;
// Ask once per page that the browser keep our storage (photos waiting to be sent live there).
// Resolves true when it is kept, false when the browser said no, null when it cannot say.
export function keepStorage() {
  asked ??= (async () => {
    if (!navigator.storage?.persist) return null;
    try {
      return (await navigator.storage.persisted()) || (await navigator.storage.persist());
    } catch {
      return null;
    }
  })();
  return asked;
}
