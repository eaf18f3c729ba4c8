// The status list: what still waits on this phone, then what the server has done with each post.
import { el } from "./dom.js";

const SERVER = {
  queued: (p) => ["Queued", "It will be posted in a moment."],
  scheduled: (p) => ["Scheduled", `It will be posted ${p.scheduled_text}.`],
  publishing: (p) => ["Posting", "It is being posted now."],
  published: (p) => ["Posted", ""],
  failed: (p) => ["Failed", `${p.error || "It could not be posted."} Check the caption and tags, then post it again.`],
  unknown: (p) => ["Checking whether this went out", "Do not post it again: the app is checking the school's account."],
  held: (p) => ["Held for a senior leader", "Its author's account was disabled, so a senior leader decides whether it goes out."],
  cancelled: (p) => ["Taken back", "It was not posted."],
  withdrawn: (p) => ["Withdrawn", p.error || "A pupil's consent changed, so it was not posted."],
  expired: (p) => ["Expired", "It waited too long and was destroyed. Take the photo again if you still want it posted."],
};

// Each connected network's copy of a posted post, in a word (the main one is the post's own state).
const CHANNEL = {
  pending: "waiting to be posted",
  sending: "being posted now",
  published: "posted",
  unknown: "checking whether it went out",
  failed: "refused",
  expired: "not posted: the photos were destroyed first",
  cancelled: "not posted",
};

function channelList(post) {
  const copies = post.channels || [];
  if (!copies.length) return null;
  // What a senior leader decided comes first ("Recorded as posted by Ms Patel."), then the link.
  return el("ul", { class: "channels" }, copies.map((c) => el("li", {}, `${c.network}: ${CHANNEL[c.state] || c.state}. `,
    c.decided ? `${c.decided} ` : null, c.url ? el("a", { href: c.url }, "See it") : null,
    c.state === "failed" && c.error ? ` ${c.error}` : null)));
}

export function localItems(posts, photos, actions) {
  const items = [];
  for (const post of posts) {
    const n = post.photoKeys.length;
    const what = `${n} photo${n === 1 ? "" : "s"}: \u201c${post.caption}\u201d`;
    if (post.state === "refused") {
      const problems = (post.problems || []).filter((p) => p.message !== post.error).map((p) => el("li", {}, p.message));
      items.push(el("li", { class: "card status-problem" }, el("p", {}, el("strong", {}, "Not posted. "), post.error),
        problems.length ? el("ul", { class: "problems" }, problems) : null, el("p", { class: "post-text" }, what),
        el("div", { class: "actions" },
          el("button", { type: "button", class: "primary", onclick: () => actions.edit(post) }, "Change it and try again"),
          el("button", { type: "button", onclick: () => actions.drop(post) }, "Give up on this post"))));
    } else {
      items.push(el("li", { class: "card waiting" }, el("p", {}, el("strong", {}, "Waiting on this phone. "),
        post.error || "It will be sent as soon as there is signal."), el("p", { class: "post-text" }, what)));
    }
  }
  const loose = photos.filter((p) => p.state === "refused" && !p.draft);
  for (const photo of loose) {
    items.push(el("li", { class: "card status-problem" }, el("p", {}, el("strong", {}, "Photo not accepted. "), photo.error),
      el("button", { type: "button", onclick: () => actions.forget(photo) }, "Dismiss")));
  }
  return items;
}

// A post its trip keeps off the main destination fares as its networks do (the post's state says "released").
function released(post) {
  const copies = post.channels || [];
  if (copies.some((c) => c.state === "published")) return ["Posted", post.skipped_main];
  if (copies.some((c) => ["pending", "sending", "unknown"].includes(c.state))) return ["Posting", post.skipped_main];
  return ["Not posted", `No network took it, so it was not posted anywhere. ${post.skipped_main}`];
}

export function serverItems(posts, actions) {
  return posts.map((post) => {
    const [title, detail] = post.skipped_main && post.state === "published" ? released(post)
      : (SERVER[post.state] || (() => [post.state, ""]))(post);
    return el("li", { class: post.state === "failed" || post.state === "unknown" ? "card status-problem" : "card" },
      el("p", {}, el("strong", {}, `${title}. `), detail),
      el("p", { class: "post-text" }, post.text),
      post.url ? el("a", { href: post.url }, "See the post") : null,
      channelList(post),
      post.state === "queued" || post.state === "scheduled"
        ? el("button", { type: "button", onclick: () => actions.cancel(post) }, "Take back this post") : null);
  });
}

// Photos sent for a post that was never made, from a trip whose grace period is over: they can no
// longer be posted, so the teacher is told (they are destroyed on the server on its schedule).
export function endedDrafts(photos, trips, actions) {
  const ended = photos.filter((p) => p.draft && !p.discard && p.state === "uploaded" && !trips.some((t) => t.id === p.tripId));
  if (!ended.length) return [];
  const n = ended.length;
  return [el("li", { class: "card status-problem" },
    el("p", {}, el("strong", {}, "Not posted. "), `${n} photo${n === 1 ? " was" : "s were"} sent to the server but never posted, `
      + "and the trip is over, so they can no longer be posted. The server destroys them on its usual schedule."),
    el("button", { type: "button", onclick: () => ended.forEach((p) => actions.remove(p)) }, "Remove them now"))];
}
