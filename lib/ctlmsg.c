/* ctlmsg: see ctlmsg.h. */
#include "ctlmsg.h"

#include "config.h"
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int
ctlmsg_socket_path(const struct config *cfg, char *buf, size_t len)
{
	/* Beside the SQLite file as before; with a server, beside this
	 * daemon's own spool (each daemon of a group has one). */
	int n = snprintf(buf, len, "%s.ctl",
	    cfg->database.backend == CFG_DB_SQLITE ? cfg->database.path
						   : cfg->ingest.spool_dir);

	/* sun_path holds 108 bytes on Linux. */
	return n < 0 || (size_t)n >= len || n >= 108 ? -1 : 0;
}

/* s as a JSON string, quotes included; -1 when it does not fit. */
static int
quote(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	int n;

	if (len < 3)
		return -1;
	buf[o++] = '"';
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			n = snprintf(buf + o, len - o, "\\%c", c);
		else if (c < 0x20)
			n = snprintf(buf + o, len - o, "\\u%04x", c);
		else
			n = snprintf(buf + o, len - o, "%c", c);
		if (n < 0 || (size_t)n >= len - o)
			return -1;
		o += (size_t)n;
	}
	if (o + 2 > len)
		return -1;
	buf[o++] = '"';
	buf[o] = '\0';
	return 0;
}

int
ctlmsg_replay_request(const struct replay_req *req, char *buf, size_t len)
{
	char reason[80], topic[560], profile[160];
	int n;

	if (quote(req->reason, reason, sizeof(reason)) == -1 ||
	    quote(req->topic, topic, sizeof(topic)) == -1 ||
	    quote(req->profile, profile, sizeof(profile)) == -1)
		return -1;
	n = snprintf(buf, len,
	    "{\"command\":\"replay\",\"accepted\":%s,\"reason\":%s,"
	    "\"topic\":%s,\"profile\":%s,\"since_ms\":%lld,"
	    "\"until_ms\":%lld,\"dry_run\":%s}\n",
	    req->accepted ? "true" : "false", reason, topic, profile,
	    (long long)req->since_ms, (long long)req->until_ms,
	    req->dry_run ? "true" : "false");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The optional string member key of doc into dst; -1 when it is not a
 * string or too long. */
static int
member_str(const struct json *doc, const char *key, char *dst, size_t len)
{
	const struct json *v = json_get(doc, key);
	const char *s;

	dst[0] = '\0';
	if (v == NULL || json_kind(v) == JSON_K_NULL)
		return 0;
	if ((s = json_str(v)) == NULL || strlen(s) >= len)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* The optional member key, a time in ms, into *out (0 when absent). */
static int
member_time(const struct json *doc, const char *key, int64_t *out)
{
	const struct json *v = json_get(doc, key);
	double t = 0;

	*out = 0;
	if (v == NULL)
		return 0;
	if (json_num(v, &t) == -1 || t < 0 || t > 9.2e15 || t != floor(t))
		return -1;
	*out = (int64_t)t;
	return 0;
}

int
ctlmsg_parse_replay(const char *line, size_t len, struct replay_req *req,
    char *err, size_t errsz)
{
	struct json *doc;
	const struct json *v;
	const char *cmd;
	double since = 0;
	int rc = -1;

	memset(req, 0, sizeof(*req));
	if ((doc = json_parse(line, len, err, errsz)) == NULL)
		return -1;
	if ((cmd = json_str(json_get(doc, "command"))) == NULL ||
	    strcmp(cmd, "replay") != 0) {
		snprintf(err, errsz, "unknown command");
		goto done;
	}
	if (member_str(doc, "reason", req->reason, sizeof(req->reason)) == -1 ||
	    member_str(doc, "topic", req->topic, sizeof(req->topic)) == -1) {
		snprintf(err, errsz, "reason and topic must be short strings");
		goto done;
	}
	if ((v = json_get(doc, "since_ms")) != NULL &&
	    (json_num(v, &since) == -1 || since < 0 || since > 9.2e15 ||
		since != floor(since))) {
		snprintf(err, errsz, "since_ms must be a time in ms");
		goto done;
	}
	req->since_ms = (int64_t)since;
	if (member_time(doc, "until_ms", &req->until_ms) == -1) {
		snprintf(err, errsz, "until_ms must be a time in ms");
		goto done;
	}
	if (member_str(doc, "profile", req->profile, sizeof(req->profile)) ==
	    -1) {
		snprintf(err, errsz, "profile must be a short string");
		goto done;
	}
	req->accepted = json_is_yes(json_get(doc, "accepted"));
	if (req->accepted && req->reason[0] != '\0') {
		snprintf(err, errsz, "accepted messages have no reason");
		goto done;
	}
	req->dry_run = json_is_yes(json_get(doc, "dry_run"));
	rc = 0;
done:
	json_free(doc);
	return rc;
}

/* The figures of a replay of accepted messages. */
static int
accepted_line(const char *event, const struct replay_stats *st, int dry_run,
    char *buf, size_t len)
{
	int n = snprintf(buf, len,
	    "{\"event\":\"%s\",\"accepted\":true,\"dry_run\":%s,"
	    "\"selected\":%llu,\"rederived\":%llu,\"unchanged\":%llu,"
	    "\"rejected\":%llu,\"conflict\":%llu,\"not_rederivable\":%llu,"
	    "\"pruned\":%llu,\"changed\":{\"%s\":%llu,\"%s\":%llu,"
	    "\"%s\":%llu,\"%s\":%llu},\"last_id\":%lld}\n",
	    event, dry_run ? "true" : "false", (unsigned long long)st->selected,
	    (unsigned long long)st->rederived,
	    (unsigned long long)st->unchanged, (unsigned long long)st->rejected,
	    (unsigned long long)st->conflict,
	    (unsigned long long)st->not_rederivable,
	    (unsigned long long)st->pruned, store_rd_table_names[0],
	    (unsigned long long)st->changed[0], store_rd_table_names[1],
	    (unsigned long long)st->changed[1], store_rd_table_names[2],
	    (unsigned long long)st->changed[2], store_rd_table_names[3],
	    (unsigned long long)st->changed[3], (long long)st->last_id);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
ctlmsg_stats_line(const char *event, const struct replay_stats *st,
    int accepted, int dry_run, char *buf, size_t len)
{
	int n;

	if (accepted)
		return accepted_line(event, st, dry_run, buf, len);
	n = snprintf(buf, len,
	    "{\"event\":\"%s\",\"dry_run\":%s,\"selected\":%llu,"
	    "\"stored\":%llu,\"duplicate\":%llu,\"history\":%llu,"
	    "\"rejected\":%llu,\"marked\":%llu,\"rows\":%llu,"
	    "\"pruned\":%llu,\"last_id\":%lld}\n",
	    event, dry_run ? "true" : "false", (unsigned long long)st->selected,
	    (unsigned long long)st->stored, (unsigned long long)st->duplicate,
	    (unsigned long long)st->history, (unsigned long long)st->rejected,
	    (unsigned long long)st->marked, (unsigned long long)st->rows,
	    (unsigned long long)st->pruned, (long long)st->last_id);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
ctlmsg_error_line(const char *message, char *buf, size_t len)
{
	char q[CTLMSG_MAX - 32];
	int n;

	if (quote(message, q, sizeof(q)) == -1)
		return -1;
	n = snprintf(buf, len, "{\"event\":\"error\",\"message\":%s}\n", q);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
