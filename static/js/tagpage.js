// The simple posting page's tag form, enhanced: tap or drag on the picture to blur a part of it.
// Without this script the page still works; only drawing new areas needs it.
import { drawRegions, MAX_REGIONS } from "./regions.js";

const figure = document.getElementById("face-figure");
const field = document.getElementById("regions");
const svg = figure?.querySelector("svg");
if (figure && field && svg) {
  const width = Number(figure.dataset.width), height = Number(figure.dataset.height);
  const NS = "http://www.w3.org/2000/svg";
  const outline = (r, cls) => {
    const node = document.createElementNS(NS, "rect");
    for (const [k, v] of Object.entries({ ...r, class: cls, fill: "none", stroke: "#d4351c", "stroke-width": Math.max(2, width / 400) })) node.setAttribute(k, v);
    svg.append(node);
    return node;
  };
  let ghost = null;
  svg.classList.add("drawing");
  document.getElementById("region-help").hidden = false;
  drawRegions(svg, width, height, (region) => {
    const regions = JSON.parse(field.value || "[]");
    const help = document.getElementById("region-help");
    if (regions.length >= MAX_REGIONS) {
      help.textContent = `A photo can have at most ${MAX_REGIONS} blurred areas. Remove some first.`;
      return;
    }
    regions.push(region);
    field.value = JSON.stringify(regions);
    outline(region, "region new");
    help.textContent = `${regions.length} area${regions.length === 1 ? "" : "s"} will be blurred. Press \u201cSave and show the preview\u201d to see it as it will be posted.`;
  }, (r) => { ghost?.remove(); ghost = r && outline(r, "region ghost"); });
}
