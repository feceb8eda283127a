/*
 * tmpfiles: the temporary directory of a unit test that writes files
 * (configurations, profiles). tmpfiles_init() makes a fresh mkdtemp(3)
 * directory; write_t() and mkdir_t() create under it and remember what
 * they created; tmpfiles_cleanup() removes it all, newest first.
 */
#ifndef WT_TMPFILES_H
#define WT_TMPFILES_H

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64]; /* /tmp/NAME.XXXXXX */
static char *created[256];
static size_t ncreated;

/* A fresh /tmp/NAME.XXXXXX; exits on failure. */
static inline void
tmpfiles_init(const char *name)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s.XXXXXX", name);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static inline void
remember(const char *path)
{
	size_t i;

	for (i = 0; i < ncreated; i++)
		if (strcmp(created[i], path) == 0)
			return;
	if (ncreated == sizeof(created) / sizeof(created[0])) {
		fprintf(stderr, "tmpfiles: too many temporary files\n");
		exit(1);
	}
	if ((created[ncreated++] = strdup(path)) == NULL) {
		perror("strdup");
		exit(1);
	}
}

static inline void
tmpfiles_cleanup(void)
{
	struct stat st;

	while (ncreated > 0) {
		char *p = created[--ncreated];

		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rmdir(p);
		else
			unlink(p);
		free(p);
	}
	rmdir(tmpdir);
}

/* Path of rel inside tmpdir, in a static buffer rotated over four. */
static inline const char *
tpath(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, rel);
	return buf[i];
}

/* A database file of the test, and the -wal and -shm SQLite adds beside
 * it, remembered for removal; its path copied to out. */
static inline const char *
tdb_path(const char *name, char *out, size_t n)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "%s-wal", name);
	remember(tpath(rel));
	snprintf(rel, sizeof(rel), "%s-shm", name);
	remember(tpath(rel));
	snprintf(out, n, "%s", tpath(name));
	remember(out);
	return out;
}

static inline void
mkdir_t(const char *rel)
{
	const char *p = tpath(rel);

	if (mkdir(p, 0700) == -1) {
		perror(p);
		exit(1);
	}
	remember(p);
}

/* Write text to tmpdir/rel and return the full path (see tpath). */
static inline const char *
write_t(const char *rel, const char *text)
{
	const char *p = tpath(rel);
	FILE *fp;

	if ((fp = fopen(p, "w")) == NULL) {
		perror(p);
		exit(1);
	}
	fputs(text, fp);
	if (fclose(fp) != 0) {
		perror(p);
		exit(1);
	}
	remember(p);
	return p;
}

/* tmpl with "@" replaced by file and "$" by tmpdir; the caller frees. */
static inline char *
expand(const char *tmpl, const char *file)
{
	size_t n = 1;
	const char *t;
	char *out, *o;

	for (t = tmpl; *t != '\0'; t++)
		n += *t == '@' ? strlen(file) : *t == '$' ? strlen(tmpdir) : 1;
	if ((out = malloc(n)) == NULL) {
		perror("malloc");
		exit(1);
	}
	for (o = out, t = tmpl; *t != '\0'; t++) {
		if (*t == '@')
			o = stpcpy(o, file);
		else if (*t == '$')
			o = stpcpy(o, tmpdir);
		else
			*o++ = *t;
	}
	*o = '\0';
	return out;
}

#endif
