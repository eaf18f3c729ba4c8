"""The school's connected social accounts: X today (its tokens, pause, limits, connect flow); more networks land here.

May import ``school`` and ``audit``, and ``publishers`` for the clients; never posting or deletion.
"""
