"""The office pages: the consent roster, trips, staff accounts, the school's settings and its X account.

May import ``signin``, ``core`` and ``forms``; never ``phone`` or ``records``.
"""
