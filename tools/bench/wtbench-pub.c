/*
 * wtbench-pub: the benchmark's publisher (tools/bench/README.md).
 *
 * Python paho publishes only ~6k QoS 1 messages a second and paho.mqtt.c's
 * MQTTAsync about 20k at ~40 µs of CPU per message (one thread hand-off
 * per publish and per PUBACK), which on a 2-core machine would make the
 * publisher both the bottleneck of a flood and the daemon's rival for a
 * core. So this speaks MQTT 3.1.1 itself, on one plain TCP socket, one
 * thread: CONNECT (clean session), PUBLISH at QoS 1 with up to --window
 * unacknowledged packets, PUBACK counting, DISCONNECT. Publishing only:
 * nothing to subscribe, so nothing else of the protocol is needed.
 *
 * Two sources:
 *   --file F      TOPIC<TAB>PAYLOAD lines (tools/wtsim --dry-run), loaded
 *                 into memory before the first publish; every payload byte
 *                 is sent exactly as read; --count caps the lines.
 *   --numbered    native positions of one vehicle (--vehicle), message i
 *                 with "ts": base + i ms and "seq": i.
 * Either at full speed (--rate 0) or paced (--rate R a second), until the
 * source, --count or --seconds runs out.
 *
 * --poll-db DB (with --numbered) measures publish-to-visible latency: the
 * CLOCK_REALTIME time each PUBLISH was written to the socket is kept in
 * memory, and a second thread polls DB read-only every --poll-us for
 * max(ts_ms) of the vehicle in `positions`. The daemon commits in arrival
 * order, so every number up to that maximum became visible with that
 * commit; its latency is (time the poll saw it) - (time it was written).
 *
 * SIGINT or SIGTERM stops publishing early; the acknowledgements (and the
 * poll) are still waited for and the summary printed.
 *
 * Prints one JSON line on stdout. Exit 0 when every message was
 * acknowledged by the broker (and, with --poll-db, became visible).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct msg {
	const char *topic; /* inside the file buffer */
	const char *payload;
	size_t tlen, plen;
};

static struct {
	const char *url, *client_id, *file, *poll_db, *vehicle, *prefix;
	long long count; /* 0 = all / unlimited */
	double rate, seconds;
	int window, poll_us, wait_s;
	int64_t base_ms;
} opt = {
	.url = "tcp://127.0.0.1:1883",
	.vehicle = "BENCH-LAT",
	.prefix = "wt/v1",
	.window = 1000,
	.poll_us = 1000,
	.wait_s = 60,
	.base_ms = -1,
};

/* Numbered mode: shared with the poll thread. */
static int64_t *pub_us; /* when message i was written */
static int64_t *vis_us; /* when the poll first saw it */
static long long n_cap;
static long long n_published;	   /* atomic */
static int pub_finished;	   /* atomic */
static long long visible, polls;   /* poll thread, read after join */
static volatile sig_atomic_t stop; /* SIGINT/SIGTERM: stop publishing */

static int64_t
now_us(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr,
	    "usage: wtbench-pub [--url tcp://HOST:PORT] [--client-id ID] "
	    "[--window W]\n"
	    "         (--file FILE | --numbered [--vehicle V] [--base-ms MS]\n"
	    "          [--prefix wt/v1] [--poll-db DB] [--poll-us US])\n"
	    "         [--count N] [--rate R] [--seconds S] [--wait S]\n");
	exit(2);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static __attribute__((noreturn)) void
