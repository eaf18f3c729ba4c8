"""One photo from the phone to the network: receive, review, name checks, queue, claim, publish, recover.

The top package: may import every other (deletion, networks, school, people, audit). Read ``walk`` first.
"""
