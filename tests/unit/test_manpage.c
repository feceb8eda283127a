/*
 * test_manpage: wastetrack.yaml(5) documents every key the code accepts,
 * and no other.
 *
 * The page gives every key as ".It Ic PATH" with its full dotted path
 * ("mqtt.url", "subscriptions[].topic") and the canonical fields of the
 * profiles as ".Cm" words under ".Ss Canonical fields", one ".It Cm KIND"
 * each. The code's keys are those of config_keys() (the schema tables),
 * the key lists lib/profile.c checks profile mappings against (read from
 * its source: they are static there), and the canonical fields of
 * profile_canon(). Every mismatch is named.
 *
 * Usage: test_manpage docs/man/wastetrack.yaml.5 (WT_SOURCE: the tree)
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "event.h"
#include "profile.h"

struct set {
	char **v;
	size_t n;
};

static int
set_has(const struct set *s, const char *k)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], k) == 0)
			return 1;
	return 0;
}

static void
set_add(struct set *s, const char *k)
{
	char **v;

	if (set_has(s, k))
		return;
	if ((v = realloc(s->v, (s->n + 1) * sizeof(*v))) == NULL ||
	    (v[s->n] = strdup(k)) == NULL) {
		perror("test_manpage");
		exit(2);
	}
	s->v = v;
	s->n++;
}

static void
set_free(struct set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* Every key in want is in got; the others are named as "what". */
static void
expect_subset(const struct set *want, const struct set *got, const char *what)
{
	size_t i;

	for (i = 0; i < want->n; i++) {
		CHECK(set_has(got, want->v[i]));
		if (!set_has(got, want->v[i]))
			fprintf(stderr, "%s: %s\n", what, want->v[i]);
	}
}

static char *
slurp(const char *path)
{
	FILE *fp;
	char *text = NULL;
	size_t len = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		return NULL;
	}
	if (getdelim(&text, &len, '\0', fp) == -1) {
		free(text);
		text = NULL;
	}
	fclose(fp);
	return text;
}

/* ---- the page ---- */

/* The first word after a macro line's name ".It Ic", or NULL. */
static const char *
macro_arg(const char *line, const char *macro, char *out, size_t size)
{
	size_t n = strlen(macro), len;

	if (strncmp(line, macro, n) != 0 || line[n] != ' ')
		return NULL;
	line += n + strspn(line + n, " ");
	len = strcspn(line, " \n");
	if (len == 0 || len >= size)
		return NULL;
	memcpy(out, line, len);
	out[len] = '\0';
	return out;
}

/* The words of a ".Cm a , b , c" line, as "kind.word". */
static void
canon_words(const char *line, const char *kind, struct set *canon)
{
	char word[64], key[512];
	size_t len;

	for (line += 3; *line != '\0' && *line != '\n'; line += len) {
		line += strspn(line, " ");
		len = strcspn(line, " \n");
		if (len == 0 || len >= sizeof(word))
			break;
		memcpy(word, line, len);
		word[len] = '\0';
		/* Punctuation (",", "."), and macros such as "Ns". */
		if (!islower((unsigned char)word[0]))
			continue;
		snprintf(key, sizeof(key), "%s.%s", kind, word);
		set_add(canon, key);
	}
}

static int
read_page(const char *path, struct set *keys, struct set *canon)
{
	char *text, *line, *next, arg[256], kind[256] = "";
	int in_canon = 0;

	if ((text = slurp(path)) == NULL)
		return -1;
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, ".Ss ", 4) == 0 ||
		    strncmp(line, ".Sh ", 4) == 0)
			in_canon = strcmp(line, ".Ss Canonical fields") == 0;
		if (macro_arg(line, ".It Ic", arg, sizeof(arg)) != NULL)
			set_add(keys, arg);
		if (!in_canon)
			continue;
		if (macro_arg(line, ".It Cm", arg, sizeof(arg)) != NULL)
			snprintf(kind, sizeof(kind), "%s", arg);
		else if (kind[0] != '\0' && strncmp(line, ".Cm ", 4) == 0)
			canon_words(line, kind, canon);
	}
	free(text);
	return 0;
}

/* ---- the code ---- */

static void
add_key(const char *path, void *arg)
{
	set_add(arg, path);
}

/*
 * Where each check_keys(c, map, WHERE, LIST) of lib/profile.c sits in a
 * profile, as a key path. A call whose WHERE is not a string literal
 * checks a field spec (it names the canonical field). A new call needs a
 * line here: the test fails and says so.
 */
static const struct {
	const char *where, *path;
} wheres[] = {
	{ "\"profile\"", "profiles[]" },
	{ "\"kind\"", "profiles[].kinds[]" },
	{ "\"when\"", "profiles[].kinds[].when" },
	{ "\"lines\"", "profiles[].kinds[].fields.lines" },
	{ NULL, "profiles[].kinds[].fields.<field>" },
};

/* The string literals of the last "NAME[] = { ... }" before end. */
static int
list_words(const char *text, const char *end, const char *name,
    const char *prefix, struct set *keys)
{
	char pat[96], key[256];
	const char *p, *def = NULL, *q;
	int n = 0;

	snprintf(pat, sizeof(pat), " %s[] = {", name);
	for (p = text; (p = strstr(p, pat)) != NULL && p < end; p++)
		def = p;
	if (def == NULL)
		return -1;
	for (p = strchr(def, '{'); *p != '}' && *p != '\0'; p++) {
		if (*p != '"')
			continue;
		if ((q = strchr(p + 1, '"')) == NULL)
			return -1;
		snprintf(key, sizeof(key), "%s.%.*s", prefix, (int)(q - p - 1),
		    p + 1);
		set_add(keys, key);
		n++;
		p = q;
	}
	return n > 0 ? 0 : -1;
}

