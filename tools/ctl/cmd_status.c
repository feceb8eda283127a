/*
 * cmd_status: `wastetrackctl status` — the daemon's health and today's
 * figures in a few lines: from its HTTP endpoint (http.listen, GET
 * /status) when it answers within a short timeout, else from the
 * database, saying which. Plain socket code: one request, HTTP/1.0.
 */
#include "ctl.h"

#include "clock.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTP_TIMEOUT_MS 2000
#define HTTP_MAX	(4 << 20) /* /status is a few KiB */

static int run(const struct ctl_cmd *, const struct config *, int, char **);

const struct ctl_cmd ctl_cmd_status = { "status", "",
	"the daemon's health and today's figures, in a few lines",
	"Asks the daemon (GET /status on http.listen, or the port in\n"
	"http.port_file when the port is 0) with a 2 s timeout. When it does\n"
	"not answer (or answers that it is starting), reads today's figures\n"
	"from the database instead, says so, and exits 69. Exits 1 when the daemon answers that it is not\n"
	"healthy.\n",
	run };

/* host and port of http.listen ("host:port", "[v6]:port"); the port from
 * the port file when it is 0. */
static int
endpoint(const struct config *cfg, char *host, size_t hn, char *port, size_t pn)
{
	const char *l = cfg->http.listen, *colon = strrchr(l, ':');
	FILE *fp;
	size_t len;

	if (colon == NULL)
		return -1;
	len = (size_t)(colon - l);
	if (len >= 2 && l[0] == '[' && l[len - 1] == ']')
		l++, len -= 2;
	if (len == 0 || len >= hn)
		return -1;
	memcpy(host, l, len);
	host[len] = '\0';
	/* A daemon listening on every address answers on loopback. */
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0)
		snprintf(host, hn, "127.0.0.1");
	else if (strcmp(host, "::") == 0)
		snprintf(host, hn, "::1");
	snprintf(port, pn, "%s", colon + 1);
	if (strcmp(port, "0") != 0)
		return 0;
	if (cfg->http.port_file == NULL ||
	    (fp = fopen(cfg->http.port_file, "r")) == NULL)
		return -1;
	if (fgets(port, (int)pn, fp) == NULL)
		port[0] = '\0';
	fclose(fp);
	port[strcspn(port, "\r\n")] = '\0';
	return port[0] ? 0 : -1;
}

static int
wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { fd, events, 0 };
	int n;

	while ((n = poll(&p, 1, ms)) == -1 && errno == EINTR)
		;
	return n == 1 ? 0 : -1;
}

static int
dial(const char *host, const char *port)
{
	struct addrinfo hints, *res = NULL;
	int fd = -1, err = 0;
	socklen_t len = sizeof(err);

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd != -1 && connect(fd, res->ai_addr, res->ai_addrlen) == -1 &&
	    (errno != EINPROGRESS || wait_fd(fd, POLLOUT, HTTP_TIMEOUT_MS) ||
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
		err != 0)) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Read the whole answer, within HTTP_TIMEOUT_MS in all. */
static char *
read_all(int fd, size_t *len)
{
	int64_t deadline = clock_mono_us() + HTTP_TIMEOUT_MS * 1000;
	char *buf = NULL, *grown;
	size_t cap = 0;
	ssize_t n;
	int left;

	*len = 0;
	for (;;) {
		if (cap - *len < 4096) {
			cap = cap ? cap * 2 : 16384;
			if (cap > HTTP_MAX ||
			    (grown = realloc(buf, cap)) == NULL)
				goto fail;
			buf = grown;
		}
		left = (int)((deadline - clock_mono_us()) / 1000);
		if (left <= 0 || wait_fd(fd, POLLIN, left) == -1)
			goto fail;
		if ((n = read(fd, buf + *len, cap - *len - 1)) == 0)
			break;
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			goto fail;
		if (n > 0)
			*len += (size_t)n;
	}
	buf[*len] = '\0';
	return buf;
fail:
	free(buf);
	return NULL;
}

/* GET path: the answer's status in *code and its body (malloc'd,
 * NUL-terminated); NULL when there is no answer. */
