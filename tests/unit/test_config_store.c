/*
 * test_config_store: the store's keys (database.backend, url,
 * password_file, mqtt.shared_group, ingest.spool_dir), their defaults,
 * the rules between them and config_store_where() (docs/cluster.md).
 * Expected error text is exact: "@" is the file's path, "$" its directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "store.h"
#include "tmpfiles.h"

/* want: "@" and "$" expanded; with raw, want follows the path as it is
 * (for messages that hold a '@'). */
static void
expect_msg(const char *name, const char *path, const char *want, int raw)
{
	struct config *cfg = NULL;
	char *errors = NULL, *w = NULL;

	if (!raw)
		w = expand(want, path);
	else if (asprintf(&w, "%s%s", path, want) == -1)
		w = NULL;

	CHECK(config_load(path, &cfg, &errors) == -1);
	CHECK(cfg == NULL);
	if (errors == NULL || strcmp(errors, w) != 0)
		fprintf(stderr, "case \"%s\":\n--- got:\n%s--- want:\n%s---\n",
		    name, errors != NULL ? errors : "(null)\n", w);
	CHECK_STR(errors, w);
	free(errors);
	free(w);
}

static void
expect_errors(const char *name, const char *path, const char *want)
{
	expect_msg(name, path, want, 0);
}

static struct config *
expect_ok(const char *name, const char *path)
{
	struct config *cfg = NULL;
	char *errors = NULL;

	if (config_load(path, &cfg, &errors) != 0)
		fprintf(stderr, "case \"%s\": unexpected errors:\n%s", name,
		    errors != NULL ? errors : "(null)\n");
	CHECK(cfg != NULL && errors == NULL);
	free(errors);
	return cfg;
}

/* SQLite by default, its spool beside the file, wherever the file is. */
static void
test_defaults(void)
{
	struct store_where w;
	struct config *cfg;
	const char *p;

	if ((cfg = config_default()) != NULL) {
		CHECK_INT(cfg->database.backend, CFG_DB_SQLITE);
		CHECK_STR(config_backend_name(cfg), "sqlite");
		CHECK(cfg->database.url == NULL);
		CHECK(cfg->database.password_file == NULL);
		CHECK(cfg->mqtt.shared_group == NULL);
		CHECK_STR(cfg->ingest.spool_dir,
		    "/var/lib/wastetrack/wastetrack.db.spool");
		config_store_where(cfg, &w);
		CHECK_STR(w.backend, "sqlite");
		CHECK_STR(w.path, "/var/lib/wastetrack/wastetrack.db");
		CHECK(w.password_file == NULL);
		CHECK_STR(w.instance, "wastetrack-1");
		config_free(cfg);
	}
	p = write_t("path.yaml", "database:\n  path: /srv/x.db\n");
	if ((cfg = expect_ok("spool beside the file", p)) != NULL) {
		CHECK_STR(cfg->ingest.spool_dir, "/srv/x.db.spool");
		config_free(cfg);
	}
	p = write_t("spool.yaml",
	    "database:\n  path: /srv/x.db\ningest:\n  spool_dir: sp\n");
	if ((cfg = expect_ok("spool_dir relative", p)) != NULL) {
		CHECK_STR(cfg->ingest.spool_dir, tpath("sp"));
		config_free(cfg);
	}
}

/* PostgreSQL: its URI, its password file, a group, the spool's default. */
static void
test_postgresql(void)
{
	struct store_where w;
	struct config *cfg;
	const char *p;

	write_t("db.pw", "s3cret\n");
	p = write_t("pg.yaml",
	    "mqtt:\n  client_id: wt-a\n  shared_group: city\n"
	    "database:\n  backend: postgresql\n"
	    "  url: \"postgresql://wastetrack@127.0.0.1:5432/wt\"\n"
	    "  password_file: db.pw\n");
	if ((cfg = expect_ok("postgresql", p)) != NULL) {
		CHECK_INT(cfg->database.backend, CFG_DB_POSTGRESQL);
		CHECK_STR(cfg->mqtt.shared_group, "city");
		CHECK_STR(cfg->ingest.spool_dir, "/var/lib/wastetrack/spool");
		CHECK_STR(cfg->database.password_file, tpath("db.pw"));
		config_store_where(cfg, &w);
		CHECK_STR(w.backend, "postgresql");
		CHECK_STR(w.path, "postgresql://wastetrack@127.0.0.1:5432/wt");
		CHECK_STR(w.password_file, tpath("db.pw"));
		CHECK_STR(w.instance, "wt-a");
		config_free(cfg);
	}
	p = write_t("pg-spool.yaml",
	    "database:\n  backend: postgresql\n"
	    "  url: postgres://h/wt?sslmode=verify-full\n"
	    "ingest:\n  spool_dir: /srv/spool-b\n");
	if ((cfg = expect_ok("postgresql with a spool_dir", p)) != NULL) {
		CHECK_STR(cfg->ingest.spool_dir, "/srv/spool-b");
		config_free(cfg);
	}
}

static void
test_refusals(void)
{
	char want[512];
	const char *p;

	p = write_t("b1.yaml", "database:\n  backend: mysql\n");
	expect_errors("unknown backend", p,
	    "@:2:12: \"backend\" must be one of: sqlite, postgresql\n");
	p = write_t("b2.yaml", "database:\n  backend: postgresql\n");
	expect_msg("no url", p,
	    ":2:3: database.backend: postgresql needs database.url "
	    "(postgresql://USER@HOST:PORT/DATABASE)\n",
	    1);
	p = write_t("b3.yaml",
	    "database:\n  path: /srv/w.db\nmqtt:\n  shared_group: city\n");
	expect_errors("shared group on sqlite", p,
	    "@:4:3: mqtt.shared_group needs database.backend: postgresql "
	    "(several daemons cannot share the SQLite file /srv/w.db)\n");
	/* The password is never repeated in a message. */
	p = write_t("b4.yaml",
	    "database:\n  backend: postgresql\n"
	    "  url: \"postgresql://wt:hunter2@h/wt\"\n");
	expect_errors("password in the url", p,
	    "@:3:3: database.url must not hold a password: put it in "
	    "database.password_file\n");
	p = write_t("b5.yaml",
	    "database:\n  backend: postgresql\n"
	    "  url: \"host=h password=hunter2\"\n");
	expect_msg("not a URI", p,
	    ":3:3: database.url must be a libpq URI, "
	    "postgresql://USER@HOST:PORT/DATABASE\n",
	    1);
	p = write_t("b6.yaml",
	    "database:\n  backend: postgresql\n  url: postgresql://h/wt\n"
	    "  password_file: none.pw\n");
	snprintf(want, sizeof(want),
	    "@:4:3: cannot read password_file \"$/none.pw\": %s\n",
	    strerror(ENOENT));
	expect_errors("password file missing", p, want);
	p = write_t("b7.yaml",
	    "database:\n  backend: postgresql\n  url: postgresql://h/wt\n"
	    "mqtt:\n  shared_group: \"a/b\"\n");
	expect_errors("group with a slash", p,
	    "@:5:17: invalid shared_group \"a/b\": want 1 to 63 characters "
	    "without /, + or #\n");
	p = write_t("b8.yaml", "ingest:\n  spool_dir: \"\"\n");
	expect_errors("empty spool_dir", p,
	    "@:2:14: \"spool_dir\" must not be empty\n");
}

int
main(void)
{
	tmpfiles_init("test_config_store");
	test_defaults();
	test_postgresql();
	test_refusals();
	tmpfiles_cleanup();
	return check_result("test_config_store");
}
