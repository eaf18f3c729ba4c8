// Turning the files the teacher picked into queued photos: each is fingerprinted (SHA-256 of the
// file's bytes, so the same photo cannot go into one post twice), shrunk on the phone, and stored
// with the trip it is for and when it was taken (the file's time on the phone), before anything
// is sent.
import { put, newKey } from "./queue.js";
import { shrink } from "./resize.js";

export async function fingerprint(blob) {
  if (!crypto.subtle) return null;  // only on a page served over plain http from another machine
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// Queue `files` as photos of the post being made for `tripId`, which already holds `drafts`.
// Returns {added, problems}: how many were queued, and a sentence for each file that was not.
export async function queuePhotos(files, tripId, drafts, max) {
  const seen = new Map(drafts.filter((p) => p.sha256).map((p, i) => [p.sha256, i + 1]));
  const problems = [];
  let added = 0;
  for (const file of files) {
    const sha256 = await fingerprint(file);
    if (sha256 && seen.has(sha256)) {
      problems.push(`That photo is already in this post (photo ${seen.get(sha256)}), so it was not added again.`);
      continue;
    }
    if (drafts.length + added >= max) {
      problems.push(`A post holds up to ${max} photos, so not all were added. Post these first.`);
      break;
    }
    try {
      const { blob, width, height } = await shrink(file);
      await put("photos", { key: newKey(), tripId, blob, width, height, sha256, takenAt: file.lastModified || Date.now(),
        state: "waiting", draft: true, createdAt: Date.now(), attempts: 0, facePupils: null, tagged: [], tagVersion: 0 });
      added += 1;
      if (sha256) seen.set(sha256, drafts.length + added);
    } catch (err) {
      problems.push(err.message);
    }
  }
  return { added, problems };
}
