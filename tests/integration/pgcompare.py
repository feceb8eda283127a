"""Comparing a SQLite database with a PostgreSQL one, relation by
relation and row by row, for the PostgreSQL tests (test_pg_write.py;
test_pg_schema.py and the others): rows sorted, floats within 1e-9
relative, a boolean where SQLite has 0/1 an error, blobs compared as hex.
"""

# Blob columns, compared as lower-case hex.
BLOBS = {"messages": "payload", "rejects": "payload"}


def norm(v):
    assert not isinstance(v, bool), "a boolean where SQLite has 0/1"
    if isinstance(v, float) and v == int(v) and abs(v) < 2 ** 53:
        return int(v)
    return v


def sort_key(row):
    return [(0, "") if v is None else (1, "%.6g" % v)
            if isinstance(v, (int, float)) else (2, v) for v in row]


def close(x, y):
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))
    return x == y


def compare_rows(name, a, b):
    """Differences between two lists of rows, as lines (none: equal)."""
    a = sorted(([norm(v) for v in r] for r in a), key=sort_key)
    b = sorted(([norm(v) for v in r] for r in b), key=sort_key)
    if len(a) != len(b):
        return ["%s: %d rows in SQLite, %d in PostgreSQL\n  sqlite:     %s\n"
                "  postgresql: %s" % (name, len(a), len(b), a, b)]
    return ["%s: row differs\n  sqlite:     %s\n  postgresql: %s"
            % (name, x, y) for x, y in zip(a, b)
            if len(x) != len(y) or not all(map(close, x, y))]


def sqlite_relations(con):
    """{name: (kind, [columns])} of a SQLite database's tables and views."""
    rels = {}
    for name, kind in con.execute(
            "SELECT name, type FROM sqlite_master WHERE type IN"
            " ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name"):
        cols = [r[1] for r in con.execute("PRAGMA table_info(%s)" % name)]
        rels[name] = (kind, cols)
    return rels


def select(name, cols, blob_sql):
    """SELECT of the columns cols of name, a blob column through
    blob_sql (a format with {0} for the column)."""
    out = []
    for c in cols:
        if BLOBS.get(name) == c:
            out.append(blob_sql.format(c))
        else:
            out.append('"%s"' % c)
    return "SELECT %s FROM %s" % (", ".join(out), name)


def sqlite_rows(con, name, cols):
    return con.execute(select(
        name, cols, "CASE WHEN {0} IS NOT NULL THEN lower(hex({0})) END")
    ).fetchall()


def pg_rows(db, name, cols):
    return db.query(select(name, cols, "encode({0}, 'hex')"))