static char *
http_get(const char *host, const char *port, const char *path, int *code)
{
	char req[512], *buf, *body;
	size_t len;
	ssize_t n;
	int fd;

	*code = 0;
	if ((fd = dial(host, port)) == -1)
		return NULL;
	n = snprintf(req, sizeof(req),
	    "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", path,
	    host);
	if (wait_fd(fd, POLLOUT, HTTP_TIMEOUT_MS) == -1 ||
	    write(fd, req, (size_t)n) != n) {
		close(fd);
		return NULL;
	}
	buf = read_all(fd, &len);
	close(fd);
	if (buf == NULL)
		return NULL;
	if (strncmp(buf, "HTTP/1.", 7) != 0 || len < 12 ||
	    (body = strstr(buf, "\r\n\r\n")) == NULL) {
		free(buf);
		return NULL;
	}
	*code = atoi(buf + 9);
	memmove(buf, body + 4, strlen(body + 4) + 1);
	return buf;
}

static double
jnum(const struct json *obj, const char *key)
{
	double v;
	const struct json *j = obj ? json_get(obj, key) : NULL;

	return j != NULL && json_kind(j) == JSON_K_NUM && json_num(j, &v) == 0
	    ? v
	    : NAN;
}

static const char *
jstr(const struct json *obj, const char *key)
{
	const struct json *j = obj ? json_get(obj, key) : NULL;

	return j != NULL && json_kind(j) == JSON_K_STR ? json_str(j) : NULL;
}

static int
jyes(const struct json *obj, const char *key)
{
	const struct json *j = obj ? json_get(obj, key) : NULL;

	return j != NULL && json_is_yes(j);
}

static void
print_daemon(const struct json *d, const char *where)
{
	const struct json *m = json_get(d, "mqtt"), *in = json_get(d, "ingest"),
			  *db = json_get(d, "database"),
			  *cy = json_get(d, "city"), *t;
	double kg = 0, v;
	size_t i;

	printf("wastetrackd %s at %s, up %.0f s: %s%s%s\n",
	    jstr(d, "version") ? jstr(d, "version") : "?", where,
	    jnum(d, "uptime_s"), jyes(d, "healthy") ? "healthy" : "UNHEALTHY",
	    jyes(d, "healthy") ? "" : ": ",
	    jyes(d, "healthy")		   ? ""
		: jstr(d, "health_reason") ? jstr(d, "health_reason")
					   : "?");
	printf("mqtt: %s to %s, %s; %.0f reconnects\n",
	    jyes(m, "connected") ? "connected" : "NOT connected",
	    jstr(m, "broker") ? jstr(m, "broker") : "?",
	    jyes(m, "subscribed") ? "subscribed" : "NOT subscribed",
	    jnum(m, "reconnects"));
	printf("ingest: %.0f received, %.0f stored, %.0f duplicates, %.0f "
	       "rejected; last message %.0f s ago; %.0f bytes waiting\n",
	    jnum(in, "received"), jnum(in, "stored"), jnum(in, "duplicates"),
	    jnum(in, "rejected"), jnum(in, "last_message_age_s"),
	    jnum(in, "queue_bytes"));
	printf("database: %s, %.1f MiB (WAL %.1f MiB), schema %.0f; last "
	       "commit %.1f s ago%s\n",
	    jstr(db, "path") ? jstr(db, "path") : "?",
	    jnum(db, "size_bytes") / 1048576, jnum(db, "wal_bytes") / 1048576,
	    jnum(db, "schema_version"), jnum(db, "last_commit_age_s"),
	    jyes(db, "writes_failing") ? "; WRITES FAILING" : "");
	t = cy ? json_get(cy, "tonnage") : NULL;
	for (i = 0; t != NULL && i < json_len(t); i++)
		if (!isnan(v = jnum(json_at(t, i), "kg")))
			kg += v;
	printf(
	    "today %s: %.3f t weighed (transfer stations left out); manifests: %.0f "
	    "open, %.0f overdue, %.0f discrepancies\n",
	    jstr(cy, "day") ? jstr(cy, "day") : "?", kg / 1000,
	    jnum(cy, "open_manifests"), jnum(cy, "overdue_manifests"),
	    jnum(cy, "discrepancies"));
}

/* ---- from the database ---- */

struct figures {
	int64_t v[8];
	double kg;
	int have_city;
};

static int64_t
as_int(const struct store_value *v)
{
	return v->type == STORE_V_INT ? v->i
	    : v->type == STORE_V_REAL ? (int64_t)v->r
				      : 0;
}

