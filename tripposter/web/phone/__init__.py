"""The phone: its JSON API (with openapi.json) and sign-in, streamed uploads, the installable page, the posting pages.

May import ``signin``, ``core`` and ``forms``; never ``office`` or ``records``.
"""
