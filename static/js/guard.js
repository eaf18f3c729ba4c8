// The name guard's live check on the phone: the caption and each photo's alt text go to
// /api/caption-check together, and each problem names the photo whose description it is in.
export function checkBody(tripId, caption, photos) {
  const drafts = photos.slice(0, 4);
  return {
    trip_id: tripId,
    caption,
    tagged: [...new Set(drafts.flatMap((p) => p.tagged || []))],
    alt_texts: drafts.map((p) => ({ text: p.altText || "", tagged: p.tagged || [] })),
  };
}
