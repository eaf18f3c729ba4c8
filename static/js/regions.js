// Tap or drag on a photo to mark a part of it to blur (a missed face, a name badge, a school sign).
// Shared by the phone page (faces.js) and the simple posting page (tagpage.js). Coordinates are the
// posting image's own pixels; the server checks them and blurs them like faces.
export const MAX_REGIONS = 20;

// Calls done({x, y, width, height}) once per tap or drag on `surface`, a picture `width` x `height`.
export function drawRegions(surface, width, height, done, preview) {
  let start = null;
  const at = (e) => {
    const box = surface.getBoundingClientRect();
    return [clamp(((e.clientX - box.left) / box.width) * width, 0, width), clamp(((e.clientY - box.top) / box.height) * height, 0, height)];
  };
  surface.addEventListener("pointerdown", (e) => {
    if (!surface.classList.contains("drawing")) return;
    e.preventDefault();
    start = at(e);
    surface.setPointerCapture?.(e.pointerId);
  });
  surface.addEventListener("pointermove", (e) => start && preview?.(rect(start, at(e), width, height)));
  surface.addEventListener("pointerup", (e) => {
    if (!start) return;
    const region = rect(start, at(e), width, height);
    start = null;
    preview?.(null);
    done(region);
  });
  surface.addEventListener("pointercancel", () => { start = null; preview?.(null); });
}

// A drag gives its rectangle; a tap (or a tiny drag) a square a sixth of the short side, centred on it.
export function rect([x0, y0], [x1, y1], width, height) {
  const side = Math.round(Math.max(40, Math.min(width, height) / 6));
  if (Math.abs(x1 - x0) < side / 4 && Math.abs(y1 - y0) < side / 4) {
    const x = clamp(Math.round(x1 - side / 2), 0, Math.max(0, width - side));
    const y = clamp(Math.round(y1 - side / 2), 0, Math.max(0, height - side));
    return { x, y, width: Math.min(side, width), height: Math.min(side, height) };
  }
  return fit({ x: Math.round(Math.min(x0, x1)), y: Math.round(Math.min(y0, y1)),
    width: Math.round(Math.abs(x1 - x0)), height: Math.round(Math.abs(y1 - y0)) }, width, height);
}

function fit(r, width, height) {
  const w = clamp(Math.max(8, r.width), 8, width), h = clamp(Math.max(8, r.height), 8, height);
  return { x: clamp(r.x, 0, width - w), y: clamp(r.y, 0, height - h), width: w, height: h };
}

function clamp(v, low, high) {
  return Math.min(Math.max(v, low), high);
}