/* One call's arguments: where (3rd) and the list's name (4th). */
static int
call_args(const char *call, char *where, char *list, size_t size)
{
	const char *p = call + strlen("check_keys(");
	const char *arg[4];
	size_t len[4], i;

	for (i = 0; i < 4; i++) {
		p += strspn(p, " \t\n");
		arg[i] = p;
		p += strcspn(p, ",)");
		len[i] = (size_t)(p - arg[i]);
		if (*p == '\0' || (i < 3 && *p != ',') || (i == 3 && *p != ')'))
			return -1;
		p++;
	}
	if (len[2] >= size || len[3] >= size)
		return -1;
	snprintf(where, size, "%.*s", (int)len[2], arg[2]);
	snprintf(list, size, "%.*s", (int)len[3], arg[3]);
	return 0;
}

static int
profile_keys(const char *path, struct set *keys)
{
	char *text, where[64], list[64];
	const char *p, *prefix;
	size_t i;
	int calls = 0, rc = 0;

	if ((text = slurp(path)) == NULL)
		return -1;
	for (p = text; (p = strstr(p, "check_keys(")) != NULL; p++) {
		/* The definition itself. */
		if (strncmp(p, "check_keys(struct", 17) == 0)
			continue;
		if (call_args(p, where, list, sizeof(where)) == -1) {
			fprintf(stderr, "%s: cannot read a check_keys() call\n",
			    path);
			rc = -1;
			continue;
		}
		prefix = NULL;
		for (i = 0; i < sizeof(wheres) / sizeof(wheres[0]); i++)
			if (wheres[i].where == NULL
				? where[0] != '"'
				: strcmp(wheres[i].where, where) == 0)
				prefix = wheres[i].path;
		if (prefix == NULL) {
			fprintf(stderr,
			    "%s: check_keys(..., %s, %s): no key path for "
			    "it in test_manpage.c\n",
			    path, where, list);
			rc = -1;
			continue;
		}
		if (list_words(text, p, list, prefix, keys) == -1) {
			fprintf(stderr, "%s: cannot find the list %s\n", path,
			    list);
			rc = -1;
		}
		calls++;
	}
	free(text);
	return rc == 0 && calls > 0 ? 0 : -1;
}

/* A key's enclosing keys are keys too: "a[].b.c" has "a" and "a[].b". */
static void
add_parents(struct set *keys)
{
	char buf[256], *dot;
	size_t i, n = keys->n;

	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s", keys->v[i]);
		while ((dot = strrchr(buf, '.')) != NULL) {
			*dot = '\0';
			if (dot - buf >= 2 && strcmp(dot - 2, "[]") == 0)
				dot[-2] = '\0';
			set_add(keys, buf);
		}
	}
}

static void
code_canon(struct set *canon)
{
	const struct pf_canon *t;
	char key[160];
	size_t i, n;
	int k;

	for (k = EV_NONE + 1; k < EV_KIND_COUNT; k++) {
		t = profile_canon((enum ev_kind)k, &n);
		for (i = 0; i < n; i++) {
			snprintf(key, sizeof(key), "%s.%s",
			    ev_kind_name((enum ev_kind)k), t[i].name);
			set_add(canon, key);
		}
	}
	t = profile_line_canon(&n);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "lines.%s", t[i].name);
		set_add(canon, key);
	}
}

int
main(int argc, char *argv[])
{
	struct set page = { 0 }, page_canon = { 0 }, code = { 0 },
		   canon = { 0 };
	const char *src = getenv("WT_SOURCE");
	char path[4096];
	size_t nconfig;

	if (argc != 2 || src == NULL) {
		fprintf(stderr, "usage: WT_SOURCE=DIR test_manpage PAGE\n");
		return 2;
	}
	CHECK(read_page(argv[1], &page, &page_canon) == 0);
	config_keys(add_key, &code);
	nconfig = code.n;
	/* The schema as the test knows it: a broken walk must not pass. */
	CHECK(nconfig > 40);
	CHECK(set_has(&code, "mqtt.tls.ca_file"));
	CHECK(set_has(&code, "subscriptions[].profile"));
	snprintf(path, sizeof(path), "%s/lib/profile.c", src);
	CHECK(profile_keys(path, &code) == 0);
	CHECK(set_has(&code, "profiles[].kinds[].fields.<field>.else"));
	add_parents(&code);
	code_canon(&canon);
	CHECK(set_has(&canon, "weighing.net_kg"));

	expect_subset(&code, &page, "key not documented in the page");
	expect_subset(&page, &code, "key documented but not in the code");
	expect_subset(&canon, &page_canon,
	    "canonical field (kind.field) not documented in the page");
	expect_subset(&page_canon, &canon,
	    "canonical field (kind.field) documented but not in the code");
	printf("%zu keys (%zu of the schema), %zu canonical fields\n", code.n,
	    nconfig, canon.n);
	set_free(&page);
	set_free(&page_canon);
	set_free(&code);
	set_free(&canon);
	return check_result("test_manpage");
}
