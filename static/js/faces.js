// A photo being prepared. The picture is the server's posting image, exactly as it will be posted
// (faces blurred unless named, areas blurred by hand); "Show the faces" swaps in the clean copy to
// name them. Each face has a box that fits it (its tap target is larger but invisible) and a
// numbered label placed clear of the others; a named face's label shows the pupil's first name.
import { el, say } from "./dom.js";
import { update } from "./queue.js";
import { placeLabels } from "./labels.js";
import { drawRegions, MAX_REGIONS } from "./regions.js";
import { confirmBox, firstName, whoIsIn } from "./present.js";

const views = new Map();  // per photo: showing the clean faces? drawing areas to blur?
const sent = new Map();  // per photo: the state the server last acknowledged, which its preview shows

const view = (photo) => views.get(photo.key) || views.set(photo.key, { faces: false, drawing: false }).get(photo.key);
const previewKey = (p) => JSON.stringify([p.facePupils, p.tagged, p.regions || []]);

// What, besides app.js's own list, changes how a card looks (app.js redraws a card when it changes).
export function cardState(photo) {
  if (!photo.tagsDirty || !sent.has(photo.key)) sent.set(photo.key, photo.tagsDirty ? "" : previewKey(photo));
  const v = view(photo);
  return [sent.get(photo.key), photo.regions, photo.tagged, photo.facesChecked, v.faces, v.drawing];
}

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
  const v = view(photo);
  const n = photo.faces.length;
  const toggle = (name, on, text) => el("button", { type: "button", "aria-pressed": String(on), id: `${name}-${photo.key}`,
    onclick: () => { v[name] = !v[name]; actions.saved(); } }, text);
  const stale = !v.faces && sent.get(photo.key) !== previewKey(photo);
  const note = v.drawing ? "Tap or drag on the photo to blur any part of it: a face the boxes missed, a name badge, a school sign."
    : n ? "Tap a numbered box to say whose face it is. Faces you do not name are blurred."
      : "No faces were found. If you can see a face, blur it by hand, or remove this photo and take another.";
  const problems = (photo.problems || []).map((p) => el("li", {}, p.message));
  return [
    el("p", { class: "view-note" }, v.faces ? "Showing the faces, to name them (only on your screen)." : "Showing the photo as it will be posted."),
    frame(photo, number, trip, actions, chooser),
    stale ? el("p", { class: "hint" }, "The preview updates when your change reaches the server (it needs signal).") : null,
    el("div", { class: "actions" }, toggle("faces", v.faces, "Show the faces to name them"), toggle("drawing", v.drawing, "Blur a part of the photo")),
    el("p", { class: "hint" }, note), regionList(photo, actions), chooser, whoIsIn(photo, trip, actions),
    problems.length ? el("ul", { class: "problems error" }, problems) : null,
    photo.error ? el("p", { class: "error" }, photo.error) : null,
    confirmBox(photo, number, actions),
  ];
}

function frame(photo, number, trip, actions, chooser) {
  const v = view(photo);
  const n = photo.faces.length;
  const key = sent.get(photo.key) || "";
  const src = v.faces ? `/api/photos/${photo.serverId}/preview.jpg` : `/api/photos/${photo.serverId}/posting.jpg?v=${hash(key)}`;
  const alt = v.faces ? `Photo ${number} with the faces shown, only on your screen` : `Photo ${number} as it will be posted, with ${n} face${n === 1 ? "" : "s"} found`;
  const figure = el("figure", { class: v.drawing ? "face-frame drawing" : "face-frame" },
    el("img", { src, width: photo.width, height: photo.height, alt }));
  (photo.regions || []).forEach((r) => figure.append(place(el("span", { class: "region", "aria-hidden": "true" }), r, photo)));
  const buttons = photo.faces.map((face, i) => faceButton(photo, face, i, trip, chooser, actions));
  const labels = photo.faces.map((face, i) => {
    const pupil = trip.pupils.find((p) => p.id === photo.facePupils?.[i]);
    return el("span", { class: pupil ? "face-label named" : "face-label", "aria-hidden": "true", onclick: () => buttons[i].click() },
      pupil ? `${i + 1} ${firstName(pupil)}` : String(i + 1));
  });
  figure.append(...buttons, ...labels);
  new ResizeObserver(() => layout(figure, photo, labels)).observe(figure);
  let ghost = null;
  drawRegions(figure, photo.width, photo.height, (r) => addRegion(photo, r, actions), (r) => {
    ghost?.remove();
    ghost = r && place(el("span", { class: "region ghost", "aria-hidden": "true" }), r, photo);
    if (ghost) figure.append(ghost);
  });
  return figure;
}

