// Sending one request: with XHR on the page (for the progress bar) or fetch in the service
// worker. Both answer {status, data}; status 0 means the network failed and it is worth retrying.
export function xhrSend({ method, url, body, headers = {}, onProgress }) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    // A request that makes no progress for a while is dead (a field with one bar of signal, or a
    // network that went away under it): give up on it so the queue can try again.
    const limit = body instanceof FormData ? 30_000 : 10_000;
    let stall = setTimeout(() => xhr.abort(), limit);
    const alive = () => { clearTimeout(stall); stall = setTimeout(() => xhr.abort(), limit); };
    xhr.open(method, url);
    xhr.responseType = "text";
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => { alive(); if (onProgress && e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onprogress = alive;
    xhr.onload = () => { clearTimeout(stall); resolve({ status: xhr.status, data: parse(xhr.responseText) }); };
    xhr.onerror = xhr.onabort = () => { clearTimeout(stall); resolve({ status: 0, data: null }); };
    xhr.send(body ?? null);
  });
}

export async function fetchSend({ method, url, body, headers = {} }) {
  try {
    // A request the network swallows must not hold the queue for ever.
    const signal = AbortSignal.timeout(120_000);
    const response = await fetch(url, { method, body, headers, credentials: "same-origin", cache: "no-store", signal });
    return { status: response.status, data: parse(await response.text()) };
  } catch {
    return { status: 0, data: null };
  }
}

function parse(text) {
  try { return JSON.parse(text); } catch { return null; }
}

// A refusal the server will give again however often we ask: show it, do not retry.
export const isFinal = (status) => [400, 403, 404, 409, 413, 415, 422].includes(status);
export const isRetry = (status) => status === 0 || status === 429 || status >= 500;

// Refusals about the photo itself (not a picture, damaged, too big): the only ones for which the
// phone lets a photo's bytes go. Any other refusal (the trip is over, not your trip, a key clash)
// keeps them on the phone, so the teacher can save the photo to the gallery.
const PHOTO_FAULTS = new Set(["empty_file", "not_an_image", "unsupported_format", "corrupt_image",
  "animated_image", "file_too_large", "too_many_pixels", "hidden_file"]);
export const aboutPhoto = (reply) => reply.status === 413 || (reply.status === 422 && PHOTO_FAULTS.has(reply.data?.error?.code));

// Exponential backoff with jitter, 2 s doubling up to 5 minutes.
export function backoff(attempts) {
  const base = Math.min(300_000, 2000 * 2 ** Math.min(attempts, 10));
  return base / 2 + Math.random() * base / 2;
}

export function message(data, fallback) {
  return data?.error?.message || fallback;
}
