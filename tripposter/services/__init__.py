"""Use cases, one package each: posting, deletion, networks, school, people, audit (highest floor first).

A package imports only packages below it (tests/test_layering.py holds the order) and the shared
``errors`` and ``spreadsheet`` here; never Flask, never ``web``. Read ``posting.walk`` first.
"""