static int
activity_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	static const char *const want[] = { "messages", "rejects",
		"last_message_ms", "open_manifests", "overdue_manifests",
		"discrepancies" };
	struct figures *f = arg;
	size_t k;
	int i;

	for (i = 0; v != NULL && i < n; i++)
		for (k = 0; k < sizeof(want) / sizeof(want[0]); k++)
			if (strcmp(names[i], want[k]) == 0)
				f->v[k] = as_int(&v[i]);
	return 0;
}

/* The city-wide row of today's report: every class's tonnes. */
static int
city_row(void *arg, int n, const char *const *names,
    const struct store_value *v)
{
	struct figures *f = arg;
	int i, city = 0;

	for (i = 0; v != NULL && i < n; i++)
		if (strcmp(names[i], "district") == 0 &&
		    v[i].type == STORE_V_TEXT && strcmp(v[i].s, "全市") == 0)
			city = 1;
	for (i = 0; city && i < n; i++) {
		size_t len = strlen(names[i]);

		if (len > 3 && strcmp(names[i] + len - 3, "_kg") == 0 &&
		    strcmp(names[i], "collected_kg") != 0)
			f->kg += v[i].type == STORE_V_REAL
			    ? v[i].r
			    : (double)as_int(&v[i]);
	}
	f->have_city |= city;
	return 0;
}

static int
print_database(const struct config *cfg)
{
	struct store_q_args a = { { NULL }, { 0 } };
	struct store_query *q = NULL;
	struct figures f;
	char day[11];
	int rc = 0;

	memset(&f, 0, sizeof(f));
	ctl_today(cfg, day);
	a.text[0] = a.text[1] = day;
	a.num[0] = ctl_day_start_ms(day, cfg->time.local_offset_min);
	if (ctl_open(cfg, &q) == -1)
		return -1;
	if (store_query_run(q, STORE_Q_ACTIVITY, &a, activity_row, &f) == -1 ||
	    store_query_run(q, STORE_Q_REPORT, &a, city_row, &f) == -1)
		rc = -1;
	store_query_close(q);
	if (rc == -1)
		return -1;
	printf("figures from the database %s (not from the daemon)\n",
	    ctl_db_name(cfg));
	printf("today %s: %lld messages stored, %lld rejected; newest message "
	       "%.0f s ago\n",
	    day, (long long)f.v[0], (long long)f.v[1],
	    f.v[2] > 0 ? (double)(clock_ms() - f.v[2]) / 1000 : NAN);
	printf("today %s: %.3f t weighed (transfer stations left out); "
	       "manifests: %lld open, %lld overdue, %lld discrepancies\n",
	    day, f.kg / 1000, (long long)f.v[3], (long long)f.v[4],
	    (long long)f.v[5]);
	return 0;
}

static int
run(const struct ctl_cmd *c, const struct config *cfg, int argc, char **argv)
{
	char host[256], port[32], where[300], *body = NULL, err[128];
	struct json *doc = NULL;
	int rc, code = 0;

	(void)argv;
	if (argc != 1)
		return ctl_usage_error(c, "no arguments expected");
	if (endpoint(cfg, host, sizeof(host), port, sizeof(port)) == 0) {
		snprintf(where, sizeof(where), "%s:%s", host, port);
		body = http_get(host, port, "/status", &code);
	} else
		snprintf(where, sizeof(where), "%s (port unknown)",
		    cfg->http.listen);
	if (code == 200 &&
	    (doc = json_parse(body, strlen(body), err, sizeof(err))) != NULL &&
	    json_kind(doc) == JSON_K_OBJ) {
		print_daemon(doc, where);
		rc = jyes(doc, "healthy") ? EXIT_OK : EXIT_FAIL;
		json_free(doc);
		free(body);
		return rc;
	}
	json_free(doc);
	/* Starting (503 "starting"), or not there at all. */
	if (body != NULL && code != 200)
		printf("wastetrackd at %s answers %d: %.*s\n", where, code,
		    (int)strcspn(body, "\r\n"), body);
	else
		printf("wastetrackd does not answer at %s\n", where);
	free(body);
	if (print_database(cfg) == -1)
		return EXIT_FAIL;
	return EXIT_UNAVAILABLE;
}
