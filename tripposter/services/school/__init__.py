"""The school's own data: its settings, the consent roster and its CSV, trips, hashtags, the demo school.

May import ``people`` and ``audit``; ``rules`` turns these rows into the plain values the pipeline checks take.
"""
