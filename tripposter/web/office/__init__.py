"""The office pages: the roster, trips, staff accounts, the school's settings, its X account and other networks.

May import ``signin``, ``core`` and ``forms``; never ``phone`` or ``records``.
"""
