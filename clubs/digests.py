"""'New runs from <club>': one email a day at most per club to its followers.

(Being written: schedule() is called by runs when a club's run is published.)"""


def schedule(club, *, now=None):
    """A club published a run: its digest goes out as soon as one may."""
