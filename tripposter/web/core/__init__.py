"""Web plumbing every page shares: extensions, the access check, the request's database session, errors, proxies, URL converters.

The lowest web package: imports services and models only, never another web package.
"""
