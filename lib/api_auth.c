/* api_auth: see api_auth.h. The only module that includes crypt.h. */
#include "api_auth.h"

#include "diag.h"
#include "sha256.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX    65536 /* bytes */
#define ENTRIES_MAX 256
#define TOKEN_MIN   16
#define HEADER_MAX  1024 /* an Authorization value longer than this fails */
#define REMEMBERED  32	 /* basic credentials that passed */
/* Hashes computed per second at most (a yescrypt one takes about 40 ms,
 * on the HTTP thread): a flood of guesses cannot hold the thread up. */
#define HASHES_PER_S 4
/* ...and for each client address, so that one guessing fast leaves
 * room for the others; the addresses of the last few seconds are kept
 * in a bounded table (the oldest second's place is taken). */
#define CLIENT_HASHES_PER_S 2
#define CLIENTS		    64
#define CLIENT_MAX	    64 /* bytes of an address, NUL included */

struct entry {
	char *name; /* NULL for a token */
	char *secret;
	uint8_t digest[32]; /* tokens: of the token */
};

struct api_auth {
	struct entry *e;
	size_t n;
	const char *dummy; /* a user's hash, checked for unknown users */
	struct crypt_data cd;
	uint8_t seen[REMEMBERED][32]; /* digests of headers that passed */
	size_t nseen, next;
	int64_t second; /* of the hashes counted */
	int hashes;
	struct client {
		char addr[CLIENT_MAX];
		int64_t second;
		int hashes;
	} clients[CLIENTS];
};

/* RFC 6750 b64token: the characters a bearer token is made of. */
static int
token_chars_ok(const char *s)
{
	for (; *s; s++)
		if (!(('A' <= *s && *s <= 'Z') || ('a' <= *s && *s <= 'z') ||
			('0' <= *s && *s <= '9') || strchr("-._~+/=", *s)))
			return 0;
	return 1;
}

