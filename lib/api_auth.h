/*
 * api_auth: the credentials of http.auth_file and the check of a
 * request's Authorization header against them (docs/http.md).
 *
 * The file holds one entry a line ('#' starts a comment line):
 *
 *	token:VALUE	a bearer token (RFC 6750 characters, 16 at least)
 *	NAME:HASH	a user for HTTP basic authentication, HASH a crypt(3)
 *			hash as mkpasswd(1) writes it (yescrypt, sha512crypt…)
 *
 * "token" is therefore not a user name. The file must be a regular file
 * that others can neither read nor write: it is refused otherwise, as an
 * ssh private key would be.
 */
#ifndef WT_API_AUTH_H
#define WT_API_AUTH_H

#include <stdint.h>

#include "attr.h"

struct api_auth;
struct diag;

/*
 * Read path: 0 and *out, or -1 with every mistake reported to d as
 * "PATH:LINE:COL: message" (or "PATH: message").
 */
int api_auth_load(const char *path, struct diag *d,
    struct api_auth **out) WT_MUST_CHECK;
void api_auth_free(struct api_auth *a);

enum api_auth_verdict {
	API_AUTH_REFUSED = 0, /* 401 */
	API_AUTH_OK = 1,
	API_AUTH_BUSY = 2 /* not checked: too many hashes now (503) */
};

/*
 * API_AUTH_OK when the Authorization header value (NULL: none) carries a
 * token or a user and password of the file, else API_AUTH_REFUSED.
 * Tokens are compared in constant time; an unknown user costs a hash as
 * a known one does. Basic credentials that passed are remembered (as a
 * digest) so that a page polling every few seconds does not pay for a
 * slow hash each time; others are hashed, a few a second at most in all
 * and fewer for each client address (client, NULL: unknown; now_ms: the
 * clock's). Over either budget the answer is API_AUTH_BUSY, unhashed:
 * not a refusal, so that a browser keeps the password a flood of guesses
 * from elsewhere would otherwise make it drop. Not thread-safe: one
 * thread checks.
 */
int api_auth_check(struct api_auth *a, const char *authorization,
    const char *client, int64_t now_ms);

/* The number of tokens and users (for the log). */
void api_auth_counts(const struct api_auth *a, int *tokens, int *users);

#endif
