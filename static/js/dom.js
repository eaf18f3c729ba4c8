// Small helpers for building the page from script without innerHTML or inline styles.
export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (typeof value === "boolean") node.toggleAttribute(name, value);
    else node.setAttribute(name, value);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

// Tell the teacher what just happened: on screen (a notice at the foot of the screen, kept until the
// next one or a while) and to screen readers (the notice is a live region in the page's markup).
let hideTimer = 0;
export function say(text) {
  const live = $("live");
  live.textContent = "";
  live.hidden = false;
  live.onclick = () => { live.hidden = true; };  // a tap puts it away, in case it covers a button
  clearTimeout(hideTimer);
  setTimeout(() => { live.textContent = text; }, 60);
  hideTimer = setTimeout(() => { live.hidden = true; }, 12000);
}