/* The whole of a file small enough, NUL-terminated; -1 with errno. */
static int
slurp(int fd, char **out)
{
	char *buf = malloc(FILE_MAX + 1);
	size_t len = 0;
	ssize_t n;

	if (buf == NULL)
		return -1;
	while (len <= FILE_MAX) {
		if ((n = read(fd, buf + len, FILE_MAX + 1 - len)) == -1) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > FILE_MAX || memchr(buf, '\0', len) != NULL) {
		explicit_bzero(buf, len);
		free(buf);
		errno = len > FILE_MAX ? EFBIG : EINVAL;
		return -1;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* Open path, refusing what is not a private regular file. */
static int
open_private(const char *path, struct diag *d)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 &&
	    errno == ELOOP)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		diag_at(d, path, 1, 1, "cannot read the auth file: %s",
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_at(d, path, 1, 1, "the auth file is not a regular file");
		goto fail;
	}
	/* Hashes can be attacked offline, tokens used as they are. */
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		diag_at(d, path, 1, 1,
		    "the auth file is readable or writable by others (mode "
		    "%04o): chmod o-rw it (0640, owner root, group of the "
		    "service)",
		    (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	return fd;
fail:
	if (fd != -1)
		close(fd);
	return -1;
}

static int
add_entry(struct api_auth *a, const char *name, const char *secret)
{
	struct entry *e = &a->e[a->n];

	memset(e, 0, sizeof(*e));
	if ((name != NULL && (e->name = strdup(name)) == NULL) ||
	    (e->secret = strdup(secret)) == NULL) {
		free(e->name);
		return -1;
	}
	if (name == NULL && sha256(secret, strlen(secret), e->digest) == -1) {
		free(e->secret);
		return -1;
	}
	a->n++;
	return 0;
}

/* One line (without its newline), trimmed; errors to d. */
static void
parse_line(struct api_auth *a, char *s, const char *path, size_t line,
    struct diag *d)
{
	char *colon = strchr(s, ':'), *v;
	size_t i;

	if (colon == NULL || colon == s) {
		diag_at(d, path, line, 1,
		    "want token:VALUE or NAME:HASH (a crypt(3) hash)");
		return;
	}
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	if (strcmp(s, "token") == 0) {
		if (strlen(v) < TOKEN_MIN || !token_chars_ok(v)) {
			diag_at(d, path, line, (size_t)(v - s) + 1,
			    "a token has %d characters at least, of "
			    "A-Z a-z 0-9 - . _ ~ + / =",
			    TOKEN_MIN);
			return;
		}
	} else {
		for (i = 0; s[i]; i++)
			if (s[i] == ' ' || s[i] == '\t' ||
			    (unsigned char)s[i] < 0x20) {
				diag_at(d, path, line, i + 1,
				    "a user name has no blanks");
				return;
			}
		if (v[0] != '$' || crypt_checksalt(v) != CRYPT_SALT_OK) {
			diag_at(d, path, line, (size_t)(v - s) + 1,
			    "not a supported crypt(3) hash: make one with "
			    "mkpasswd -m yescrypt");
			return;
		}
	}
	if (a->n == ENTRIES_MAX) {
		diag_at(d, path, line, 1, "more than %d entries", ENTRIES_MAX);
		return;
	}
	if (add_entry(a, strcmp(s, "token") == 0 ? NULL : s, v) == -1)
		diag_nomem(d);
}

static void
parse_text(struct api_auth *a, char *text, const char *path, struct diag *d)
{
	char *line = text, *nl, *end;
	size_t no = 0;

	for (; line != NULL; line = nl) {
		no++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		end = line + strlen(line);
		while (end > line &&
		    (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		parse_line(a, line, path, no, d);
	}
}

int
api_auth_load(const char *path, struct diag *d, struct api_auth **out)
{
	struct api_auth *a = NULL;
	size_t before = diag_count(d), i;
	char *text = NULL;
	int fd;

	*out = NULL;
	if ((fd = open_private(path, d)) == -1)
		return -1;
	if (slurp(fd, &text) == -1) {
		diag_at(d, path, 1, 1, "cannot read the auth file: %s",
		    errno == EINVAL ? "not text" : strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->e = calloc(ENTRIES_MAX, sizeof(*a->e))) == NULL) {
		diag_nomem(d);
		goto fail;
	}
	parse_text(a, text, path, d);
	if (a->n == 0 && diag_count(d) == before)
		diag_at(d, path, 1, 1,
		    "the auth file has no token or user: every request "
		    "would be refused");
	if (diag_count(d) != before)
		goto fail;
	for (i = 0; i < a->n && a->dummy == NULL; i++)
		if (a->e[i].name != NULL)
			a->dummy = a->e[i].secret;
	explicit_bzero(text, strlen(text));
	free(text);
	*out = a;
	return 0;
fail:
	explicit_bzero(text, strlen(text));
	free(text);
	api_auth_free(a);
	return -1;
}

void
api_auth_free(struct api_auth *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->e[i].name);
		explicit_bzero(a->e[i].secret, strlen(a->e[i].secret));
		free(a->e[i].secret);
	}
	free(a->e);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

void
api_auth_counts(const struct api_auth *a, int *tokens, int *users)
{
	size_t i;

	*tokens = *users = 0;
	for (i = 0; i < a->n; i++)
		(*(a->e[i].name == NULL ? tokens : users))++;
}

/* 1 when equal; the time depends on n only. */
static int
same(const void *x, const void *y, size_t n)
{
	const volatile uint8_t *p = x, *q = y;
	uint8_t diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= p[i] ^ q[i];
	return diff == 0;
}

/*
 * Every token is compared, whatever matched before, and through digests
 * of equal length: the time tells neither which token came close nor how
 * long one is.
 */
static int
check_token(const struct api_auth *a, const char *tok)
{
	uint8_t d[32];
	size_t i;
	int ok = 0;

	if (sha256(tok, strlen(tok), d) == -1)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->e[i].name == NULL)
			ok |= same(d, a->e[i].digest, sizeof(d));
	return ok;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 with padding into out (NUL-terminated); -1 if bad. */
static int
b64decode(const char *s, char *out, size_t outsz)
{
	size_t len = strlen(s), pad = 0, i, o = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 >= outsz)
		return -1;
	while (pad < 2 && s[len - 1 - pad] == '=')
		pad++;
	for (i = 0; i < len - pad; i++) {
		if ((v = b64val(s[i])) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
	return memchr(out, '\0', o) != NULL ? -1 : 0;
}

static int
check_basic(struct api_auth *a, const char *b64)
{
	char cred[HEADER_MAX], *pass, *h;
	const char *hash = NULL;
	size_t i;
	int ok;

	if (b64decode(b64, cred, sizeof(cred)) == -1 ||
	    (pass = strchr(cred, ':')) == NULL)
		return 0;
	*pass++ = '\0';
	for (i = 0; i < a->n; i++)
		if (a->e[i].name != NULL && strcmp(a->e[i].name, cred) == 0)
			hash = a->e[i].secret;
	/* An unknown user costs a hash too: the time does not say which
	 * names exist. */
	h = crypt_rn(pass, hash != NULL ? hash : a->dummy, &a->cd,
	    sizeof(a->cd));
	ok = h != NULL && hash != NULL && strlen(h) == strlen(hash) &&
	    same(h, hash, strlen(hash));
	explicit_bzero(cred, sizeof(cred));
	explicit_bzero(&a->cd, sizeof(a->cd));
	return ok;
}

static int
remembered(const struct api_auth *a, const uint8_t d[32])
{
	size_t i;
	int ok = 0;

	for (i = 0; i < a->nseen; i++)
		ok |= same(a->seen[i], d, 32);
	return ok;
}

/* Basic credentials that would be hashed (a user and a password): the
 * others are refused without spending the budget. */
static int
well_formed(const char *b64)
{
	char cred[HEADER_MAX];
	int ok;

	ok = b64decode(b64, cred, sizeof(cred)) == 0 &&
	    strchr(cred, ':') != NULL;
	explicit_bzero(cred, sizeof(cred));
	return ok;
}

/* The client's entry, this second's count in it. */
static struct client *
client_of(struct api_auth *a, const char *addr, int64_t second)
{
	struct client *c = NULL;
	size_t i;

	if (addr == NULL || addr[0] == '\0')
		addr = "?";
	for (i = 0; i < CLIENTS && c == NULL; i++)
		if (strncmp(a->clients[i].addr, addr, CLIENT_MAX - 1) == 0)
			c = &a->clients[i];
	if (c == NULL) {
		c = &a->clients[0];
		for (i = 1; i < CLIENTS; i++)
			if (a->clients[i].second < c->second)
				c = &a->clients[i];
		snprintf(c->addr, sizeof(c->addr), "%s", addr);
		c->hashes = 0;
	}
	if (c->second != second) {
		c->second = second;
		c->hashes = 0;
	}
	return c;
}

int
api_auth_check(struct api_auth *a, const char *h, const char *client,
    int64_t now_ms)
{
	struct client *c;
	uint8_t d[32];

	if (h == NULL || strlen(h) >= HEADER_MAX)
		return API_AUTH_REFUSED;
	if (strncasecmp(h, "Bearer ", 7) == 0)
		return check_token(a, h + 7 + strspn(h + 7, " "));
	if (strncasecmp(h, "Basic ", 6) != 0 || a->dummy == NULL)
		return API_AUTH_REFUSED;
	h += 6 + strspn(h + 6, " ");
	if (sha256(h, strlen(h), d) == -1)
		return API_AUTH_REFUSED;
	if (remembered(a, d))
		return API_AUTH_OK;
	if (!well_formed(h))
		return API_AUTH_REFUSED;
	if (now_ms / 1000 != a->second) {
		a->second = now_ms / 1000;
		a->hashes = 0;
	}
	c = client_of(a, client, a->second);
	if (a->hashes >= HASHES_PER_S || c->hashes >= CLIENT_HASHES_PER_S)
		return API_AUTH_BUSY;
	a->hashes++;
	c->hashes++;
	if (!check_basic(a, h))
		return API_AUTH_REFUSED;
	memcpy(a->seen[a->next], d, sizeof(d));
	a->next = (a->next + 1) % REMEMBERED;
	if (a->nseen < REMEMBERED)
		a->nseen++;
	return API_AUTH_OK;
}
