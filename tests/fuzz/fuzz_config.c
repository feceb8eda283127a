/*
 * fuzz_config: config_load() (lib/config*.c) and profile_compile()
 * (lib/profile.c) on arbitrary YAML, then every compiled kind applied to
 * a few fixed messages (lib/decode.c with fuzzed profiles).
 *
 * The input is written to fuzz.yaml in a private temporary directory, so
 * relative includes and password files can only reach that file. Inputs
 * that could make the loader read outside it are skipped, as an
 * administrator's mistake rather than a bug: an absolute path, "~" or ".."
 * in a value under include or password_file, or anywhere at all once the
 * file uses aliases (an alias can carry a value under another key).
 * Otherwise an include of "/dev/" + "*" would read /dev/zero forever and
 * a glob of "/" + "*" levels would walk the whole disk.
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
#include <unistd.h>

#include <yaml.h>

static char dir[64], path[96];

/* Messages in each shape a profile may expect. */
static const char *const payloads[] = {
	/* vendor-a telemetry */
	"{\"vehicleId\":\"KW-0217\",\"plate\":\"\xe5\x90\x89"
	"A\xc2\xb7"
	"5G217\",\"ts\":\"2023-08-07T14:02:58+08:00\",\"coordSys\":\"GCJ02\","
	"\"lat\":43.885810,\"lng\":125.321060,\"speedKmh\":32.5,\"heading\":87,"
	"\"altitudeM\":221,\"loadState\":\"FULL\",\"type\":\"UNLOAD\","
	"\"netWeightT\":4.75,\"wasteCategory\":\"FOOD_WASTE\",\"version\":3,"
	"\"status\":\"IN_TRANSIT\",\"scheme\":\"CN_HW\",\"lines\":[{\"lineNo\":1,"
	"\"wasteCode\":\"900-249-08\",\"quantity\":1.2,\"unit\":\"t\"}]}",
	/* jt808 location report */
	"{\"header\":{\"msg_id\":512,\"phone\":\"013912345678\"},\"body\":{"
	"\"status\":787203,\"latitude\":43883412,\"longitude\":125314567,"
	"\"altitude\":221,\"speed\":325,\"direction\":87,\"time\":"
	"\"230807140258\",\"license_number\":\"\xe5\x90\x89"
	"A5G217\","
	"\"color\":2}}",
	/* vendor-b weighing, numbers as strings */
	"{\"bdh\":\"0153\",\"zdbm\":\"ST02\",\"cph\":\"\xe5\x90\x89"
	"A5G217\","
	"\"mz\":\"18,070\",\"pz\":\"13320\",\"jz\":\"4750\",\"dw\":\"kg\","
	"\"gbsj1\":\"2023-08-07 14:03:22\",\"gbsj2\":\"2023-08-07 14:21:05\","
	"\"zt\":\"1\",\"fx\":\"\xe8\xbf\x9b\"}",
	/* legacy-wb: two records with checksums */
	"F;ST02;0153;20230807;140322;;JIA5G217;18070;;;KG;CY;CHAOYANG-HWS;OP07;"
	"0F\r\nT;ST02;0153;20230807;140322;142105;\xe5\x90\x89"
	"A5G217;18070;"
	"13320;4750;KG;CY;CHAOYANG-HWS;OP07;D4",
	/* a bare delimited line */
	"1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16",
};

static void
cleanup(void)
{
	if (path[0] != '\0')
		unlink(path);
	if (dir[0] != '\0')
		rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	if (dir[0] != '\0')
		return 0;
	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 30)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/wt-fuzz-config-XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_config: mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/fuzz.yaml", dir);
	atexit(cleanup);
	return 0;
}

/* A value that names something outside the private directory. */
static int
outside(const char *s, size_t n)
{
	return n > 0 && (s[0] == '/' || s[0] == '~' || memmem(s, n, "..", 2));
}

