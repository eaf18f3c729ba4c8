"""Pure domain code on bytes and values: decode, scrub, faces, consent, caption, window.

No Flask, no database session, no network. Each refusal is a named error, or a Problem,
carrying a sentence a teacher understands on a small screen.
"""

import logging

# Pillow logs every EXIF tag it reads at DEBUG, values included: a photo's GPS position and camera
# serial would reach the log of any process run at DEBUG. Its INFO and above say nothing personal.
logging.getLogger("PIL").setLevel(logging.INFO)
