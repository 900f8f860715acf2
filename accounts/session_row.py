"""A live session's row and its account's row, in one SELECT written out once.

Every request of a signed-in person loads their session, and Django's ORM took longer to
build that query (and then the account's) than the database took to answer both: a third
of a signed-in page's work. This builds the joined query once per database, runs it with
the session key and the time, and turns the row into a Session and a User as the ORM
would (each column through its database's and its field's converters, then
``Model.from_db``). A test holds it to the ORM's answers (tests/accounts/test_session_row.py).
"""

import weakref
from functools import cache

from django.db import connections

# Each thread's connection's converters, worked out on its first session (they read that
# connection's own settings, such as SQLite's time zone, when they run).
_converters_of = weakref.WeakKeyDictionary()


@cache
def _plan(alias):
    """(Session, User, SQL, session fields, user fields, their attribute names) for
    database ``alias``."""
    from accounts.models import Session, User

    connection = connections[alias]
    quote = connection.ops.quote_name
    session_fields = Session._meta.concrete_fields
    user_fields = User._meta.concrete_fields
    columns = [f"s.{quote(field.column)}" for field in session_fields]
    columns += [f"u.{quote(field.column)}" for field in user_fields]
    user_id = quote(Session._meta.get_field("user").column)
    expires = quote(Session._meta.get_field("expire_date").column)
    # Only the models' own table and column names, quoted, are put in; the key and the
    # time are parameters.
    sql = (f"SELECT {', '.join(columns)} FROM {quote(Session._meta.db_table)} s "  # noqa: S608
           f"LEFT JOIN {quote(User._meta.db_table)} u "
           f"ON u.{quote(User._meta.pk.column)} = s.{user_id} "
           f"WHERE s.{quote(Session._meta.pk.column)} = %s AND s.{expires} > %s")
    return (Session, User, sql, session_fields, user_fields,
            [field.attname for field in session_fields],
            [field.attname for field in user_fields])


def _converters(connection, session_fields, user_fields):
    """Each column's converters, as the ORM applies them, for this thread's connection."""
    converters = _converters_of.get(connection)
    if converters is not None:
        return converters
    converters = []
    for alias_name, fields in (("s", session_fields), ("u", user_fields)):
        for field in fields:
            column = field.get_col(alias_name)
            converters.append(connection.ops.get_db_converters(column)
                              + column.get_db_converters(connection))
    _converters_of[connection] = converters
    return converters


def load(session_key, now, alias="default"):
    """(Session, User or None) of the live session ``session_key``, or None."""
    (Session, User, sql, session_fields, user_fields,  # noqa: N806
     session_names, user_names) = _plan(alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_key, connection.ops.adapt_datetimefield_value(now)])
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    converters = _converters(connection, session_fields, user_fields)
    for value, field_converters in zip(row, converters, strict=True):
        for converter in field_converters:
            value = converter(value, None, connection)
        values.append(value)
    split = len(session_names)
    session = Session.from_db(alias, session_names, values[:split])
    user_id = values[split + user_names.index(User._meta.pk.attname)]
    user = User.from_db(alias, user_names, values[split:]) if user_id is not None else None
    return session, user
