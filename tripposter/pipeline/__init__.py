"""Pure domain code on bytes and values: decode, scrub, faces, consent, caption, window.

No Flask, no database session, no network. Each refusal is a named error, or a Problem,
carrying a sentence a teacher understands on a small screen.
"""
