"""The records senior leaders read: the post-trip deletion logs, the audit log, the outbox.

May import ``signin``, ``core`` and ``forms``; never ``office`` or ``phone``.
"""
