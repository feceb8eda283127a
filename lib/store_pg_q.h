/*
 * store_pg_q: the named queries of store.h (enum store_q) in
 * PostgreSQL's SQL (store_pg_qsql.c), run by store_pg_query.c. Included
 * by those two files only.
 */
#ifndef WT_STORE_PG_Q_H
#define WT_STORE_PG_Q_H

#include "store.h"

/*
 * A query's text, with SQLite's parameters ?1..?8 as $1..$8 (text for
 * the first four, bigint for the others: store_q_args), and what the
 * runner does to its columns so that a row has SQLite's values:
 *  - mixed: bit i set, column i is a number as text, "r" and a real
 *    (float8's text) or an integer: where SQLite's sum() is an integer
 *    or a real by the values summed, which one column of PostgreSQL
 *    cannot be;
 *  - json: bit i set, column i is NULL unless it holds valid JSON
 *    (SQLite's json_valid(), which PostgreSQL 15 lacks);
 *  - chars: a bytea column is text cut to that many characters as
 *    SQLite's substr() counts them (0: whole).
 */
struct pg_named {
	const char *sql;
	unsigned mixed, json;
	int chars;
};

extern const struct pg_named store_pg_named[STORE_Q_COUNT];

/* The instance's spool position is META's $1. */
#define STORE_PG_Q_INSTANCE_ARG 0

#endif
