/* city: see city.h. */
#include "city.h"

#include "clock.h"
#include "http.h"
#include "log.h"
#include "norm.h"
#include "report.h"
#include "store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REFRESH_MS	  1000
#define REFRESH_ANYWAY_MS 60000

struct city {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct store *reader; /* this thread's only */
	struct http *http;
	int offset_min, stop; /* under mu */
};

/* Sleep until the next refresh or stop; 1 when stopping. */
static int
pause_or_stop(struct city *cy, int *offset_min)
{
	struct timespec until;
	int stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += REFRESH_MS / 1000;
	pthread_mutex_lock(&cy->mu);
	while (
	    !cy->stop && pthread_cond_timedwait(&cy->cv, &cy->mu, &until) == 0)
		;
	stop = cy->stop;
	*offset_min = cy->offset_min;
	pthread_mutex_unlock(&cy->mu);
	return stop;
}

static void *
run(void *arg)
{
	struct city *cy = arg;
	struct report_city *c;
	char day[11], last_day[11] = "";
	int64_t version, last_version = -1, now, last_ms = 0;
	int offset_min;

	pthread_mutex_lock(&cy->mu);
	offset_min = cy->offset_min;
	pthread_mutex_unlock(&cy->mu);
	if ((c = malloc(sizeof(*c))) == NULL) {
		log_warnx("city: out of memory; /status has no city figures");
		return NULL;
	}
	do {
		now = clock_ms();
		norm_local_day(now, offset_min, day);
		if (store_data_version(cy->reader, &version) == -1)
			version = -2; /* unknown: refresh */
		if (version != last_version || strcmp(day, last_day) != 0 ||
		    now - last_ms >= REFRESH_ANYWAY_MS) {
			/* On failure the last figures stay up; again after
			 * a pause. */
			if (report_city_compute(cy->reader, day, c) == -1)
				continue;
			http_publish_city(cy->http, c);
			last_version = version;
			last_ms = now;
			memcpy(last_day, day, sizeof(day));
		}
	} while (!pause_or_stop(cy, &offset_min));
	free(c);
	return NULL;
}

int
city_start(const struct store_where *w, int local_offset_min, struct http *h,
    struct city **out)
{
	struct city *cy;

	if ((cy = calloc(1, sizeof(*cy))) == NULL)
		return -1;
	cy->http = h;
	cy->offset_min = local_offset_min;
	pthread_mutex_init(&cy->mu, NULL);
	pthread_cond_init(&cy->cv, NULL);
	if (store_open_reader_at(w, &cy->reader) == -1)
		goto fail;
	if (pthread_create(&cy->thread, NULL, run, cy) != 0) {
		log_warnx("city: cannot start a thread");
		goto fail;
	}
	/* Named for top -H and perf: the loop keeps "wastetrackd". */
	pthread_setname_np(cy->thread, "wt-city");
	*out = cy;
	return 0;
fail:
	store_close(cy->reader);
	pthread_cond_destroy(&cy->cv);
	pthread_mutex_destroy(&cy->mu);
	free(cy);
	return -1;
}

void
city_set_offset(struct city *cy, int local_offset_min)
{
	pthread_mutex_lock(&cy->mu);
	cy->offset_min = local_offset_min;
	pthread_mutex_unlock(&cy->mu);
}

void
city_stop(struct city *cy)
{
	if (cy == NULL)
		return;
	pthread_mutex_lock(&cy->mu);
	cy->stop = 1;
	pthread_cond_signal(&cy->cv);
	pthread_mutex_unlock(&cy->mu);
	pthread_join(cy->thread, NULL);
	store_close(cy->reader);
	pthread_cond_destroy(&cy->cv);
	pthread_mutex_destroy(&cy->mu);
	free(cy);
}
