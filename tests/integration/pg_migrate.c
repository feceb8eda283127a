/*
 * pg_migrate URL [PASSWORD_FILE]: connect as lib/store_pg.c does and bring
 * the schema to the last version; prints "FROM TO". The PostgreSQL tests
 * (test_pg_schema.py) run it, several at once too.
 */
#include "store_pg.h"

#include <stdio.h>

int
main(int argc, char **argv)
{
	char err[512];
	struct store_pg *pg;
	int from, to;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: pg_migrate URL [PASSWORD_FILE]\n");
		return 2;
	}
	pg = store_pg_open(argv[1], argc == 3 ? argv[2] : NULL, err,
	    sizeof(err));
	if (pg == NULL) {
		fprintf(stderr, "pg_migrate: %s\n", err);
		return 1;
	}
	if (store_pg_migrate(pg, &from, &to, err, sizeof(err)) == -1) {
		fprintf(stderr, "pg_migrate: %s\n", err);
		store_pg_close(pg);
		return 1;
	}
	printf("%d %d\n", from, to);
	store_pg_close(pg);
	return 0;
}