// Labels are placed in screen pixels, so they are redone whenever the picture changes size.
function layout(figure, photo, labels) {
  const W = figure.clientWidth, H = figure.clientHeight;
  if (!W || !H) return;
  const boxes = photo.faces.map((f) => ({ x: (f.x * W) / photo.width, y: (f.y * H) / photo.height, w: (f.width * W) / photo.width, h: (f.height * H) / photo.height }));
  labels.forEach((l) => { l.style.fontSize = ""; });
  const { scale, spots } = placeLabels(boxes, labels.map((l) => ({ w: l.offsetWidth, h: l.offsetHeight })), W, H);
  spots.forEach((s, i) => Object.assign(labels[i].style, { left: `${s.x}px`, top: `${s.y}px`, visibility: "visible",
    fontSize: scale < 1 ? `${0.8 * scale}rem` : "" }));
}

// Positions go through the CSSOM, which a strict style-src allows (inline style attributes are not).
function place(node, r, photo) {
  Object.assign(node.style, {
    left: `${(100 * r.x) / photo.width}%`, top: `${(100 * r.y) / photo.height}%`,
    width: `${(100 * r.width) / photo.width}%`, height: `${(100 * r.height) / photo.height}%`,
  });
  return node;
}

function hash(text) {
  let h = 5381;
  for (const c of text) h = ((h * 33) ^ c.codePointAt(0)) >>> 0;
  return h.toString(36);
}

async function addRegion(photo, region, actions) {
  if ((photo.regions || []).length >= MAX_REGIONS) return say(`A photo can have at most ${MAX_REGIONS} blurred areas. Remove some first.`);
  await saveRegions(photo, [...(photo.regions || []), region], actions);
  say(`Area ${(photo.regions || []).length + 1} will be blurred.`);
}

async function saveRegions(photo, regions, actions) {
  await update("photos", photo.key, (r) => ({ ...r, regions, tagsDirty: true, tagVersion: (r.tagVersion || 0) + 1 }));
  actions.saved();
}

function regionList(photo, actions) {
  const regions = photo.regions || [];
  if (!regions.length) return null;
  return el("div", { class: "actions regions" }, el("span", {}, `Blurred by hand: ${regions.length}`),
    regions.map((r, i) => el("button", { type: "button", onclick: async () => {
      await saveRegions(photo, regions.filter((_, j) => j !== i), actions);
      say(`Blurred area ${i + 1} removed.`);
    } }, `Remove blurred area ${i + 1}`)));
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
    "aria-expanded": "false", onclick: () => choose(photo, i, trip, chooser, button, actions) });
  return place(button, face, photo);
}

function choose(photo, i, trip, chooser, button, actions) {
  const current = photo.facePupils?.[i] ?? null;
  const pick = (id) => { chooser.replaceChildren(); actions.assign(photo, i, id); };
  const note = el("p", { class: "note", role: "status" });
  const refuse = (pupil) => {
    note.textContent = `${pupil.name} has no photo consent, so cannot be named. Their face stays blurred.`;
    say(note.textContent);
  };
  const chip = (pupil) => pupil.photo_consent
    ? el("button", { type: "button", class: "chip", "aria-pressed": String(current === pupil.id), onclick: () => pick(pupil.id) }, pupil.name)
    : el("button", { type: "button", class: "chip no", "aria-disabled": "true", onclick: () => refuse(pupil) },
      pupil.name, el("span", { class: "badge no" }, "No photo consent"));
  const legend = el("legend", {}, `Whose face is in box ${i + 1}?`);
  const blurred = el("button", { type: "button", class: "chip", "aria-pressed": String(current === null), onclick: () => pick(null) }, "Leave blurred");
  chooser.replaceChildren(el("fieldset", { class: "chips" }, legend, blurred, trip.pupils.map(chip), note));
  button.setAttribute("aria-expanded", "true");
  blurred.focus();
}
