/*
 * wtbench-sub: the benchmark's ceiling (tools/bench/README.md).
 *
 * The least a QoS 1 subscriber can do with paho MQTTAsync 1.3, with the
 * session settings wastetrackd uses (daemon/mqtt.c): a fixed client id,
 * cleansession 0, MQTTCLIENT_PERSISTENCE_NONE, subscribe again in every
 * connect. messageArrived only counts, frees and returns 1 (paho then
 * sends the PUBACK). No storage, no decoding: what the broker and the
 * client library deliver on this machine, which no daemon built on them
 * can beat.
 *
 *   wtbench-sub --client-id ID --register
 *       connect, subscribe, wait for the SUBACK, disconnect: the broker now
 *       queues for this session while it is offline.
 *   wtbench-sub --client-id ID --count N [--timeout S]
 *       connect, count until the N-th message, disconnect.
 *   wtbench-sub --client-id ID --forget
 *       connect with cleansession 1 and disconnect: the session is gone.
 *
 * Prints one JSON line: CLOCK_REALTIME microseconds of the start, the
 * connect, the first and the N-th message, and its own CPU time and peak
 * resident memory (getrusage). Exit 0 when N messages arrived.
 */
#include <MQTTAsync.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static struct {
	const char *url, *client_id, *topic;
	long long count;
	int mode; /* 0 count, 1 register, 2 forget */
	double timeout_s;
} opt = { "tcp://127.0.0.1:1883", NULL, "wt/v1/#", 0, 0, 600 };

static MQTTAsync client;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done, failed, subscribed;
static long long n, extra;
static int64_t t_start, t_conn, t_first, t_nth;
static long long bytes;

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr,
	    "usage: wtbench-sub [--url URL] --client-id ID "
	    "[--topic FILTER]\n"
	    "         (--register | --forget | --count N [--timeout S])\n");
	exit(2);
}

static void
finish(int fail)
{
	pthread_mutex_lock(&mu);
	done = 1;
	failed |= fail;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static int
on_message(void *ctx, char *topic, int tlen, MQTTAsync_message *m)
{
	(void)ctx;
	(void)tlen;
	bytes += m->payloadlen;
	if (++n == 1)
		t_first = now_us();
	if (n == opt.count) {
		t_nth = now_us();
		finish(0);
	} else if (n > opt.count)
		extra++;
	MQTTAsync_freeMessage(&m);
	MQTTAsync_free(topic);
	return 1;
}

static void
on_subscribed(void *ctx, MQTTAsync_successData *d)
{
	(void)ctx;
	if (d != NULL && d->alt.qos == 0x80) {
		fprintf(stderr, "wtbench-sub: subscription refused\n");
		finish(1);
		return;
	}
	pthread_mutex_lock(&mu);
	subscribed = 1;
	pthread_mutex_unlock(&mu);
	if (opt.mode == 1)
		finish(0);
}

static void
on_sub_fail(void *ctx, MQTTAsync_failureData *d)
{
	(void)ctx;
	fprintf(stderr, "wtbench-sub: subscribe failed (%d)\n",
	    d ? d->code : -1);
	finish(1);
}

/* Every connect, as wastetrackd does: subscribing again is idempotent. */
static void
on_connected(void *ctx, char *cause)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;

	(void)ctx;
	(void)cause;
	if (t_conn == 0)
		t_conn = now_us();
	if (opt.mode == 2) {
		finish(0);
		return;
	}
	ro.onSuccess = on_subscribed;
	ro.onFailure = on_sub_fail;
	if (MQTTAsync_subscribe(client, opt.topic, 1, &ro) != MQTTASYNC_SUCCESS)
		finish(1);
}

static void
on_connect_fail(void *ctx, MQTTAsync_failureData *d)
{
	(void)ctx;
	fprintf(stderr, "wtbench-sub: cannot connect to %s (%d)\n", opt.url,
	    d ? d->code : -1);
	finish(1);
}

static void
on_lost(void *ctx, char *cause)
{
	(void)ctx;
	fprintf(stderr, "wtbench-sub: connection lost: %s\n",
	    cause ? cause : "?");
	finish(1);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "client-id", required_argument, NULL, 'i' },
		{ "topic", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "register", no_argument, NULL, 'R' },
		{ "forget", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
	MQTTAsync_disconnectOptions dopt =
	    MQTTAsync_disconnectOptions_initializer;
	struct rusage ru;
	struct timespec ts;
	int ch, ok;

	t_start = now_us();
	while ((ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			opt.url = optarg;
			break;
		case 'i':
			opt.client_id = optarg;
			break;
		case 't':
			opt.topic = optarg;
			break;
		case 'n':
			opt.count = strtoll(optarg, NULL, 10);
			break;
		case 'T':
			opt.timeout_s = strtod(optarg, NULL);
			break;
		case 'R':
			opt.mode = 1;
			break;
		case 'F':
			opt.mode = 2;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || opt.client_id == NULL ||
	    (opt.mode == 0 && opt.count <= 0))
		usage();
	if (MQTTAsync_create(&client, opt.url, opt.client_id,
		MQTTCLIENT_PERSISTENCE_NONE, NULL) != MQTTASYNC_SUCCESS ||
	    MQTTAsync_setCallbacks(client, NULL, on_lost, on_message, NULL) !=
		MQTTASYNC_SUCCESS ||
	    MQTTAsync_setConnected(client, NULL, on_connected) !=
		MQTTASYNC_SUCCESS) {
		fprintf(stderr, "wtbench-sub: cannot create the client\n");
		return 1;
	}
	co.cleansession = opt.mode == 2;
	co.keepAliveInterval = 30;
	co.onFailure = on_connect_fail;
	if (MQTTAsync_connect(client, &co) != MQTTASYNC_SUCCESS)
		return 1;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)opt.timeout_s;
	pthread_mutex_lock(&mu);
	while (!done)
		if (pthread_cond_timedwait(&cv, &mu, &ts) != 0) {
			fprintf(stderr,
			    "wtbench-sub: timed out after %.0f s "
			    "with %lld of %lld messages\n",
			    opt.timeout_s, n, opt.count);
			failed = 1;
			break;
		}
	ok = !failed;
	pthread_mutex_unlock(&mu);
	/* The N-th callback has returned (paho sends its PUBACK then)
	 * before DISCONNECT goes out on the same socket. */
	dopt.timeout = 2000;
	MQTTAsync_disconnect(client, &dopt);
	for (ch = 0; ch < 40 && MQTTAsync_isConnected(client); ch++)
		usleep(50 * 1000);
	MQTTAsync_destroy(&client);
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"mode\":\"%s\",\"received\":%lld,\"extra\":%lld,"
	       "\"bytes\":%lld,\"t_start_us\":%" PRId64
	       ",\"t_connected_us\":%" PRId64 ",\"t_first_us\":%" PRId64
	       ",\"t_nth_us\":%" PRId64
	       ",\"connect_to_nth_s\":%.6f,\"first_to_nth_s\":%.6f,"
	       "\"cpu_s\":%.3f,\"maxrss_kb\":%ld}\n",
	    opt.mode == 1	? "register"
		: opt.mode == 2 ? "forget"
				: "count",
	    n, extra, bytes, t_start, t_conn, t_first, t_nth,
	    t_nth && t_conn ? (double)(t_nth - t_conn) / 1e6 : -1.0,
	    t_nth && t_first ? (double)(t_nth - t_first) / 1e6 : -1.0,
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
	    ru.ru_maxrss);
	return ok ? 0 : 1;
}
