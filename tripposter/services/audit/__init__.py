"""The audit trail: write an event (``events``), describe it (``catalogue``), read and export the log (``log``).

The lowest package: every other package writes events here; it imports none of them, only models.
"""
