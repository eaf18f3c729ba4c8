// Where each face's number goes on the phone's picture: near its face, never on another label.
// The same rule as tripposter/web/phone/face_labels.py on the simple posting page. Sizes are screen pixels.
const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

function candidates(box, w, h, step) {
  const cx = box.x + box.w / 2 - w / 2;
  const spots = [[cx, box.y - h], [cx, box.y + box.h], [box.x - w, box.y], [box.x + box.w, box.y]];
  for (let ring = 1; ring < 40; ring++) {
    const d = ring * step;
    spots.push([cx, box.y - h - d], [cx, box.y + box.h + d], [box.x - w - d, box.y], [box.x + box.w + d, box.y],
      [cx - d, box.y - h], [cx + d, box.y - h], [cx - d, box.y + box.h], [cx + d, box.y + box.h]);
  }
  return spots;
}

// boxes: [{x, y, w, h}], sizes: [{w, h}] of each label; returns {scale, spots: [{x, y, w, h}]} inside
// width x height. When the picture has no room left, every label is made smaller and placed again,
// so labels never overlap each other.
export function placeLabels(boxes, sizes, width, height) {
  for (let scale = 1; ; scale *= 0.8) {
    const spots = place(boxes, sizes.map(({ w, h }) => ({ w: w * scale, h: h * scale })), width, height);
    if (spots || scale < 0.2) return { scale, spots: spots || [] };
  }
}

function place(boxes, sizes, width, height) {
  const placed = [];
  for (const [i, box] of boxes.entries()) {
    const { w, h } = sizes[i];
    const clamp = ([x, y]) => ({ x: Math.min(Math.max(0, x), Math.max(0, width - w)), y: Math.min(Math.max(0, y), Math.max(0, height - h)), w, h });
    const free = (r, avoidFaces) => !placed.some((p) => overlaps(r, p)) && !(avoidFaces && boxes.some((b) => overlaps(r, b)));
    const spots = candidates(box, w, h, h / 2).map(clamp);
    let spot = spots.find((r) => free(r, true)) || spots.find((r) => free(r, false));
    if (!spot) {
      // Everything near is taken: scan the whole picture in half-label steps, nearest free spot first.
      const cells = [];
      for (let y = 0; y + h <= height; y += h / 2) for (let x = 0; x + w <= width; x += h / 2) cells.push({ x, y, w, h });
      cells.sort((a, b) => Math.hypot(a.x - box.x, a.y - box.y) - Math.hypot(b.x - box.x, b.y - box.y));
      spot = cells.find((r) => free(r, false));
      if (!spot) return null;
    }
    placed.push(spot);
  }
  return placed;
}