/* See the comment at the top: 1 if the input may be loaded. */
static int
safe(const uint8_t *data, size_t size)
{
	struct frame {
		int map, want_key, danger, key_danger;
	} *st = NULL, *f;
	size_t depth = 0, cap = 0;
	int aliases = 0, bad_here = 0, bad_anywhere = 0, done = 0, danger;
	yaml_parser_t p;
	yaml_event_t ev;

	if (!yaml_parser_initialize(&p))
		return 0;
	yaml_parser_set_input_string(&p, data, size);
	while (!done && yaml_parser_parse(&p, &ev)) {
		f = depth > 0 ? &st[depth - 1] : NULL;
		/* Is this node under include or password_file? */
		danger = f == NULL ? 0
		    : !f->map	   ? f->danger
		    : f->want_key  ? f->danger
				   : f->key_danger;
		switch (ev.type) {
		case YAML_SCALAR_EVENT: {
			const char *s = (const char *)ev.data.scalar.value;
			size_t n = ev.data.scalar.length;

			if (outside(s, n)) {
				bad_anywhere = 1;
				bad_here |= danger;
			}
			if (f != NULL && f->map && f->want_key) {
				f->key_danger = f->danger ||
				    (n == 7 && memcmp(s, "include", 7) == 0) ||
				    (n == 13 &&
					memcmp(s, "password_file", 13) == 0);
				f->want_key = 0;
			} else if (f != NULL && f->map)
				f->want_key = 1;
			break;
		}
		case YAML_ALIAS_EVENT:
			aliases = 1;
			if (f != NULL && f->map) {
				f->key_danger = f->danger;
				f->want_key = !f->want_key;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (f != NULL && f->map) {
				if (f->want_key)
					f->key_danger = f->danger;
				f->want_key = !f->want_key;
			}
			if (depth == cap) {
				void *ns = realloc(st,
				    (cap = cap * 2 + 16) * sizeof(*st));

				if (ns == NULL) {
					done = bad_here = 1;
					break;
				}
				st = ns;
			}
			st[depth].map = ev.type == YAML_MAPPING_START_EVENT;
			st[depth].want_key = 1;
			st[depth].danger = danger;
			st[depth].key_danger = danger;
			depth++;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_NO_EVENT:
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	free(st);
	return !bad_here && !(aliases && bad_anywhere);
}

/* Every kind of every profile on every fixed message. */
static void
decode_all(const struct profile_set *set)
{
	struct ev_list out = { 0 };
	struct decode_err err;
	char topic[512];
	size_t i, k, m;

	for (i = 0; i < set->n; i++)
		for (k = 0; k < set->p[i].nkinds; k++) {
			fuzz_topic(set->p[i].kinds[k].topic, topic,
			    sizeof(topic));
			for (m = 0; m < sizeof(payloads) / sizeof(payloads[0]);
			     m++) {
				/* Exact size, not NUL-terminated. */
				size_t n = strlen(payloads[m]);
				char *buf = malloc(n ? n : 1);

				if (buf == NULL)
					continue;
				memcpy(buf, payloads[m], n);
				if (decode_profile(&set->p[i], topic, buf, n,
					&fuzz_ctx, &out, &err) == -1)
					fuzz_check_err(&err);
				ev_list_clear(&out);
				free(buf);
			}
		}
	ev_list_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	struct profile_set *set = NULL;
	char *errors = NULL;
	FILE *fp;

	if (dir[0] == '\0')
		LLVMFuzzerInitialize(NULL, NULL);
	if (!safe(data, size))
		return 0;
	if ((fp = fopen(path, "wb")) == NULL) {
		perror("fuzz_config: fopen");
		abort();
	}
	if (size > 0 && fwrite(data, 1, size, fp) != size) {
		perror("fuzz_config: fwrite");
		abort();
	}
	if (fclose(fp) != 0) {
		perror("fuzz_config: fclose");
		abort();
	}
	if (config_load(path, &cfg, &errors) == 0) {
		if (errors != NULL)
			fuzz_fail("config_load", "success with errors");
		if (profile_compile(cfg, &set, &errors) == 0) {
			if (errors != NULL)
				fuzz_fail("profile_compile",
				    "success with "
				    "errors");
			decode_all(set);
			profile_set_free(set);
		} else if (errors == NULL || set != NULL)
			fuzz_fail("profile_compile", "failure without errors");
		config_free(cfg);
	} else if (errors == NULL || cfg != NULL)
		fuzz_fail("config_load", "failure without errors");
	free(errors);
	return 0;
}
