/* test_spool: lib/spool.c on a real directory (mkdtemp), against spool.h. */
#include "check.h"
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define T0	 INT64_C(1691388178000)
#define NREC	 6
/* "t/NN" + "payload-NN": 24 + 4 + 10 bytes; 4 of them fill a segment */
#define RECSZ 38
#define SEG4  (4 * RECSZ)

static const struct spool_pos all = { UINT64_MAX, UINT64_MAX };

static char base[PATH_MAX];

/* dir/name into out; the test paths are short, a cut one is a failure. */
static void
join(char *out, size_t n, const char *dir, const char *name)
{
	int len = snprintf(out, n, "%s/%s", dir, name);

	CHECK(len > 0 && (size_t)len < n);
}

static void
rmtree(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		join(path, sizeof(path), dir, de->d_name);
		if (unlink(path) == -1)
			fprintf(stderr, "unlink %s: %s\n", path,
			    strerror(errno));
	}
	closedir(d);
	if (rmdir(dir) == -1)
		fprintf(stderr, "rmdir %s: %s\n", dir, strerror(errno));
}

/* A fresh, empty spool directory under base for one test. */
static void
newdir(char *dir, size_t n, const char *name)
{
	join(dir, n, base, name);
	CHECK_INT(spool_mkdir(dir), 0);
}

static void
segfile(const char *dir, uint64_t seg, char *out, size_t n)
{
	int len = snprintf(out, n, "%s/%016" PRIu64 ".spool", dir, seg);

	CHECK(len > 0 && (size_t)len < n);
}

static long long
segsize(const char *dir, uint64_t seg)
{
	char path[PATH_MAX];
	struct stat st;

	segfile(dir, seg, path, sizeof(path));
	if (stat(path, &st) == -1)
		return -1;
	return (long long)st.st_size;
}

static int
pos_eq(struct spool_pos a, struct spool_pos b)
{
	return a.seg == b.seg && a.off == b.off;
}

static void
rec_text(int i, char *topic, char *payload)
{
	snprintf(topic, 8, "t/%02u", (unsigned)i % 100);
	snprintf(payload, 16, "payload-%02u", (unsigned)i % 100);
}

/* Append record i of the standard series; returns its end. */
static struct spool_pos
append_std(struct spool_writer *w, int i)
{
	char topic[8], payload[16];
	struct spool_pos end = { 0, 0 };

	rec_text(i, topic, payload);
	CHECK_INT(spool_append(w, topic, strlen(topic), payload,
		      strlen(payload), T0 + i, &end),
	    0);
	return end;
}

/* Read the next record and check it is record i of the series. */
static void
expect_std(struct spool_reader *r, struct spool_pos limit, int i,
    struct spool_pos end)
{
	char topic[8], payload[16];
	struct spool_rec rec;
	int rc;

	memset(&rec, 0, sizeof(rec));
	rc = spool_read(r, limit, &rec);
	CHECK_INT(rc, 1);
	if (rc != 1) {
		fprintf(stderr, "  expected record %d\n", i);
		return;
	}
	rec_text(i, topic, payload);
	CHECK_STR(rec.topic, topic);
	CHECK_INT(rec.topic_len, strlen(topic));
	CHECK_INT(rec.payload_len, strlen(payload));
	CHECK(rec.payload_len == strlen(payload) &&
	    memcmp(rec.payload, payload, rec.payload_len) == 0);
	CHECK_INT(rec.received_ms, T0 + i);
	CHECK_INT(rec.size, RECSZ);
	CHECK_INT(rec.end.seg, end.seg);
	CHECK_INT(rec.end.off, end.off);
	CHECK(pos_eq(spool_reader_pos(r), end));
}

static void
expect_end(struct spool_reader *r, struct spool_pos limit)
{
	struct spool_rec rec;

	CHECK_INT(spool_read(r, limit, &rec), 0);
}

/* Write the standard series 0..n-1 with seg_max, starting at segment 1. */
static void
write_std(const char *dir, size_t seg_max, int n, struct spool_pos *ends)
{
	struct spool_writer *w = NULL;
	int i;

	CHECK_INT(spool_writer_open(dir, 1, seg_max, 0, &w), 0);
	if (w == NULL)
		return;
	for (i = 0; i < n; i++)
		ends[i] = append_std(w, i);
	spool_writer_close(w);
}

