"""Where posts go: the local outbox (default) or X through tweepy. Network code lives here only."""