die(const char *what)
{
	fprintf(stderr, "wtbench-pub: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- input ---- */

static char *file_buf; /* the --file contents */

/* The whole file in memory, split into messages in place. */
static struct msg *
load_file(const char *path, long long *n)
{
	FILE *f = fopen(path, "rb");
	char *buf, *p, *end;
	struct msg *v;
	long size;
	long long cap = 1024, i = 0;

	if (f == NULL || fseek(f, 0, SEEK_END) == -1 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1)
		die(path);
	if ((buf = malloc((size_t)size + 1)) == NULL ||
	    fread(buf, 1, (size_t)size, f) != (size_t)size ||
	    (v = malloc((size_t)cap * sizeof(*v))) == NULL)
		die(path);
	fclose(f);
	file_buf = buf;
	buf[size] = '\n';
	end = buf + size;
	for (p = buf; p < end && (opt.count == 0 || i < opt.count);) {
		char *nl = memchr(p, '\n', (size_t)(end - p) + 1);
		char *tab = memchr(p, '\t', (size_t)(nl - p));

		if (nl == p) {
			p++;
			continue;
		}
		if (tab == NULL || tab == p || tab - p > 65535) {
			fprintf(stderr,
			    "wtbench-pub: %s: line %lld is not "
			    "TOPIC<TAB>PAYLOAD\n",
			    path, i + 1);
			exit(1);
		}
		if (i == cap) {
			cap *= 2;
			if ((v = realloc(v, (size_t)cap * sizeof(*v))) == NULL)
				die("realloc");
		}
		v[i].topic = p;
		v[i].tlen = (size_t)(tab - p);
		v[i].payload = tab + 1;
		v[i].plen = (size_t)(nl - tab - 1);
		i++;
		p = nl + 1;
	}
	*n = i;
	return v;
}

/* Native position i of the latency vehicle, as wtsim --numbered writes
 * them but one millisecond apart (the key is (vehicle, ts_ms)). */
static size_t
numbered_payload(char *buf, size_t sz, long long i)
{
	int n = snprintf(buf, sz,
	    "{\"ts\":%lld,\"lat\":%.6f,\"lon\":%.6f,"
	    "\"plate\":\"吉AS0002\",\"device\":\"013900000002\","
	    "\"speed_kmh\":30.0,\"heading_deg\":90,\"load_state\":\"empty\","
	    "\"seq\":%lld}",
	    (long long)opt.base_ms + i,
	    43.85 + (double)(i / 1000 % 100) * 0.0005,
	    125.25 + (double)(i % 1000) * 0.0001, i);

	return n > 0 ? (size_t)n : 0;
}

/* ---- MQTT 3.1.1, publishing side ---- */

struct conn {
	int fd;
	unsigned char *out; /* pending bytes */
	size_t olen, ocap;
	unsigned char in[4096];
	size_t ilen;
	uint16_t next_id;
	long long sent, acked;
};

static void
out_reserve(struct conn *c, size_t more)
{
	if (c->olen + more <= c->ocap)
		return;
	while (c->olen + more > c->ocap)
		c->ocap = c->ocap ? c->ocap * 2 : 1 << 18;
	if ((c->out = realloc(c->out, c->ocap)) == NULL)
		die("realloc");
}

static void
put(struct conn *c, const void *p, size_t n)
{
	out_reserve(c, n);
	memcpy(c->out + c->olen, p, n);
	c->olen += n;
}

static void
put_u16(struct conn *c, size_t v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	put(c, b, 2);
}

static void
put_header(struct conn *c, unsigned char type, size_t remaining)
{
	unsigned char b[5];
	size_t n = 0;

	b[n++] = type;
	do {
		b[n] = remaining & 0x7f;
		remaining >>= 7;
		if (remaining)
			b[n] |= 0x80;
		n++;
	} while (remaining);
	put(c, b, n);
}

static void
put_publish(struct conn *c, const char *topic, size_t tlen, const void *payload,
    size_t plen)
{
	if (++c->next_id == 0)
		c->next_id = 1;
	put_header(c, 0x32, 2 + tlen + 2 + plen); /* PUBLISH, QoS 1 */
	put_u16(c, tlen);
	put(c, topic, tlen);
	put_u16(c, c->next_id);
	put(c, payload, plen);
	c->sent++;
}

/* Write what the socket takes now. */
static void
flush_some(struct conn *c)
{
	ssize_t w;

	if (c->olen == 0)
		return;
	w = send(c->fd, c->out, c->olen, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		die("send");
	}
	memmove(c->out, c->out + w, c->olen - (size_t)w);
	c->olen -= (size_t)w;
}

/* Read and count PUBACKs; -1 if the broker closed the connection. */
static int
read_acks(struct conn *c)
{
	ssize_t r =
	    recv(c->fd, c->in + c->ilen, sizeof(c->in) - c->ilen, MSG_DONTWAIT);
	size_t p = 0;

	if (r == 0)
		return -1;
	if (r == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	c->ilen += (size_t)r;
	while (c->ilen - p >= 2) {
		size_t len = 0, hl = 1;
		int shift = 0;

		do {
			if (p + hl >= c->ilen)
				goto partial;
			len |= (size_t)(c->in[p + hl] & 0x7f) << shift;
			shift += 7;
		} while (c->in[p + hl++] & 0x80);
		if (p + hl + len > c->ilen)
			break;
		if ((c->in[p] & 0xf0) == 0x40) /* PUBACK */
			c->acked++;
		p += hl + len;
	}
partial:
	memmove(c->in, c->in + p, c->ilen - p);
	c->ilen -= p;
	return 0;
}

static void
wait_io(struct conn *c, int64_t until_mono_us)
{
	struct pollfd pfd = { c->fd, POLLIN | (c->olen ? POLLOUT : 0), 0 };
	struct timespec ts = { 0, 100 * 1000000L };

	if (until_mono_us > 0) {
		int64_t d = until_mono_us - now_us(CLOCK_MONOTONIC);

		if (d < 0)
			d = 0;
		ts.tv_sec = d / 1000000;
		ts.tv_nsec = (d % 1000000) * 1000;
	}
	if (ppoll(&pfd, 1, &ts, NULL) == -1 && errno != EINTR)
		die("poll");
	if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
		if (read_acks(c) == -1) {
			fprintf(stderr,
			    "wtbench-pub: the broker closed the "
			    "connection after %lld acks\n",
			    c->acked);
			exit(1);
		}
	if (pfd.revents & POLLOUT)
		flush_some(c);
}

static void
mqtt_connect(struct conn *c, const char *url, const char *client_id)
{
	char host[256];
	const char *hp = url, *colon;
	struct addrinfo hints = { 0 }, *ai;
	size_t idlen = strlen(client_id);
	unsigned char ack[4];
	int one = 1;
	ssize_t r;
	size_t got = 0;

	if (strncmp(hp, "tcp://", 6) == 0)
		hp += 6;
	else if (strncmp(hp, "mqtt://", 7) == 0)
		hp += 7;
	if ((colon = strrchr(hp, ':')) == NULL || colon - hp >= 256) {
		fprintf(stderr, "wtbench-pub: bad --url %s\n", url);
		exit(2);
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - hp), hp);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
		fprintf(stderr, "wtbench-pub: cannot resolve %s\n", url);
		exit(1);
	}
	if ((c->fd = socket(ai->ai_family, SOCK_STREAM, 0)) == -1 ||
	    connect(c->fd, ai->ai_addr, ai->ai_addrlen) == -1)
		die(url);
	freeaddrinfo(ai);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* CONNECT: MQTT 3.1.1, clean session, keepalive 0 (none needed: the
	 * connection is never idle for long, and a ping would need a timer). */
	put_header(c, 0x10, 10 + 2 + idlen);
	put(c, "\0\4MQTT\4\2\0\0", 10);
	put_u16(c, idlen);
	put(c, client_id, idlen);
	if (send(c->fd, c->out, c->olen, MSG_NOSIGNAL) != (ssize_t)c->olen)
		die("send CONNECT");
	c->olen = 0;
	while (got < 4) {
		if ((r = recv(c->fd, ack + got, 4 - got, 0)) <= 0)
			die("CONNACK");
		got += (size_t)r;
	}
	if (ack[0] != 0x20 || ack[3] != 0) {
		fprintf(stderr, "wtbench-pub: connection refused (%u)\n",
		    ack[3]);
		exit(1);
	}
}

/* ---- latency: the poll thread ---- */

static void *
poll_main(void *arg)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t idle_since = 0;
	struct timespec next;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		long long top = -1, k, pubd;
		int fin = __atomic_load_n(&pub_finished, __ATOMIC_ACQUIRE);

		pubd = __atomic_load_n(&n_published, __ATOMIC_ACQUIRE);
		if (db == NULL &&
		    sqlite3_open_v2(opt.poll_db, &db, SQLITE_OPEN_READONLY,
			NULL) != SQLITE_OK) {
			sqlite3_close(db);
			db = NULL;
		}
		if (db != NULL && st == NULL &&
		    sqlite3_prepare_v2(db,
			"SELECT max(ts_ms) FROM positions "
			"WHERE vehicle = ?1",
			-1, &st, NULL) != SQLITE_OK)
			st = NULL;
		if (st != NULL) {
			sqlite3_bind_text(st, 1, opt.vehicle, -1,
			    SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW &&
			    sqlite3_column_type(st, 0) != SQLITE_NULL)
				top = sqlite3_column_int64(st, 0) - opt.base_ms;
			sqlite3_reset(st);
			polls++;
		}
		if (top >= pubd) /* cannot be: not published yet */
			top = pubd - 1;
		if (top + 1 > visible) {
			int64_t t = now_us(CLOCK_REALTIME);

			for (k = visible; k <= top; k++)
				vis_us[k] = t;
			visible = top + 1;
			idle_since = 0;
		}
		if (fin && visible >= pubd)
			break;
		if (fin) {
			int64_t t = now_us(CLOCK_MONOTONIC);

			if (idle_since == 0)
				idle_since = t;
			else if (t - idle_since > (int64_t)opt.wait_s * 1000000)
				break;
		}
		next.tv_nsec += opt.poll_us * 1000L;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return NULL;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile, in ms. */
static double
pct(const int64_t *v, long long n, double p)
{
	long long i;

	if (n == 0)
		return -1;
	i = (long long)(p / 100.0 * (double)n + 0.999999) - 1;
	if (i < 0)
		i = 0;
	return (double)v[i] / 1000.0;
}

static void
print_latency(long long n)
{
	int64_t *lat = malloc((size_t)(n > 0 ? n : 1) * sizeof(*lat));
	long long i, m = 0;
	double sum = 0;

	if (lat == NULL)
		die("malloc");
	for (i = 0; i < n && i < visible; i++) {
		lat[m] = vis_us[i] - pub_us[i];
		sum += (double)lat[m++];
	}
	qsort(lat, (size_t)m, sizeof(*lat), cmp_i64);
	printf(",\"visible\":%lld,\"missing\":%lld,\"polls\":%lld,"
	       "\"poll_us\":%d,\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,"
	       "\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,\"mean\":%.3f}",
	    m, n - m, polls, opt.poll_us, pct(lat, m, 50), pct(lat, m, 90),
	    pct(lat, m, 99), pct(lat, m, 99.9),
	    m ? (double)lat[m - 1] / 1000 : -1.0,
	    m ? sum / (double)m / 1000 : -1.0);
	free(lat);
}

/* ---- main ---- */

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "client-id", required_argument, NULL, 'i' },
		{ "file", required_argument, NULL, 'f' },
		{ "numbered", no_argument, NULL, 'N' },
		{ "vehicle", required_argument, NULL, 'V' },
		{ "prefix", required_argument, NULL, 'P' },
		{ "base-ms", required_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "window", required_argument, NULL, 'w' },
		{ "poll-db", required_argument, NULL, 'd' },
		{ "poll-us", required_argument, NULL, 'p' },
		{ "wait", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct conn c = { .fd = -1 };
	struct msg *msgs = NULL;
	long long nmsgs = 0, i = 0, limit;
	char cid[64], topic[256], payload[512];
	size_t tlen = 0;
	int64_t t0_mono, t0, t_last, t_acked, deadline = 0, until;
	pthread_t poller;
	int ch, numbered = 0, ok;
	double secs;

	while ((ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			opt.url = optarg;
			break;
		case 'i':
			opt.client_id = optarg;
			break;
		case 'f':
			opt.file = optarg;
			break;
		case 'N':
			numbered = 1;
			break;
		case 'V':
			opt.vehicle = optarg;
			break;
		case 'P':
			opt.prefix = optarg;
			break;
		case 'b':
			opt.base_ms = strtoll(optarg, NULL, 10);
			break;
		case 'n':
			opt.count = strtoll(optarg, NULL, 10);
			break;
		case 'r':
			opt.rate = strtod(optarg, NULL);
			break;
		case 's':
			opt.seconds = strtod(optarg, NULL);
			break;
		case 'w':
			opt.window = atoi(optarg);
			break;
		case 'd':
			opt.poll_db = optarg;
			break;
		case 'p':
			opt.poll_us = atoi(optarg);
			break;
		case 'W':
			opt.wait_s = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (opt.file == NULL) == (numbered == 0) ||
	    opt.window < 1 || opt.window > 65000 || opt.poll_us < 100 ||
	    (opt.poll_db != NULL && !numbered) ||
	    (numbered && opt.count == 0 && opt.seconds <= 0))
		usage();
	signal(SIGPIPE, SIG_IGN);
	{
		struct sigaction sa;

		/* Stop early, still wait for the acks and print the summary
		 * (the runner stops a flood this way). */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	if (opt.file != NULL)
		msgs = load_file(opt.file, &nmsgs);
	if (numbered) {
		/* Room for --count, or for --seconds at --rate (or at a
		 * generous 500k/s when unpaced). */
		n_cap = opt.count
		    ? opt.count
		    : (long long)(opt.seconds *
			  (opt.rate > 0 ? opt.rate * 1.01 + 16 : 500000));
		if (opt.count && opt.seconds > 0 && opt.rate > 0 &&
		    n_cap > (long long)(opt.seconds * opt.rate * 1.01 + 16))
			n_cap = (long long)(opt.seconds * opt.rate * 1.01 + 16);
		pub_us = calloc((size_t)n_cap, sizeof(*pub_us));
		vis_us = calloc((size_t)n_cap, sizeof(*vis_us));
		if (pub_us == NULL || vis_us == NULL)
			die("calloc");
		if (opt.base_ms < 0) /* a day ago: never "future_ts" */
			opt.base_ms = now_us(CLOCK_REALTIME) / 1000 - 86400000;
		snprintf(topic, sizeof(topic), "%s/vehicles/%s/position",
		    opt.prefix, opt.vehicle);
		tlen = strlen(topic);
	}
	limit = numbered ? n_cap : nmsgs;
	if (opt.client_id == NULL) {
		snprintf(cid, sizeof(cid), "wtbench-pub-%d", (int)getpid());
		opt.client_id = cid;
	}
	mqtt_connect(&c, opt.url, opt.client_id);
	if (opt.poll_db != NULL &&
	    pthread_create(&poller, NULL, poll_main, NULL) != 0)
		die("pthread_create");

	t0_mono = now_us(CLOCK_MONOTONIC);
	t0 = now_us(CLOCK_REALTIME);
	if (opt.seconds > 0)
		deadline = t0_mono + (int64_t)(opt.seconds * 1e6);
	while (i < limit) {
		int64_t now = now_us(CLOCK_MONOTONIC), due = 0;

		if ((deadline && now >= deadline) || stop)
			break;
		/* Queue what the window, the pace and the buffer allow. */
		while (i < limit && c.sent - c.acked < opt.window &&
		    c.olen < (1 << 18)) {
			if (opt.rate > 0) {
				due = t0_mono +
				    (int64_t)((double)i * 1e6 / opt.rate);
				if (due > now)
					break;
				due = 0;
			}
			if (numbered) {
				size_t plen = numbered_payload(payload,
				    sizeof(payload), i);

				put_publish(&c, topic, tlen, payload, plen);
				/* Paced: written right below, so this is
				 * when it leaves (to a few µs). */
				pub_us[i] = now_us(CLOCK_REALTIME);
				__atomic_store_n(&n_published, i + 1,
				    __ATOMIC_RELEASE);
			} else
				put_publish(&c, msgs[i].topic, msgs[i].tlen,
				    msgs[i].payload, msgs[i].plen);
			i++;
		}
		flush_some(&c);
		if (due == 0 || (deadline && due > deadline))
			due = deadline; /* 0: wake on I/O or after 100 ms */
		wait_io(&c, due);
	}
	t_last = now_us(CLOCK_REALTIME);
	/* Every message written and acknowledged by the broker. */
	until = now_us(CLOCK_MONOTONIC) + (int64_t)opt.wait_s * 1000000;
	while ((c.olen > 0 || c.acked < c.sent) &&
	    now_us(CLOCK_MONOTONIC) < until) {
		flush_some(&c);
		wait_io(&c, 0);
	}
	t_acked = now_us(CLOCK_REALTIME);
	put_header(&c, 0xe0, 0); /* DISCONNECT */
	flush_some(&c);
	close(c.fd);
	__atomic_store_n(&pub_finished, 1, __ATOMIC_RELEASE);
	if (opt.poll_db != NULL)
		pthread_join(poller, NULL);

	secs = (double)(t_last - t0) / 1e6;
	printf("{\"sent\":%lld,\"acked\":%lld,\"t0_us\":%" PRId64
	       ",\"t_last_us\":%" PRId64 ",\"t_acked_us\":%" PRId64
	       ",\"seconds\":%.3f,\"rate\":%.1f,\"acked_rate\":%.1f",
	    c.sent, c.acked, t0, t_last, t_acked, secs,
	    secs > 0 ? (double)c.sent / secs : 0.0,
	    t_acked > t0 ? (double)c.acked * 1e6 / (double)(t_acked - t0)
			 : 0.0);
	if (numbered)
		printf(",\"base_ms\":%lld,\"vehicle\":\"%s\"",
		    (long long)opt.base_ms, opt.vehicle);
	if (opt.poll_db != NULL)
		print_latency(c.sent);
	printf("}\n");
	ok = c.acked == c.sent && (opt.poll_db == NULL || visible >= c.sent);
	free(c.out);
	free(msgs);
	free(file_buf);
	free(pub_us);
	free(vis_us);
	return ok ? 0 : 1;
}
