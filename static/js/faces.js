// A photo being prepared: the server's clean preview with a numbered button over each face.
// Tapping one shows the trip's pupils as chips; pupils without photo consent cannot be chosen.
import { el, say } from "./dom.js";

export function photoCard(photo, number, trip, actions) {
  const heading = el("h3", {}, `Photo ${number}`);
  const remove = el("button", { type: "button", class: "quiet", onclick: () => actions.remove(photo) }, `Remove photo ${number}`);
  if (photo.state === "refused") {
    return el("li", { class: "card photo-card refused", id: `photo-${photo.key}` }, heading,
      el("p", { class: "error" }, `Not accepted: ${photo.error}`), remove);
  }
  const card = el("li", { class: "card photo-card", id: `photo-${photo.key}` }, heading);
  const parts = photo.state === "uploaded" ? tagging(photo, number, trip, actions) : waiting(photo, number);
  card.append(...parts.filter(Boolean), ...describe(photo, number, actions));
  card.append(remove);
  return card;
}

function waiting(photo, number) {
  const url = photo.blob ? URL.createObjectURL(photo.blob) : null;
  const img = url && el("img", { src: url, alt: `Photo ${number}, waiting to be sent`, width: photo.width, height: photo.height });
  img?.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
  const id = `progress-${photo.key}`;
  return [
    el("figure", { class: "face-frame" }, img),
    el("label", { for: id }, `Sending photo ${number}`),
    el("progress", { id, max: "1", value: "0" }),
    el("p", { class: "hint", id: `note-${photo.key}` }, photo.error || (photo.attempts ? "Waiting for signal. It will go by itself." : "")),
  ];
}

function tagging(photo, number, trip, actions) {
  const chooser = el("div", { class: "chooser" });
  const frame = el("figure", { class: "face-frame" },
    el("img", { src: `/api/photos/${photo.serverId}/preview.jpg`, width: photo.width, height: photo.height,
      alt: `Photo ${number} as it will be posted, with ${photo.faces.length} face${photo.faces.length === 1 ? "" : "s"} found` }));
  photo.faces.forEach((face, i) => frame.append(faceButton(photo, face, i, trip, chooser, actions)));
  const note = photo.faces.length
    ? "Tap a numbered box to say whose face it is. Faces you do not name are blurred."
    : "No faces were found. If you can see a face, remove this photo and take another.";
  const problems = (photo.problems || []).map((p) => el("li", {}, p.message));
  return [
    frame, el("p", { class: "hint" }, note), chooser,
    problems.length ? el("ul", { class: "problems error" }, problems) : null,
    photo.error ? el("p", { class: "error" }, photo.error) : null,
  ];
}

// Alt text is required for every posted photo; it can be written while the photo still waits.
function describe(photo, number, actions) {
  const id = `alt-${photo.key}`;
  return [
    el("label", { for: id }, `Describe photo ${number} for people who cannot see it`),
    el("input", { id, type: "text", value: photo.altText || "", maxlength: "1000", "aria-required": "true",
      oninput: (e) => actions.describe(photo, e.target.value) }),
  ];
}

function faceButton(photo, face, i, trip, chooser, actions) {
  const pupil = trip.pupils.find((p) => p.id === photo.facePupils?.[i]);
  const label = `Face ${i + 1}: ${pupil ? pupil.name : "blurred"}`;
  const button = el("button", { type: "button", class: pupil ? "face named" : "face", "aria-label": label,
    "aria-expanded": "false", onclick: () => choose(photo, i, trip, chooser, button, actions) }, el("span", { class: "n", "aria-hidden": "true" }, String(i + 1)));
  // Positions are set through the CSSOM, which a strict style-src allows (inline style attributes are not).
  Object.assign(button.style, {
    left: `${(100 * face.x) / photo.width}%`, top: `${(100 * face.y) / photo.height}%`,
    width: `${(100 * face.width) / photo.width}%`, height: `${(100 * face.height) / photo.height}%`,
  });
  return button;
}

function choose(photo, i, trip, chooser, button, actions) {
  const current = photo.facePupils?.[i] ?? null;
  const pick = (id) => { chooser.replaceChildren(); actions.assign(photo, i, id); };
  const chip = (pupil) => pupil.photo_consent
    ? el("button", { type: "button", class: "chip", "aria-pressed": String(current === pupil.id), onclick: () => pick(pupil.id) }, pupil.name)
    : el("button", { type: "button", class: "chip no", "aria-disabled": "true",
      onclick: () => say(`${pupil.name} has no photo consent, so cannot be named. Their face stays blurred.`) },
      pupil.name, el("span", { class: "badge no" }, "No photo consent"));
  const legend = el("legend", {}, `Whose face is in box ${i + 1}?`);
  const blurred = el("button", { type: "button", class: "chip", "aria-pressed": String(current === null), onclick: () => pick(null) }, "Leave blurred");
  chooser.replaceChildren(el("fieldset", { class: "chips" }, legend, blurred, trip.pupils.map(chip)));
  button.setAttribute("aria-expanded", "true");
  blurred.focus();
}
