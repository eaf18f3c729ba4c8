// Photos the server would not take for a reason that is not about the photo itself (the trip is
// over, the trip is not yours any more, ...). Their bytes stay on this phone until the teacher
// decides, and each can be saved back to the phone's gallery or shared from here.
import { el } from "./dom.js";
import { all, del, update } from "./queue.js";

const urls = new Map();  // photo key -> object URL, reused across redraws and revoked when gone

export const isKept = (photo) => photo.state === "kept" && photo.blob;

export const KEPT_NOTE = "It is still on this phone. Save it to the phone's gallery to keep it, then delete it here.";

export function keptItems(photos, actions) {
  const kept = photos.filter(isKept).sort((a, b) => a.createdAt - b.createdAt);
  for (const [key, url] of urls) {
    if (!kept.some((p) => p.key === key)) { URL.revokeObjectURL(url); urls.delete(key); }
  }
  return kept.map((photo, i) => {
    if (!urls.has(photo.key)) urls.set(photo.key, URL.createObjectURL(photo.blob));
    const url = urls.get(photo.key);
    const name = fileName(photo);
    const file = new File([photo.blob], name, { type: "image/jpeg" });
    const canShare = navigator.canShare?.({ files: [file] });
    return el("li", { class: "card status-problem kept", id: `kept-${photo.key}` },
      el("p", {}, el("strong", {}, "Not sent, kept on this phone. "), photo.error || ""),
      el("p", {}, KEPT_NOTE),
      el("img", { src: url, alt: `Kept photo ${i + 1}`, width: photo.width, height: photo.height, class: "kept-photo" }),
      el("div", { class: "actions" },
        el("a", { class: "button primary", href: url, download: name }, "Save to the phone"),
        canShare ? el("button", { type: "button", onclick: () => share(file) }, "Share or save to Photos") : null,
        el("button", { type: "button", onclick: () => actions.retry(photo) }, "Try sending again"),
        el("button", { type: "button", class: "quiet", onclick: () => actions.discardKept(photo) }, "Delete from this phone")));
  });
}

// A name that sorts by when the photo was taken, e.g. trip-photo-2026-11-27-1405.jpg.
function fileName(photo) {
  const at = new Date(photo.takenAt || photo.createdAt);
  const pad = (n) => String(n).padStart(2, "0");
  return `trip-photo-${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}-${pad(at.getHours())}${pad(at.getMinutes())}.jpg`;
}

async function share(file) {
  try {
    await navigator.share({ files: [file] });
  } catch {
    // The teacher closed the share sheet: nothing to do, the photo is still here.
  }
}

// Send a kept photo again, and the post it was in (if the post was stopped because of it).
// A photo in no post goes back into the draft of its trip, to be tagged and posted as before.
export async function retryKept(photo) {
  const posts = (await all("posts")).filter((p) => p.photoKeys.includes(photo.key));
  await update("photos", photo.key, (r) => ({ ...r, state: "waiting", draft: !posts.length, error: "", attempts: 0, nextTry: 0 }));
  for (const post of posts.filter((p) => p.state === "refused")) {
    await update("posts", post.key, (r) => ({ ...r, state: "waiting", error: "" }));
  }
}

// Delete a kept photo for good, once the teacher confirms. Resolves true if it was deleted.
export async function deleteKept(photo) {
  if (!confirm("Delete this photo from this phone? It was never sent: if you have not saved it, it is gone for good.")) return false;
  await del("photos", photo.key);
  return true;
}
