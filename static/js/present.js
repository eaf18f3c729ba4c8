// "Who is in this photo" and "I have looked at every face", per photo on the phone page.
// A pupil can be in a photo without a visible face (turned away, behind a friend): tagging them
// lets the server apply the school's rule for pupils without consent, exactly as the simple
// posting page does (the same PUT, the same consent check). The confirmation goes with the tags.
import { el, say } from "./dom.js";
import { update } from "./queue.js";

export const CONFIRMATION = "I have looked at every face in this photo, as it will be posted";

export const firstName = (pupil) => pupil.first_name || pupil.name.split(" ")[0];

// Pupils tagged by hand, as opposed to named on a face. Older records kept only "tagged".
function present(r) {
  const named = new Set((r.facePupils || []).filter((id) => id !== null));
  return r.present || (r.tagged || []).filter((id) => !named.has(id));
}

async function setPresent(photo, pupil, on, actions) {
  await update("photos", photo.key, (r) => {
    const hand = new Set(present(r));
    if (on) hand.add(pupil.id); else hand.delete(pupil.id);
    const named = (r.facePupils || []).filter((id) => id !== null);
    return { ...r, present: [...hand], tagged: [...new Set([...named, ...hand])], tagsDirty: true, tagVersion: (r.tagVersion || 0) + 1 };
  });
  const note = !on ? `${pupil.name} is no longer tagged in this photo.`
    : pupil.photo_consent ? `${pupil.name} is tagged in this photo.`
      : `${pupil.name} has no photo consent. The school's rule for pupils without consent now applies to this photo: `
        + "the check under the photo says whether it can be posted.";
  say(note);
  await actions.saved();
}

export function whoIsIn(photo, trip, actions) {
  const named = new Map((photo.facePupils || []).map((id, i) => [id, i]).filter(([id]) => id !== null));
  const tagged = new Set(photo.tagged || []);
  const rows = trip.pupils.map((pupil) => {
    const id = `in-${photo.key}-${pupil.id}`;
    const face = named.get(pupil.id);
    return el("label", { class: "check", for: id },
      el("input", { type: "checkbox", id, checked: tagged.has(pupil.id) || face !== undefined, disabled: face !== undefined,
        onchange: (e) => setPresent(photo, pupil, e.target.checked, actions) }),
      " ", pupil.name,
      face !== undefined ? el("span", { class: "hint" }, ` (face ${face + 1})`) : null,
      pupil.photo_consent ? null : el("span", { class: "badge no" }, "No photo consent"));
  });
  const count = new Set([...tagged, ...named.keys()]).size;
  return el("details", { class: "who-in", open: count > 0 },
    el("summary", {}, `Who is in this photo (${count} tagged)`),
    el("p", { class: "hint" }, "Tick every pupil in the photo, even if their face is hidden, turned away or blurred."),
    el("div", { class: "who-list" }, rows));
}

export function confirmBox(photo, number, actions) {
  const id = `checked-${photo.key}`;
  const change = async (e) => {
    const on = e.target.checked;
    await update("photos", photo.key, (r) => ({ ...r, facesChecked: on, tagsDirty: true, tagVersion: (r.tagVersion || 0) + 1 }));
    say(on ? `Photo ${number}: you have looked at every face.` : `Photo ${number}: not checked yet. It cannot be posted until you tick it.`);
    await actions.saved();
  };
  return el("p", { class: photo.facesChecked ? "confirm done" : "confirm" },
    el("label", { class: "check", for: id }, el("input", { type: "checkbox", id, checked: !!photo.facesChecked, onchange: change }),
      ` ${CONFIRMATION}`));
}