static void
flip_byte(const char *dir, uint64_t seg, off_t off)
{
	char path[PATH_MAX];
	unsigned char c;
	int fd;

	segfile(dir, seg, path, sizeof(path));
	fd = open(path, O_RDWR);
	CHECK(fd != -1);
	if (fd == -1)
		return;
	CHECK_INT(pread(fd, &c, 1, off), 1);
	c ^= 0x20;
	CHECK_INT(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

static void
test_record_size(void)
{
	CHECK_INT(spool_record_size(0, 0), 24);
	CHECK_INT(spool_record_size(4, 10), RECSZ);
	CHECK_INT(spool_record_size(31, 1 << 20), 24 + 31 + (1 << 20));
}

static void
test_write_read(void)
{
	char dir[PATH_MAX];
	struct spool_writer *w = NULL;
	struct spool_reader *r = NULL;
	struct spool_pos ends[NREC], prev = { 1, 0 };
	uint64_t first, last;
	int i;

	newdir(dir, sizeof(dir), "basic");
	CHECK_INT(spool_mkdir(dir), 0); /* existing is fine */
	CHECK_INT(spool_bounds(dir, &first, &last), 0);
	CHECK_INT(first, 0);
	CHECK_INT(last, 0);

	CHECK_INT(spool_writer_open(dir, 1, 1 << 20, 1, &w), 0);
	if (w == NULL)
		return;
	for (i = 0; i < NREC; i++) {
		ends[i] = append_std(w, i);
		CHECK_INT(ends[i].seg, 1);
		CHECK_INT(ends[i].off, prev.off + spool_record_size(4, 10));
		prev = ends[i];
	}
	CHECK_INT(segsize(dir, 1), NREC * RECSZ);
	CHECK_INT(spool_bounds(dir, &first, &last), 0);
	CHECK_INT(first, 1);
	CHECK_INT(last, 1);

	CHECK_INT(spool_reader_open(dir, (struct spool_pos){ 1, 0 }, &r), 0);
	if (r == NULL) {
		spool_writer_close(w);
		return;
	}
	CHECK(pos_eq(spool_reader_pos(r), (struct spool_pos){ 1, 0 }));
	/* nothing before a limit at the start */
	expect_end(r, (struct spool_pos){ 1, 0 });
	/* the limit stops reading; moving it continues from there */
	expect_std(r, ends[1], 0, ends[0]);
	expect_std(r, ends[1], 1, ends[1]);
	expect_end(r, ends[1]);
	expect_end(r, ends[1]);
	CHECK(pos_eq(spool_reader_pos(r), ends[1]));
	expect_std(r, ends[3], 2, ends[2]);
	expect_std(r, ends[3], 3, ends[3]);
	expect_end(r, ends[3]);
	for (i = 4; i < NREC; i++)
		expect_std(r, ends[NREC - 1], i, ends[i]);
	expect_end(r, ends[NREC - 1]);
	expect_end(r, all);

	/* seek back after reading (a rolled-back batch) */
	CHECK_INT(spool_reader_seek(r, ends[1]), 0);
	CHECK(pos_eq(spool_reader_pos(r), ends[1]));
	expect_std(r, ends[NREC - 1], 2, ends[2]);
	expect_std(r, ends[NREC - 1], 3, ends[3]);
	CHECK_INT(spool_reader_seek(r, (struct spool_pos){ 1, 0 }), 0);
	for (i = 0; i < NREC; i++)
		expect_std(r, all, i, ends[i]);
	expect_end(r, all);

	/* appended after the reader caught up (and cached the file) */
	ends[0] = append_std(w, 40);
	ends[1] = append_std(w, 41);
	CHECK_INT(ends[0].off, NREC * RECSZ + RECSZ);
	expect_end(r, prev);
	expect_std(r, ends[1], 40, ends[0]);
	expect_std(r, ends[1], 41, ends[1]);
	expect_end(r, ends[1]);
	CHECK_INT(spool_reader_corrupt(r), 0);

	/* a second reader from the middle */
	spool_reader_close(r);
	r = NULL;
	CHECK_INT(spool_reader_open(dir, prev, &r), 0);
	if (r != NULL) {
		expect_std(r, all, 40, ends[0]);
		expect_std(r, all, 41, ends[1]);
		expect_end(r, all);
	}
	spool_reader_close(r);
	spool_writer_close(w);
}

static void
test_too_large(void)
{
	char dir[PATH_MAX], *topic;
	struct spool_writer *w = NULL;
	struct spool_pos end = { 7, 7 };

	newdir(dir, sizeof(dir), "large-topic");
	CHECK_INT(spool_writer_open(dir, 1, 1 << 20, 0, &w), 0);
	if (w == NULL)
		return;
	if ((topic = malloc(65536)) == NULL)
		return;
	memset(topic, 'a', 65536);
	errno = 0;
	CHECK_INT(spool_append(w, topic, 65536, "x", 1, T0, &end), -1);
	CHECK_INT(errno, EMSGSIZE);
	CHECK(pos_eq(end, (struct spool_pos){ 7, 7 }));
	CHECK_INT(segsize(dir, 1), 0);
	/* the longest topic allowed round-trips, terminated */
	CHECK_INT(spool_append(w, topic, 65535, "x", 1, T0, &end), 0);
	CHECK_INT(end.off, spool_record_size(65535, 1));
	{
		struct spool_reader *r = NULL;
		struct spool_rec rec;

		CHECK_INT(spool_reader_open(dir, (struct spool_pos){ 1, 0 },
			      &r),
		    0);
		if (r != NULL) {
			CHECK_INT(spool_read(r, end, &rec), 1);
			CHECK_INT(rec.topic_len, 65535);
			CHECK_INT(strlen(rec.topic), 65535);
			CHECK_INT(rec.topic[65534], 'a');
			spool_reader_close(r);
		}
	}
	free(topic);
	spool_writer_close(w);
}

static void
test_rotation(void)
{
	char dir[PATH_MAX], junk[PATH_MAX];
	struct spool_writer *w = NULL;
	struct spool_reader *r = NULL;
	struct spool_pos ends[10];
	uint64_t first, last, s;
	int i, fd;

	newdir(dir, sizeof(dir), "rotate");
	/* files that are not segments are ignored */
	join(junk, sizeof(junk), dir, "notes.txt");
	if ((fd = open(junk, O_WRONLY | O_CREAT, 0640)) != -1)
		close(fd);
	join(junk, sizeof(junk), dir, "0000000000000000.spool");
	if ((fd = open(junk, O_WRONLY | O_CREAT, 0640)) != -1)
		close(fd);

	/* three records a segment */
	CHECK_INT(spool_writer_open(dir, 1, 3 * RECSZ, 0, &w), 0);
	if (w == NULL)
		return;
	for (i = 0; i < 10; i++) {
		ends[i] = append_std(w, i);
		CHECK_INT(ends[i].seg, 1 + i / 3);
		CHECK_INT(ends[i].off, (i % 3 + 1) * RECSZ);
	}
	CHECK_INT(spool_bounds(dir, &first, &last), 0);
	CHECK_INT(first, 1);
	CHECK_INT(last, 4);
	for (s = 1; s <= 3; s++)
		CHECK_INT(segsize(dir, s), 3 * RECSZ);
	CHECK_INT(segsize(dir, 4), RECSZ);

	CHECK_INT(spool_reader_open(dir, (struct spool_pos){ 1, 0 }, &r), 0);
	if (r == NULL) {
		spool_writer_close(w);
		return;
	}
	/* a limit inside segment 1, then one in a later segment */
	expect_std(r, ends[1], 0, ends[0]);
	expect_std(r, ends[1], 1, ends[1]);
	expect_end(r, ends[1]);
	for (i = 2; i < 8; i++)
		expect_std(r, ends[7], i, ends[i]);
	expect_end(r, ends[7]);
	CHECK(pos_eq(spool_reader_pos(r), ends[7]));
	for (i = 8; i < 10; i++)
		expect_std(r, ends[9], i, ends[i]);
	expect_end(r, ends[9]);
	expect_end(r, all);
	CHECK_INT(spool_reader_corrupt(r), 0);

	/* seek back into an earlier segment */
	CHECK_INT(spool_reader_seek(r, ends[1]), 0);
	for (i = 2; i < 10; i++)
		expect_std(r, all, i, ends[i]);
	expect_end(r, all);
	CHECK_INT(spool_reader_seek(r, ends[5]), 0);
	expect_std(r, ends[9], 6, ends[6]);

	/* committed up to segment 3: the ones below go */
	CHECK_INT(spool_remove_before(dir, 3), 0);
	CHECK_INT(spool_bounds(dir, &first, &last), 0);
	CHECK_INT(first, 3);
	CHECK_INT(last, 4);
	CHECK_INT(segsize(dir, 1), -1);
	CHECK_INT(segsize(dir, 2), -1);
	CHECK(access(junk, F_OK) == 0);
	spool_reader_close(r);
	r = NULL;
	CHECK_INT(spool_reader_open(dir, (struct spool_pos){ 3, 0 }, &r), 0);
	if (r != NULL) {
		for (i = 6; i < 10; i++)
			expect_std(r, all, i, ends[i]);
		expect_end(r, all);
		spool_reader_close(r);
	}
	CHECK_INT(spool_remove_before(dir, 1), 0); /* nothing below 1 */
	CHECK_INT(spool_bounds(dir, &first, &last), 0);
	CHECK_INT(first, 3);
	CHECK_INT(spool_remove_before(dir, 100), 0);
	CHECK_INT(spool_bounds(dir, &first, &last), 0);
	CHECK_INT(first, 0);
	CHECK_INT(last, 0);
	spool_writer_close(w);
}

/* A segment whose rotation failed was never written: skip over it. */
static void
test_missing_segment(void)
{
	char dir[PATH_MAX];
	struct spool_writer *w = NULL;
	struct spool_reader *r = NULL;
	struct spool_pos ends[4];
	int i;

	newdir(dir, sizeof(dir), "gap");
	CHECK_INT(spool_writer_open(dir, 1, 1 << 20, 0, &w), 0);
	if (w == NULL)
		return;
	ends[0] = append_std(w, 0);
	ends[1] = append_std(w, 1);
	spool_writer_close(w);
	w = NULL;
	CHECK_INT(spool_writer_open(dir, 3, 1 << 20, 0, &w), 0);
	if (w == NULL)
		return;
	ends[2] = append_std(w, 2);
	ends[3] = append_std(w, 3);
	spool_writer_close(w);
	CHECK_INT(ends[2].seg, 3);

	CHECK_INT(spool_reader_open(dir, (struct spool_pos){ 1, 0 }, &r), 0);
	if (r == NULL)
		return;
	for (i = 0; i < 4; i++)
		expect_std(r, ends[3], i, ends[i]);
	expect_end(r, ends[3]);
	CHECK_INT(spool_reader_corrupt(r), 0);
	spool_reader_close(r);
}

/* The tail of the last segment cut off in the middle of a record. */
static void
test_torn_tail(void)
{
	static const off_t cuts[] = { 37, 30, 28, 24, 23, 10, 4, 1 };
	char dir[PATH_MAX], path[PATH_MAX];
	struct spool_reader *r = NULL;
	struct spool_pos ends[NREC];
	size_t k;
	int i;

	newdir(dir, sizeof(dir), "torn");
	write_std(dir, SEG4, NREC, ends);
	CHECK_INT(ends[NREC - 1].seg, 2);
	segfile(dir, 2, path, sizeof(path));
	for (k = 0; k < NELEM(cuts); k++) {
		/* record NREC-1 starts at ends[NREC-2] */
		CHECK_INT(truncate(path, (off_t)ends[NREC - 2].off + cuts[k]),
		    0);
		CHECK_INT(spool_reader_open(dir, (struct spool_pos){ 1, 0 },
			      &r),
		    0);
		if (r == NULL)
			return;
		for (i = 0; i < NREC - 1; i++)
			expect_std(r, all, i, ends[i]);
		expect_end(r, all);
		expect_end(r, all);
		/* the torn record is where the next read starts */
		CHECK(pos_eq(spool_reader_pos(r), ends[NREC - 2]));
		spool_reader_close(r);
		r = NULL;
	}
	/* torn in a single-segment spool, limit unbounded */
	newdir(dir, sizeof(dir), "torn1");
	write_std(dir, 1 << 20, 4, ends);
	segfile(dir, 1, path, sizeof(path));
	CHECK_INT(truncate(path, (off_t)ends[2].off + RECSZ / 2), 0);
	CHECK_INT(spool_reader_open(dir, (struct spool_pos){ 1, 0 }, &r), 0);
	if (r == NULL)
		return;
	for (i = 0; i < 3; i++)
		expect_std(r, all, i, ends[i]);
	expect_end(r, all);
	CHECK(pos_eq(spool_reader_pos(r), ends[2]));
	spool_reader_close(r);
}

/* A flipped byte in segment 1 of 2 ends segment 1 there. */
static void
test_corrupt(void)
{
	static const struct {
		const char *name;
		off_t off; /* in record 1 */
	} where[] = {
		{ "corrupt-payload", 24 + 4 + 3 },
		{ "corrupt-topic", 24 + 1 },
		{ "corrupt-magic", 0 },
		{ "corrupt-crc", 5 },
		{ "corrupt-len", 12 },
		{ "corrupt-time", 17 },
	};
	char dir[PATH_MAX];
	struct spool_reader *r = NULL;
	struct spool_pos ends[NREC], lim;
	size_t k, pass;
	int i;

	for (k = 0; k < NELEM(where); k++) {
		newdir(dir, sizeof(dir), where[k].name);
		write_std(dir, SEG4, NREC, ends);
		CHECK_INT(ends[3].seg, 1);
		CHECK_INT(ends[4].seg, 2);
		flip_byte(dir, 1, (off_t)ends[0].off + where[k].off);
		/* at start-up (unbounded) and at run time (writer's end) */
		for (pass = 0; pass < 2; pass++) {
			lim = pass == 0 ? all : ends[NREC - 1];
			CHECK_INT(spool_reader_open(dir,
				      (struct spool_pos){ 1, 0 }, &r),
			    0);
			if (r == NULL)
				return;
			expect_std(r, lim, 0, ends[0]);
			CHECK_INT(spool_reader_corrupt(r), 0);
			for (i = 4; i < NREC; i++)
				expect_std(r, lim, i, ends[i]);
			CHECK_INT(spool_reader_corrupt(r), 1);
			expect_end(r, lim);
			CHECK_INT(spool_reader_corrupt(r), 1);
			spool_reader_close(r);
			r = NULL;
		}
	}
}

/* Corrupt record in the segment being written: skip to the limit. */
static void
test_corrupt_current(void)
{
	char dir[PATH_MAX];
	struct spool_writer *w = NULL;
	struct spool_reader *r = NULL;
	struct spool_pos ends[5];
	int i;

	newdir(dir, sizeof(dir), "corrupt-current");
	CHECK_INT(spool_writer_open(dir, 1, 1 << 20, 0, &w), 0);
	if (w == NULL)
		return;
	for (i = 0; i < 3; i++)
		ends[i] = append_std(w, i);
	flip_byte(dir, 1, (off_t)ends[0].off + 30);
	CHECK_INT(spool_reader_open(dir, (struct spool_pos){ 1, 0 }, &r), 0);
	if (r == NULL) {
		spool_writer_close(w);
		return;
	}
	expect_std(r, ends[2], 0, ends[0]);
	expect_end(r, ends[2]);
	CHECK_INT(spool_reader_corrupt(r), 1);
	CHECK(pos_eq(spool_reader_pos(r), ends[2]));
	for (i = 3; i < 5; i++)
		ends[i] = append_std(w, i);
	expect_std(r, ends[4], 3, ends[3]);
	expect_std(r, ends[4], 4, ends[4]);
	expect_end(r, ends[4]);
	CHECK_INT(spool_reader_corrupt(r), 1);
	spool_reader_close(r);
	spool_writer_close(w);
}

static void
test_payloads(void)
{
	static const size_t sizes[] = { 0, 1, (1 << 20) - 24, 1 << 20,
		(1 << 20) + 17, 3 << 20 };
	char dir[PATH_MAX], *big;
	struct spool_writer *w = NULL;
	struct spool_reader *r = NULL;
	struct spool_pos ends[NELEM(sizes) + 1];
	struct spool_rec rec;
	size_t i, j, maxsz = (3 << 20) + NELEM(sizes);

	if ((big = malloc(maxsz)) == NULL)
		return;
	for (j = 0; j < maxsz; j++)
		big[j] = (char)(j * 7 + (j >> 11)); /* NULs included */
	newdir(dir, sizeof(dir), "payloads");
	CHECK_INT(spool_writer_open(dir, 1, 64 << 20, 0, &w), 0);
	if (w == NULL) {
		free(big);
		return;
	}
	for (i = 0; i < NELEM(sizes); i++) {
		CHECK_INT(spool_append(w, "big", 3, i == 0 ? NULL : big + i,
			      sizes[i], T0 - (int64_t)i, &ends[i]),
		    0);
		CHECK_INT(ends[i].off,
		    (i ? ends[i - 1].off : 0) + spool_record_size(3, sizes[i]));
	}
	ends[i] = append_std(w, 0);
	spool_writer_close(w);

	CHECK_INT(spool_reader_open(dir, (struct spool_pos){ 1, 0 }, &r), 0);
	if (r == NULL) {
		free(big);
		return;
	}
	for (i = 0; i < NELEM(sizes); i++) {
		memset(&rec, 0, sizeof(rec));
		CHECK_INT(spool_read(r, all, &rec), 1);
		CHECK_STR(rec.topic, "big");
		CHECK_INT(rec.payload_len, sizes[i]);
		CHECK(rec.payload_len == sizes[i] &&
		    (sizes[i] == 0 ||
			memcmp(rec.payload, big + i, sizes[i]) == 0));
		CHECK_INT(rec.received_ms, T0 - (int64_t)i);
		CHECK_INT(rec.size, spool_record_size(3, sizes[i]));
		CHECK(pos_eq(rec.end, ends[i]));
	}
	expect_std(r, all, 0, ends[i]);
	expect_end(r, all);
	CHECK_INT(spool_reader_corrupt(r), 0);
	/* read the big ones again after a seek */
	CHECK_INT(spool_reader_seek(r, ends[3]), 0);
	CHECK_INT(spool_read(r, all, &rec), 1);
	CHECK(rec.payload_len == sizes[4] &&
	    memcmp(rec.payload, big + 4, sizes[4]) == 0);
	spool_reader_close(r);
	free(big);
}

/* A payload too large to keep: its prefix, true size and digest. */
static void
test_cut(void)
{
	char dir[PATH_MAX], prefix[SPOOL_PREFIX_MAX + 1];
	struct spool_writer *w = NULL;
	struct spool_reader *r = NULL;
	struct spool_pos end = { 0, 0 }, end2 = { 0, 0 };
	struct spool_rec rec;
	uint8_t sha[32];
	int i;

	for (i = 0; i < 32; i++)
		sha[i] = (uint8_t)(i * 7 + 1);
	memset(prefix, 'p', sizeof(prefix));
	CHECK_INT(spool_cut_record_size(4, 100), 24 + 4 + 40 + 100);
	newdir(dir, sizeof(dir), "cut");
	CHECK_INT(spool_writer_open(dir, 1, 1 << 20, 0, &w), 0);
	if (w == NULL)
		return;
	CHECK_INT(spool_append_cut(w, "t/cu", 4, prefix, SPOOL_PREFIX_MAX,
		      UINT64_C(104857600), sha, T0, &end),
	    0);
	CHECK_INT(end.off, spool_cut_record_size(4, SPOOL_PREFIX_MAX));
	/* More than the bound is refused, nothing written. */
	errno = 0;
	CHECK_INT(spool_append_cut(w, "t/cu", 4, prefix, SPOOL_PREFIX_MAX + 1,
		      UINT64_C(104857600), sha, T0, &end2),
	    -1);
	CHECK_INT(errno, EMSGSIZE);
	CHECK(pos_eq(spool_writer_end(w), end));
	end2 = append_std(w, 1);
	CHECK(pos_eq(spool_writer_end(w), end2));
	spool_writer_close(w);

	CHECK_INT(spool_reader_open(dir, (struct spool_pos){ 1, 0 }, &r), 0);
	if (r == NULL)
		return;
	memset(&rec, 0, sizeof(rec));
	CHECK_INT(spool_read(r, all, &rec), 1);
	CHECK_INT(rec.cut, 1);
	CHECK_STR(rec.topic, "t/cu");
	CHECK_INT(rec.payload_len, SPOOL_PREFIX_MAX);
	CHECK(memcmp(rec.payload, prefix, SPOOL_PREFIX_MAX) == 0);
	CHECK(rec.full_len == UINT64_C(104857600));
	CHECK(memcmp(rec.sha256, sha, 32) == 0);
	CHECK_INT(rec.size, spool_cut_record_size(4, SPOOL_PREFIX_MAX));
	CHECK(pos_eq(rec.end, end));
	/* An ordinary record after it reads as before, uncut. */
	expect_std(r, all, 1, end2);
	CHECK_INT(spool_reader_corrupt(r), 0);
	spool_reader_close(r);
	/* A cut record's digest is covered by the CRC. */
	flip_byte(dir, 1, 24 + 4 + 8 + 3);
	CHECK_INT(spool_reader_open(dir, (struct spool_pos){ 1, 0 }, &r), 0);
	if (r == NULL)
		return;
	CHECK_INT(spool_read(r, all, &rec), 0);
	spool_reader_close(r);
}

/*
 * A writer that left a full segment for an empty one publishes the new
 * segment's start as its end: the reader reaches it without a record in
 * it, so the full segment can be committed past and unlinked.
 */
static void
test_left_full_segment(void)
{
	char dir[PATH_MAX];
	struct spool_writer *w = NULL;
	struct spool_reader *r = NULL;
	struct spool_pos ends[2], moved;

	newdir(dir, sizeof(dir), "leftfull");
	CHECK_INT(spool_writer_open(dir, 1, 1 << 20, 0, &w), 0);
	if (w == NULL)
		return;
	ends[0] = append_std(w, 0);
	ends[1] = append_std(w, 1);
	spool_writer_close(w);
	w = NULL;
	CHECK_INT(spool_writer_open(dir, 2, 1 << 20, 0, &w), 0);
	if (w == NULL)
		return;
	moved = spool_writer_end(w);
	CHECK(pos_eq(moved, (struct spool_pos){ 2, 0 }));
	CHECK_INT(spool_reader_open(dir, (struct spool_pos){ 1, 0 }, &r), 0);
	if (r == NULL)
		return;
	expect_std(r, moved, 0, ends[0]);
	expect_std(r, moved, 1, ends[1]);
	expect_end(r, moved);
	CHECK(pos_eq(spool_reader_pos(r), moved));
	CHECK_INT(spool_reader_corrupt(r), 0);
	CHECK_INT(spool_remove_before(dir, moved.seg), 0);
	CHECK_INT(segsize(dir, 1), -1);
	/* The next record goes on in segment 2 and is read there. */
	ends[0] = append_std(w, 2);
	CHECK_INT(ends[0].seg, 2);
	expect_std(r, ends[0], 2, ends[0]);
	spool_reader_close(r);
	spool_writer_close(w);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(base, sizeof(base), "%s/test_spool.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(base) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", base, strerror(errno));
		return 1;
	}
	test_record_size();
	test_write_read();
	test_too_large();
	test_rotation();
	test_missing_segment();
	test_torn_tail();
	test_corrupt();
	test_corrupt_current();
	test_payloads();
	test_cut();
	test_left_full_segment();
	{
		/* remove every test directory, then base */
		char path[PATH_MAX];
		struct dirent *de;
		DIR *d;

		if ((d = opendir(base)) != NULL) {
			while ((de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				join(path, sizeof(path), base, de->d_name);
				rmtree(path);
			}
			closedir(d);
		}
		if (rmdir(base) == -1)
			fprintf(stderr, "rmdir %s: %s\n", base,
			    strerror(errno));
	}
	return check_result("test_spool");
}
