/* ctl_replay: see ctl_replay.h. */
#include "ctl_replay.h"

#include "ctl.h"

#include "config.h"
#include "ctlmsg.h"
#include "json.h"
#include "replay.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The others are ctl.h's. */
#define EXIT_TEMPFAIL 75

static const char usage_text[] =
    "usage: wastetrackctl [-c FILE] replay " CTL_REPLAY_ARGS "\n"
    "  " CTL_REPLAY_HELP ".\n"
    "  --accepted       accepted messages instead of rejects: their rows\n"
    "                   are corrected in place where the current profiles\n"
    "                   derive them differently (weighings, vehicle events,\n"
    "                   facility statuses)\n"
    "  --profile P      (--accepted) only messages decoded by profile P\n"
    "  --reason R       only rejects of this reason (missing_field, ...)\n"
    "  --topic FILTER   only those whose topic matches this MQTT filter\n"
    "  --since T        only those received at or after T: a local day\n"
    "                   YYYY-MM-DD, RFC 3339, or back from now (90m, 7d)\n"
    "  --until T        only those received before T (same forms; a day:\n"
    "                   before it begins)\n"
    "  --dry-run        say what would change; write nothing\n"
    "  --format F       table (default) or json (the daemon's last line)\n"
    "Replayed rejects that became rows are never selected again; accepted\n"
    "messages already right are left alone: a second replay of unchanged\n"
    "input changes nothing. Payloads that retention pruned are counted as\n"
    "skipped. Exit status: 0 done; 1 failure; 64 usage; 69 wastetrackd\n"
    "does not answer; 75 it stopped in the middle (what it committed\n"
    "stays: run the replay again).\n";

/* An option's value into dst; -1 (said on stderr) when too long. */
static int
copy_opt(const char *name, const char *arg, char *dst, size_t size)
{
	if (strlen(arg) >= size) {
		fprintf(stderr, "replay: --%s too long\n", name);
		return -1;
	}
	memcpy(dst, arg, strlen(arg) + 1);
	return 0;
}

/* A time option's value into *ms; -1 (said on stderr) when not one. */
static int
time_opt(const struct config *cfg, const char *name, const char *arg,
    int64_t *ms)
{
	if (ctl_parse_since(arg, cfg, ms) == -1) {
		fprintf(stderr, "replay: --%s %s: not a time\n", name, arg);
		return -1;
	}
	return 0;
}

