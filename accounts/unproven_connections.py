"""A password reset cuts a Strava connection made before the address was confirmed.

Found in an audit: someone signs up with another person's address, links their own
Strava, and after the real owner resets the password still signs in with Strava. The
reset proves the mailbox, so a connection older than that proof goes.

The connection is strava's (``user.strava``, reached through the ORM's reverse relation,
as an earlier app may); ending it (telling Strava, deleting activity links) is strava's work
too, and accounts may not import strava. So strava registers its disconnect function here,
in its AppConfig.ready(), and accounts calls whatever is registered.
"""

_disconnectors = []


def register(disconnect):
    """``disconnect(connection)`` ends a connection; strava registers
    ``strava.services.disconnect``."""
    if disconnect not in _disconnectors:
        _disconnectors.append(disconnect)


def unproven_strava(user):
    """The account's Strava connection if it was made while the address was unconfirmed
    (or before confirmations existed), else None."""
    # None without one (or without strava). A row without tokens counts too: "Sign in with
    # Strava" finds the account by its athlete id alone.
    connection = getattr(user, "strava", None)
    if connection is None:
        return None
    confirmed_at = user.email_confirmed_at
    if confirmed_at is not None and connection.connected_at >= confirmed_at:
        return None
    return connection


def disconnect_unproven_strava(user):
    """Ends the connection unproven_strava() finds; True if there was one. Call it after
    the new password is saved, so the account no longer signs in only with Strava and
    the athlete id goes too: "Sign in with Strava" then finds no account."""
    connection = unproven_strava(user)
    if connection is None:
        return False
    for disconnect in _disconnectors:
        disconnect(connection)
    if not _disconnectors:
        connection.delete()  # nothing registered to do more; never leave the way in open
    return True
