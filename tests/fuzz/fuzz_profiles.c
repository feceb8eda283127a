/*
 * fuzz_profiles: decode_profile() (lib/decode.c) with every shipped
 * profile of conf/profiles/.
 *
 * The sample configuration (WT_FUZZ_CONF_DIR/wastetrack.yaml, which
 * includes every conf/profiles file) is loaded and compiled once. Each kind of each
 * profile becomes an entry with a topic that selects it; the first byte of
 * the input picks the entry (modulo their number) and the rest is the
 * payload, never NUL-terminated. Entry order: profiles as the include glob
 * sorts them, kinds as written; WT_FUZZ_LIST=1 prints it (mkcorpus.py
 * relies on it).
 */
#include "fuzz.h"

#include "config.h"
#include "decode.h"
#include "event.h"
#include "profile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WT_FUZZ_CONF_DIR
#error "WT_FUZZ_CONF_DIR must name the source tree's conf/ directory"
#endif

#define MAX_ENTRIES 64

struct entry {
	const struct profile *p;
	char topic[256];
};

static struct config *cfg;
static struct profile_set *set;
static struct entry entries[MAX_ENTRIES];
static size_t nentries;

static void
cleanup(void)
{
	profile_set_free(set);
	config_free(cfg);
	set = NULL;
	cfg = NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = WT_FUZZ_CONF_DIR "/wastetrack.yaml";
	char *errors = NULL;
	size_t i, k;

	(void)argc;
	(void)argv;
	if (set != NULL)
		return 0;
	if (config_load(path, &cfg, &errors) == -1) {
		fprintf(stderr, "fuzz_profiles: %s", errors ? errors : path);
		exit(1);
	}
	if (profile_compile(cfg, &set, &errors) == -1) {
		fprintf(stderr, "fuzz_profiles: %s", errors ? errors : path);
		exit(1);
	}
	for (i = 0; i < set->n; i++)
		for (k = 0; k < set->p[i].nkinds && nentries < MAX_ENTRIES;
		     k++) {
			entries[nentries].p = &set->p[i];
			fuzz_topic(set->p[i].kinds[k].topic,
			    entries[nentries].topic,
			    sizeof(entries[nentries].topic));
			nentries++;
		}
	if (nentries == 0) {
		fprintf(stderr, "fuzz_profiles: %s defines no profile\n", path);
		exit(1);
	}
	/* WT_FUZZ_LIST=1: show which first byte selects what. */
	if (getenv("WT_FUZZ_LIST") != NULL)
		for (i = 0; i < nentries; i++)
			fprintf(stderr, "fuzz_profiles: %zu: %s %s\n", i,
			    entries[i].p->name, entries[i].topic);
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct entry *en;
	struct ev_list out = { 0 };
	struct decode_err err;
	size_t i;

	if (set == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size == 0)
		return 0;
	en = &entries[data[0] % nentries];
	memset(&err, 0, sizeof(err));
	if (decode_profile(en->p, en->topic, (const char *)data + 1, size - 1,
		&fuzz_ctx, &out, &err) == 0) {
		if (out.n == 0 || out.n > DECODE_MAX_RECORDS)
			fuzz_fail("decode_profile", "success without events");
		for (i = 0; i < out.n; i++)
			fuzz_check_event(&out.ev[i]);
	} else {
		fuzz_check_err(&err);
		if (out.n != 0)
			fuzz_fail("decode_profile", "failure left events");
	}
	ev_list_clear(&out);
	ev_list_free(&out);
	return 0;
}