/* One option: 0, or an exit status (-1: --help, printed). */
static int
one_opt(const struct config *cfg, int ch, struct replay_req *req, int *json)
{
	switch (ch) {
	case 'r':
		return copy_opt("reason", optarg, req->reason,
			   sizeof(req->reason)) == -1
		    ? EXIT_USAGE
		    : 0;
	case 't':
		return copy_opt("topic", optarg, req->topic,
			   sizeof(req->topic)) == -1
		    ? EXIT_USAGE
		    : 0;
	case 'p':
		return copy_opt("profile", optarg, req->profile,
			   sizeof(req->profile)) == -1
		    ? EXIT_USAGE
		    : 0;
	case 's':
		return time_opt(cfg, "since", optarg, &req->since_ms) == -1
		    ? EXIT_USAGE
		    : 0;
	case 'u':
		return time_opt(cfg, "until", optarg, &req->until_ms) == -1
		    ? EXIT_USAGE
		    : 0;
	case 'a':
		req->accepted = 1;
		return 0;
	case 'n':
		req->dry_run = 1;
		return 0;
	case 'f':
		if (strcmp(optarg, "json") != 0 &&
		    strcmp(optarg, "table") != 0) {
			fprintf(stderr, "replay: --format table|json\n");
			return EXIT_USAGE;
		}
		*json = strcmp(optarg, "json") == 0;
		return 0;
	case 'h':
		fputs(usage_text, stdout);
		return -1;
	default:
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
}

static int
parse_args(const struct config *cfg, int argc, char **argv,
    struct replay_req *req, int *json)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "topic", required_argument, NULL, 't' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "accepted", no_argument, NULL, 'a' },
		{ "profile", required_argument, NULL, 'p' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc;

	memset(req, 0, sizeof(*req));
	*json = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if ((rc = one_opt(cfg, ch, req, json)) != 0)
			return rc;
	if (optind != argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (req->accepted ? req->reason[0] != '\0' : req->profile[0] != '\0') {
		fprintf(stderr,
		    "replay: --reason is for rejects, --profile "
		    "for --accepted\n");
		return EXIT_USAGE;
	}
	return 0;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static unsigned long long
figure(const struct json *doc, const char *key)
{
	double v = 0;

	return json_num(json_get(doc, key), &v) == 0 && v >= 0
	    ? (unsigned long long)v
	    : 0;
}

static void
print_rejects(const struct json *doc)
{
	static const char *const keys[] = { "selected", "stored", "duplicate",
		"history", "rejected", "marked", "rows", "pruned" };
	static const char *const what[] = { "rejects selected", "became rows",
		"already stored (duplicates)", "older versions kept aside",
		"rejected again", "rejects whose outcome was recorded",
		"rows written", "skipped: payload pruned" };
	size_t i;

	printf("%s\n",
	    json_is_yes(json_get(doc, "dry_run"))
		? "dry run: nothing was written; a replay would give"
		: "replay done");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		printf("  %-36s %llu\n", what[i], figure(doc, keys[i]));
}

static void
print_accepted(const struct json *doc)
{
	static const char *const keys[] = { "selected", "rederived",
		"unchanged", "rejected", "conflict", "not_rederivable",
		"pruned" };
	static const char *const what[] = { "messages selected",
		"re-derived (rows corrected)", "unchanged",
		"refused by the profiles now (kept)",
		"naming other rows (kept)", "not re-derivable (kept)",
		"skipped: payload pruned" };
	static const char *const tables[] = { "weighings", "weighings_history",
		"vehicle_events", "facility_status" };
	const struct json *changed = json_get(doc, "changed");
	size_t i;

	printf("%s\n",
	    json_is_yes(json_get(doc, "dry_run"))
		? "dry run: nothing was written; a replay of accepted messages "
		  "would give"
		: "replay of accepted messages done");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		printf("  %-36s %llu\n", what[i], figure(doc, keys[i]));
	printf("  %-20s %8s %8s %8s\n", "rows", "added", "removed", "changed");
	/* Rows are corrected in place: never added or removed. */
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		printf("  %-20s %8d %8d %8llu\n", tables[i], 0, 0,
		    changed != NULL ? figure(changed, tables[i]) : 0);
}

static void
print_table(const struct json *doc)
{
	if (json_is_yes(json_get(doc, "accepted")))
		print_accepted(doc);
	else
		print_rejects(doc);
}

/* One reply line: 1 for progress, 0 done (printed), an exit status >= 1
 * for an error (printed). */
static int
reply(const char *line, size_t len, int json)
{
	char err[160];
	struct json *doc = json_parse(line, len, err, sizeof(err));
	const char *ev;
	int rc = EXIT_FAIL;

	if (doc == NULL) {
		fprintf(stderr, "replay: unreadable reply: %s\n", err);
		return EXIT_FAIL;
	}
	ev = json_str(json_get(doc, "event"));
	if (ev != NULL && strcmp(ev, "progress") == 0) {
		if (isatty(2))
			fprintf(stderr, "\rreplay: %llu selected, %llu stored",
			    figure(doc, "selected"), figure(doc, "stored"));
		rc = 1;
	} else if (ev != NULL && strcmp(ev, "done") == 0) {
		if (isatty(2))
			fputc('\n', stderr);
		if (json)
			printf("%.*s\n", (int)len, line);
		else
			print_table(doc);
		rc = 0;
	} else
		fprintf(stderr, "replay: wastetrackd says: %s\n",
		    json_str(json_get(doc, "message")) != NULL
			? json_str(json_get(doc, "message"))
			: "an unknown reply");
	json_free(doc);
	return rc;
}

/* Read reply lines until the last one. */
static int
converse(int fd, int json)
{
	char buf[CTLMSG_MAX * 4];
	size_t have = 0;
	ssize_t n;
	char *nl;
	int rc;

	for (;;) {
		while ((nl = memchr(buf, '\n', have)) != NULL) {
			if ((rc = reply(buf, (size_t)(nl - buf), json)) != 1)
				return rc;
			have -= (size_t)(nl - buf) + 1;
			memmove(buf, nl + 1, have);
		}
		if (have == sizeof(buf)) {
			fprintf(stderr, "replay: reply line too long\n");
			return EXIT_FAIL;
		}
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	fprintf(stderr,
	    "replay: wastetrackd closed the connection before the end (it "
	    "stopped?); what it committed stays: run the replay again\n");
	return EXIT_TEMPFAIL;
}

int
ctl_replay(const struct config *cfg, int argc, char **argv)
{
	struct replay_req req;
	char path[128], line[CTLMSG_MAX];
	int fd, json, rc;

	if ((rc = parse_args(cfg, argc, argv, &req, &json)) != 0)
		return rc == -1 ? 0 : rc;
	if (ctlmsg_socket_path(cfg, path, sizeof(path)) == -1 ||
	    ctlmsg_replay_request(&req, line, sizeof(line)) == -1) {
		fprintf(stderr,
		    "replay: the socket path or the request is "
		    "too long\n");
		return EXIT_USAGE;
	}
	if ((fd = connect_to(path)) == -1) {
		fprintf(stderr,
		    "replay: wastetrackd does not answer on %s: %s (the "
		    "daemon does the replay: is it running?)\n",
		    path, strerror(errno));
		return EXIT_UNAVAILABLE;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fprintf(stderr, "replay: cannot send the request: %s\n",
		    strerror(errno));
		close(fd);
		return EXIT_FAIL;
	}
	rc = converse(fd, json);
	close(fd);
	return rc;
}
