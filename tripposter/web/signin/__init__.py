"""Signing in and one's own account: sign in and out, passwords, sessions, My sign-in (two-step, passkeys), the throttle.

May import ``core`` and ``forms``; the office, phone and records pages import it, never the other way.
"""
