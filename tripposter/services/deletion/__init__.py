"""Destroying every copy and proving it: destruction, retention sweep, outbox copies, the trip's deletion log.

May import ``school`` and ``audit``; posting calls into it (destroy after publishing), never the other way.
"""
