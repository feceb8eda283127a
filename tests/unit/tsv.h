/*
 * tsv: the example files of tests/fixtures/payloads, one "TOPIC<tab>PAYLOAD" per
 * line. Include after check.h.
 */
#ifndef WT_TSV_H
#define WT_TSV_H

#include <stdio.h>
#include <string.h>
#include <sys/types.h>

/*
 * The next non-blank line of fp, its end of line stripped: 1 with *topic
 * at its start and *payload after the tab (cut there), or *payload NULL
 * and a failed CHECK when there is no tab; 0 at the end of the file.
 */
static inline int
tsv_next(FILE *fp, char **line, size_t *cap, char **topic, char **payload)
{
	ssize_t len;
	char *tab;

	while ((len = getline(line, cap, fp)) != -1) {
		while (len > 0 &&
		    ((*line)[len - 1] == '\n' || (*line)[len - 1] == '\r'))
			(*line)[--len] = '\0';
		if (len == 0)
			continue;
		*topic = *line;
		*payload = NULL;
		CHECK((tab = strchr(*line, '\t')) != NULL);
		if (tab != NULL) {
			*tab++ = '\0';
			*payload = tab;
		}
		return 1;
	}
	return 0;
}

#endif
