"""Staff and signing in: accounts, sessions, two-step codes, passkeys, the back-off after failed sign-ins.

May import ``audit`` only (and models, config): people know nothing of schools, trips or photos.
"""
