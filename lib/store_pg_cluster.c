/*
 * store_pg_cluster: several daemons on one PostgreSQL database
 * (docs/cluster.md). Each beat records this instance in a table of its
 * own and tells whether it leads: the leader is whoever holds a
 * session-level advisory lock on its writer connection, so that the lock
 * goes when that connection goes, however the daemon ends (a SIGKILL
 * closes the socket, the server ends the session and frees the lock).
 *
 * The table is not part of the public schema (its version stays
 * STORE_SCHEMA_VERSION): it is made by the first beat, with CREATE TABLE
 * IF NOT EXISTS, under a transaction-level advisory lock so that daemons
 * starting together do not race on the catalogue.
 */
#include "store_pg_int.h"

#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The locks' two keys: the application id of the SQLite file ("WTRK",
 * as the migrations' lock in store_pg.c, which takes 1, and the registry
 * sync's in store_pg_sync.c, 2), then what the lock is for. */
#define LOCK_CLASS  "1465143883"
#define LOCK_LEADER "10"
#define LOCK_CREATE "11"

/* Peers seen within this many ms are listed: about three beats. */
#define PEER_WINDOW_MS 3500

static const char create_sql[] =
    "SELECT pg_advisory_xact_lock(" LOCK_CLASS ", " LOCK_CREATE ");"
    "CREATE TABLE IF NOT EXISTS cluster_instances ("
    " id text PRIMARY KEY,"
    " group_name text,"
    " host text,"
    " pid bigint,"
    " started_ms bigint NOT NULL,"
    " seen_ms bigint NOT NULL,"
    " leader integer NOT NULL DEFAULT 0)";

static const struct pg_stmt st_lock = { "c_lock",
	"SELECT pg_try_advisory_lock(" LOCK_CLASS ", " LOCK_LEADER ")" };

static const struct pg_stmt st_upsert = { "c_upsert",
	"INSERT INTO cluster_instances"
	" (id, group_name, host, pid, started_ms, seen_ms, leader)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7)"
	" ON CONFLICT (id) DO UPDATE SET group_name = excluded.group_name,"
	" host = excluded.host, pid = excluded.pid,"
	" started_ms = excluded.started_ms, seen_ms = excluded.seen_ms,"
	" leader = excluded.leader" };

static const struct pg_stmt st_peers = { "c_peers",
	"SELECT id, group_name, leader, seen_ms FROM cluster_instances"
	" WHERE id <> $1 AND seen_ms >= $2 ORDER BY id LIMIT 16" };

struct cluster {
	int created;	    /* the table exists (this connection saw it) */
	int leader;	    /* this connection's session holds the lock */
	int lock_pid;	    /* the server process of that session */
	int64_t since_ms;   /* when it was taken */
	int64_t started_ms; /* the first beat */
	char host[256];
};

static void *
cluster_make(void)
{
	struct cluster *c = calloc(1, sizeof(*c));

	if (c != NULL && gethostname(c->host, sizeof(c->host) - 1) == -1)
		c->host[0] = '\0';
	return c;
}

static void
cluster_release(void *state)
{
	free(state);
}

/*
 * Whether this session still holds, or now takes, the lock. A session
 * lock survives as long as the session: the same server process means
 * the same session (a reconnection is a new process, which holds
 * nothing). Taken again only when not held, since session locks stack.
 */
static int
take_lead(struct store_pgsql *s, struct cluster *c, int64_t now_ms)
{
	PGresult *r;
	const char *v;

	if (c->leader && PQbackendPID(s->conn) != c->lock_pid) {
		log_notice("store: postgresql: a new session; no longer the "
			   "leader until it takes the lock again");
		c->leader = 0;
	}
	if (c->leader)
		return 0;
	if ((r = pgq_query(s, &st_lock, NULL)) == NULL)
		return -1;
	v = pgr_text(r, 0, 0);
	if (v != NULL && strcmp(v, "t") == 0) {
		c->leader = 1;
		c->lock_pid = PQbackendPID(s->conn);
		c->since_ms = now_ms;
		log_notice("store: postgresql: this instance leads now");
	}
	PQclear(r);
	return 0;
}

static int
record(struct store_pgsql *s, struct cluster *c, const char *instance,
    const char *group, int64_t now_ms)
{
	struct pgp p;

	pgp_init(&p);
	pgp_text(&p, instance);
	pgp_text(&p, group);
	pgp_text(&p, c->host[0] != '\0' ? c->host : NULL);
	pgp_i64(&p, (int64_t)getpid());
	pgp_i64(&p, c->started_ms);
	pgp_i64(&p, now_ms);
	pgp_i64(&p, c->leader);
	return pgq_run(s, &st_upsert, &p);
}

static int
peers(struct store_pgsql *s, const char *instance, int64_t now_ms,
    struct store_cluster *out)
{
	struct pgp p;
	PGresult *r;
	struct store_peer *e;
	int i, n;

	pgp_init(&p);
	pgp_text(&p, instance);
	pgp_i64(&p, now_ms - PEER_WINDOW_MS);
	if ((r = pgq_query(s, &st_peers, &p)) == NULL)
		return -1;
	n = PQntuples(r);
	for (i = 0; i < n && out->npeers < STORE_PEERS_MAX; i++) {
		e = &out->peers[out->npeers++];
		snprintf(e->id, sizeof(e->id), "%s",
		    pgr_text(r, i, 0) != NULL ? pgr_text(r, i, 0) : "");
		snprintf(e->group, sizeof(e->group), "%s",
		    pgr_text(r, i, 1) != NULL ? pgr_text(r, i, 1) : "");
		e->leader = pgr_i64(r, i, 2, 0) != 0;
		e->seen_ms = pgr_i64(r, i, 3, 0);
	}
	PQclear(r);
	return 0;
}

int
store_pg_cluster_beat(struct store *pub, const char *instance,
    const char *group, int64_t now_ms, struct store_cluster *out)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct cluster *c;

	memset(out, 0, sizeof(*out));
	c = store_pgsql_area(s, PGA_CLUSTER, cluster_make, cluster_release);
	if (c == NULL)
		return -1;
	if (c->started_ms == 0)
		c->started_ms = now_ms;
	if (instance == NULL)
		instance = "default";
	/* The connection is gone, and the lock with it; the next
	 * transaction reconnects (store_pg_handle.c), a later beat tries
	 * again. Quiet: the writer logs the loss. */
	if (s->broken || s->in_txn || s->kind != PGK_WRITER) {
		if (c->leader)
			log_notice("store: postgresql: connection lost; no "
				   "longer the leader");
		c->leader = 0;
		return -1;
	}
	if (!c->created && pgq_exec(s, create_sql) == -1)
		goto fail;
	c->created = 1;
	if (take_lead(s, c, now_ms) == -1 ||
	    record(s, c, instance, group, now_ms) == -1 ||
	    peers(s, instance, now_ms, out) == -1)
		goto fail;
	out->leader = c->leader;
	out->leader_since_ms = c->leader ? c->since_ms : 0;
	return 0;
fail:
	/* A lost connection (the flag set by the failure) loses the lock;
	 * any other failure leaves the session, and the lock, as they are,
	 * but this beat claims nothing. */
	if (s->broken)
		c->leader = 0;
	out->npeers = 0;
	return -1;
}
