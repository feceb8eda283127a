/*
 * fuzz_native: native_decode() (lib/native.c), the built-in wastetrack
 * dialect.
 *
 * Input: "TOPIC\nPAYLOAD". Without a newline the first byte picks one of
 * the five native topics and the rest is the payload. The payload is never
 * NUL-terminated (as in the spool), so over-reads show under ASan.
 */
#include "fuzz.h"

#include "event.h"
#include "native.h"
#include "norm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const topics[] = {
	"wt/v1/vehicles/KW-0217/position",
	"wt/v1/vehicles/KW-0217/events",
	"wt/v1/facilities/CC-KWP-01/weighings",
	"wt/v1/facilities/CC-KWP-01/status",
	"wt/v1/manifests/20232201000153",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *payload, *nl;
	char *topic;
	size_t len;
	struct decode_err err;
	struct ev_list evs = { NULL, 0, 0 };

	if (size == 0)
		return 0;
	if ((nl = memchr(in, '\n', size)) != NULL) {
		if ((topic = strndup(in, (size_t)(nl - in))) == NULL)
			return 0;
		payload = nl + 1;
		len = size - (size_t)(nl - in) - 1;
	} else {
		if ((topic = strdup(topics[data[0] % 5])) == NULL)
			return 0;
		payload = in + 1;
		len = size - 1;
	}
	/* MQTT topic names are UTF-8 without NUL, which the broker enforces
	 * (MQTT 3.1.1 1.5.3, 4.7.3): native_decode() relies on it. */
	if (!norm_utf8_valid(topic, strlen(topic))) {
		free(topic);
		return 0;
	}
	memset(&err, 0, sizeof(err));
	if (native_decode(topic, payload, len, &fuzz_ctx, &evs, &err) == 0) {
		if (err.reason != NULL)
			fuzz_fail("native_decode", "success with a reason");
		if (evs.n != 1)
			fuzz_fail("native_decode", "success without one event");
		else
			fuzz_check_event(&evs.ev[0]);
	} else {
		fuzz_check_err(&err);
		if (evs.n != 0)
			fuzz_fail("native_decode", "failure left an event");
	}
	ev_list_free(&evs);
	free(topic);
	return 0;
}
