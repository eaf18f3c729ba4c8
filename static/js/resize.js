// Turn a camera photo upright, shrink it to the posting size and re-encode it as JPEG, here on
// the phone: the new file is made from pixels alone, so GPS, camera serials and every other
// piece of metadata never leave the phone (the server still scrubs and checks everything).
export const LONG_EDGE = 2000;
export const QUALITY = 0.85;

export class UnreadablePhotoError extends Error {}

// Returns {blob, width, height}. Raises UnreadablePhotoError when the browser cannot decode it.
export async function shrink(file, longEdge = LONG_EDGE, quality = QUALITY) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    throw new UnreadablePhotoError("This phone could not open that file as a photo. Take the photo again.");
  }
  const scale = Math.min(1, longEdge / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = typeof OffscreenCanvas === "function" ? new OffscreenCanvas(width, height) : element(width, height);
  const context = canvas.getContext("2d", { alpha: false });
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const blob = canvas.convertToBlob
    ? await canvas.convertToBlob({ type: "image/jpeg", quality })
    : await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
  if (!blob) throw new UnreadablePhotoError("This phone ran out of memory shrinking the photo. Close other apps and try again.");
  return { blob, width, height };
}

function element(width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}
