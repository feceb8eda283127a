/* spool: see spool.h. */
#include "spool.h"

#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAGIC	    0x31535457u /* "WTS1" little-endian */
#define HDR	    24
#define MAX_TOPIC   65535u
#define MAX_PAYLOAD (256u * 1024 * 1024)
#define READ_CHUNK  (1u << 20)
#define CUT_FLAG    0x80000000u /* in topic_len: a cut record */
#define CUT_META    40		/* a cut payload's u64 size and SHA-256 */
/*
 * Free space the writer leaves to the database on a shared filesystem,
 * at most: the database must be able to commit the records already
 * spooled (and the move past a full segment), or the spool can never be
 * unlinked.
 */
#define RESERVE_MAX (8u << 20)

struct spool_writer {
	char *dir;
	int fd;
	uint64_t seg;
	uint64_t size;
	size_t seg_max;
	int sync;
	uint64_t backlog;   /* spooled, not committed (the caller says) */
	uint64_t margin;    /* free bytes above the reserve, last look */
	uint64_t unchecked; /* bytes appended since that look */
};

struct spool_reader {
	char *dir;
	int fd; /* -1 until the segment is opened */
	struct spool_pos pos;
	char *buf; /* window of the file at [boff, boff+blen) */
	size_t bcap, blen;
	uint64_t boff;
	uint64_t corrupt;
	char topic[MAX_TOPIC + 1];
};

static uint32_t crc_table[256];

static void
crc_init(void)
{
	uint32_t c;
	int i, k;

	if (crc_table[1] != 0)
		return;
	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t
crc32(uint32_t crc, const void *data, size_t n)
{
	const uint8_t *p = data;

	crc = ~crc;
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
seg_path(const char *dir, uint64_t seg, char *out, size_t n)
{
	snprintf(out, n, "%s/%016" PRIu64 ".spool", dir, seg);
}

size_t
spool_record_size(size_t topic_len, size_t payload_len)
{
	return HDR + topic_len + payload_len;
}

size_t
spool_cut_record_size(size_t topic_len, size_t keep)
{
	return HDR + topic_len + CUT_META + keep;
}

int
spool_mkdir(const char *dir)
{
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		log_warn("spool: mkdir %s", dir);
		return -1;
	}
	return 0;
}

/* Segment number of a directory entry name, or 0 if it is not one. */
static uint64_t
seg_of(const char *name)
{
	char *end;
	unsigned long long v;

	if (strlen(name) != 22 || strcmp(name + 16, ".spool") != 0)
		return 0;
	errno = 0;
	v = strtoull(name, &end, 10);
	if (errno != 0 || end != name + 16)
		return 0;
	return v;
}

int
spool_bounds(const char *dir, uint64_t *first, uint64_t *last)
{
	struct dirent *de;
	DIR *d;
	uint64_t s;

	*first = *last = 0;
	if ((d = opendir(dir)) == NULL) {
		log_warn("spool: opendir %s", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if ((s = seg_of(de->d_name)) == 0)
			continue;
		if (*first == 0 || s < *first)
			*first = s;
		if (s > *last)
			*last = s;
	}
	closedir(d);
	return 0;
}

int
spool_remove_before(const char *dir, uint64_t seg)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	uint64_t s;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		log_warn("spool: opendir %s", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		s = seg_of(de->d_name);
		if (s == 0 || s >= seg)
			continue;
		seg_path(dir, s, path, sizeof(path));
		if (unlink(path) == -1 && errno != ENOENT) {
			log_warn("spool: unlink %s", path);
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

static int
writer_open_seg(struct spool_writer *w, uint64_t seg)
{
	char path[PATH_MAX];
	int fd;

	seg_path(w->dir, seg, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1) {
		log_warn("spool: open %s", path);
		return -1;
	}
	if (w->fd != -1)
		close(w->fd);
	w->fd = fd;
	w->seg = seg;
	w->size = 0;
	return 0;
}

int
spool_writer_open(const char *dir, uint64_t seg, size_t seg_max, int sync,
    struct spool_writer **out)
{
	struct spool_writer *w;

	crc_init();
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->fd = -1;
	w->seg_max = seg_max;
	w->sync = sync;
	if ((w->dir = strdup(dir)) == NULL || writer_open_seg(w, seg) == -1) {
		free(w->dir);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

void
spool_writer_close(struct spool_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd != -1)
		close(w->fd);
	free(w->dir);
	free(w);
}

/*
 * 1 when total more bytes would eat into the room the database needs to
 * commit what the spool holds: about as much again as this segment and
 * the uncommitted backlog in earlier ones, capped (RESERVE_MAX, or half
 * the filesystem). The segment then ends
 * early, so segments size themselves to half the free space, and room
 * the database took for itself never stops the spool for good. The
 * filesystem is asked again once a quarter of the margin it last showed
 * is used, so a roomy disk costs one fstatvfs per many megabytes.
 */
static int
writer_short_of_room(struct spool_writer *w, size_t total)
{
	struct statvfs sv;
	uint64_t fs, avail, reserve;

	if (w->unchecked + total <= w->margin / 4) {
		w->unchecked += total;
		return 0;
	}
	if (fstatvfs(w->fd, &sv) == -1)
		return 0; /* cannot tell: the write itself will say */
	fs = (uint64_t)sv.f_blocks * sv.f_frsize;
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	reserve = fs / 2 < RESERVE_MAX ? fs / 2 : RESERVE_MAX;
	if (w->size + w->backlog + total < reserve)
		reserve = w->size + w->backlog + total;
	w->unchecked = total;
	if (avail < reserve + total) {
		w->margin = 0;
		return 1;
	}
	w->margin = avail - reserve - total;
	return 0;
}

/* After ENOSPC: end the full segment where it is (see spool.h). */
static void
writer_leave_full(struct spool_writer *w)
{
	uint64_t full = w->seg;

	if (writer_open_seg(w, full + 1) == 0)
		log_notice("spool: filesystem full; segment %" PRIu64
			   " ends here, new records go to %" PRIu64,
		    full, w->seg);
}

/*
 * One record whose payload is the parts a (na bytes) and b (nb bytes),
 * flags or'ed into the topic length word.
 */
static int
append_record(struct spool_writer *w, const char *topic, size_t topic_len,
    uint32_t flags, const void *a, size_t na, const void *b, size_t nb,
    int64_t received_ms, struct spool_pos *end)
{
	uint8_t hdr[HDR];
	struct iovec iov[4];
	uint64_t ms = (uint64_t)received_ms;
	size_t total = HDR + topic_len + na + nb;
	ssize_t n;
	uint32_t crc;
	int i;

	if (topic_len > MAX_TOPIC || na + nb > MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	if (w->size > 0 && w->size + total > w->seg_max &&
	    writer_open_seg(w, w->seg + 1) == -1)
		return -1;
	if (writer_short_of_room(w, total)) {
		if (w->size > 0)
			writer_leave_full(w);
		errno = ENOSPC;
		return -1;
	}
	put32(hdr, MAGIC);
	put32(hdr + 8, (uint32_t)topic_len | flags);
	put32(hdr + 12, (uint32_t)(na + nb));
	for (i = 0; i < 8; i++)
		hdr[16 + i] = (uint8_t)(ms >> (8 * i));
	crc = crc32(0, hdr + 8, HDR - 8);
	crc = crc32(crc, topic, topic_len);
	crc = crc32(crc, a, na);
	crc = crc32(crc, b, nb);
	put32(hdr + 4, crc);
	iov[0] = (struct iovec){ hdr, HDR };
	iov[1] = (struct iovec){ (void *)(uintptr_t)topic, topic_len };
	iov[2] = (struct iovec){ (void *)(uintptr_t)a, na };
	iov[3] = (struct iovec){ (void *)(uintptr_t)b, nb };
	/*
	 * One pwritev at the known end: the record is either wholly in the
	 * kernel or, after a failure, cut off again below, so a reader never
	 * sees half a record followed by a good one.
	 */
	n = pwritev(w->fd, iov, 4, (off_t)w->size);
	if (n != (ssize_t)total || (w->sync && fdatasync(w->fd) == -1)) {
		int saved = n == -1 || n == (ssize_t)total ? errno : ENOSPC;

		(void)!ftruncate(w->fd, (off_t)w->size);
		if ((saved == ENOSPC || saved == EDQUOT) && w->size > 0)
			writer_leave_full(w);
		errno = saved;
		return -1;
	}
	w->size += total;
	end->seg = w->seg;
	end->off = w->size;
	return 0;
}

int
spool_append(struct spool_writer *w, const char *topic, size_t topic_len,
    const void *payload, size_t payload_len, int64_t received_ms,
    struct spool_pos *end)
{
	return append_record(w, topic, topic_len, 0, payload, payload_len, NULL,
	    0, received_ms, end);
}

int
spool_append_cut(struct spool_writer *w, const char *topic, size_t topic_len,
    const void *prefix, size_t keep, uint64_t full_len,
    const uint8_t sha256[32], int64_t received_ms, struct spool_pos *end)
{
	uint8_t meta[CUT_META];
	int i;

	if (keep > SPOOL_PREFIX_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	for (i = 0; i < 8; i++)
		meta[i] = (uint8_t)(full_len >> (8 * i));
	memcpy(meta + 8, sha256, 32);
	return append_record(w, topic, topic_len, CUT_FLAG, meta, CUT_META,
	    prefix, keep, received_ms, end);
}

void
spool_writer_backlog(struct spool_writer *w, uint64_t bytes)
{
	w->backlog = bytes;
}

struct spool_pos
spool_writer_end(const struct spool_writer *w)
{
	struct spool_pos p = { w->seg, w->size };

	return p;
}

int
spool_reader_open(const char *dir, struct spool_pos start,
    struct spool_reader **out)
{
	struct spool_reader *r;

	crc_init();
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	if ((r->dir = strdup(dir)) == NULL) {
		free(r);
		return -1;
	}
	r->fd = -1;
	r->pos = start;
	*out = r;
	return 0;
}

void
spool_reader_close(struct spool_reader *r)
{
	if (r == NULL)
		return;
	if (r->fd != -1)
		close(r->fd);
	free(r->buf);
	free(r->dir);
	free(r);
}

struct spool_pos
spool_reader_pos(const struct spool_reader *r)
{
	return r->pos;
}

uint64_t
spool_reader_corrupt(const struct spool_reader *r)
{
	return r->corrupt;
}

static void
reader_drop_window(struct spool_reader *r)
{
	r->blen = 0;
	r->boff = 0;
}

int
spool_reader_seek(struct spool_reader *r, struct spool_pos pos)
{
	if (pos.seg != r->pos.seg && r->fd != -1) {
		close(r->fd);
		r->fd = -1;
	}
	r->pos = pos;
	reader_drop_window(r);
	return 0;
}

/* Open the reader's current segment; 0 if it does not exist (yet). */
static int
reader_open_seg(struct spool_reader *r)
{
	char path[PATH_MAX];

	if (r->fd != -1)
		return 1;
	seg_path(r->dir, r->pos.seg, path, sizeof(path));
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("spool: open %s", path);
		return -1;
	}
	reader_drop_window(r);
	return 1;
}

/*
 * Make [off, off+n) of the segment available in the window; returns a
 * pointer to it, or NULL at end of file (short) or on error (rc -1).
 */
static const uint8_t *
reader_window(struct spool_reader *r, uint64_t off, size_t n, int *rc)
{
	size_t want;
	ssize_t got;

	*rc = 0;
	if (off >= r->boff && off + n <= r->boff + r->blen)
		return (uint8_t *)r->buf + (off - r->boff);
	want = n > READ_CHUNK ? n : READ_CHUNK;
	/* A large record is read whole, once: give the memory back after. */
	if (want == READ_CHUNK && r->bcap > 4 * READ_CHUNK) {
		free(r->buf);
		r->buf = NULL;
		r->bcap = 0;
	}
	if (want > r->bcap) {
		char *nb = realloc(r->buf, want);

		if (nb == NULL) {
			*rc = -1;
			return NULL;
		}
		r->buf = nb;
		r->bcap = want;
	}
	got = pread(r->fd, r->buf, want, (off_t)off);
	if (got == -1) {
		log_warn("spool: read segment %" PRIu64, r->pos.seg);
		*rc = -1;
		return NULL;
	}
	r->boff = off;
	r->blen = (size_t)got;
	if ((size_t)got < n)
		return NULL;
	return (uint8_t *)r->buf;
}

static void
reader_next_seg(struct spool_reader *r)
{
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
	r->pos.seg++;
	r->pos.off = 0;
	reader_drop_window(r);
}

static int
seg_exists(const char *dir, uint64_t seg)
{
	char path[PATH_MAX];

	seg_path(dir, seg, path, sizeof(path));
	return access(path, F_OK) == 0;
}

/* 1 if the reader stands exactly at the end of its segment file. */
static int
seg_at_eof(struct spool_reader *r)
{
	struct stat st;

	return fstat(r->fd, &st) == 0 && (uint64_t)st.st_size == r->pos.off;
}

int
spool_pos_before(struct spool_pos a, struct spool_pos b)
{
	return a.seg < b.seg || (a.seg == b.seg && a.off < b.off);
}

/* The payload fields of rec from the plen bytes at p; -1 if nonsense. */
static int
parse_cut(struct spool_rec *rec, int cut, const uint8_t *p, uint32_t plen)
{
	uint64_t full = 0;
	int i;

	rec->cut = cut;
	if (!cut) {
		rec->payload = (const char *)p;
		rec->payload_len = plen;
		rec->full_len = plen;
		return 0;
	}
	for (i = 0; i < 8; i++)
		full |= (uint64_t)p[i] << (8 * i);
	memcpy(rec->sha256, p + 8, 32);
	rec->payload = (const char *)p + CUT_META;
	rec->payload_len = plen - CUT_META;
	rec->full_len = full;
	return full < rec->payload_len ? -1 : 0;
}

/* Parse the record at r->pos; 1 ok, 0 end/torn, -1 error. */
static int
reader_parse(struct spool_reader *r, struct spool_rec *rec)
{
	const uint8_t *h, *body;
	uint32_t tlen, plen, crc;
	uint64_t ms = 0;
	int rc, i, cut;

	if ((h = reader_window(r, r->pos.off, HDR, &rc)) == NULL)
		return rc;
	if (get32(h) != MAGIC)
		return 0;
	tlen = get32(h + 8);
	plen = get32(h + 12);
	cut = (tlen & CUT_FLAG) != 0;
	tlen &= ~CUT_FLAG;
	if (tlen > MAX_TOPIC || plen > MAX_PAYLOAD ||
	    (cut && (plen < CUT_META || plen > CUT_META + SPOOL_PREFIX_MAX)))
		return 0;
	for (i = 0; i < 8; i++)
		ms |= (uint64_t)h[16 + i] << (8 * i);
	crc = get32(h + 4);
	if ((h = reader_window(r, r->pos.off, HDR + tlen + plen, &rc)) == NULL)
		return rc;
	body = h + HDR;
	if (crc32(crc32(0, h + 8, HDR - 8), body, tlen + plen) != crc)
		return 0;
	if (parse_cut(rec, cut, body + tlen, plen) == -1)
		return 0;
	/* Topics are C strings everywhere else: keep a terminated copy. */
	memcpy(r->topic, body, tlen);
	r->topic[tlen] = '\0';
	rec->topic = r->topic;
	rec->topic_len = tlen;
	rec->received_ms = (int64_t)ms;
	rec->size = HDR + (size_t)tlen + plen;
	r->pos.off += rec->size;
	rec->end = r->pos;
	return 1;
}

int
spool_read(struct spool_reader *r, struct spool_pos limit,
    struct spool_rec *rec)
{
	int rc;

	for (;;) {
		if (!spool_pos_before(r->pos, limit))
			return 0;
		if ((rc = reader_open_seg(r)) != 1) {
			/* A missing segment below the limit was never written
			 * (a rotation failed): move on; none at all is the end. */
			if (rc == 0 && r->pos.seg < limit.seg &&
			    limit.seg != UINT64_MAX) {
				reader_next_seg(r);
				continue;
			}
			return rc;
		}
		if ((rc = reader_parse(r, rec)) != 0)
			return rc;
		/* The read-ahead window may hold bytes of a failed append that
		 * the writer cut off and wrote again: look at the disk once
		 * more before calling anything corrupt. */
		reader_drop_window(r);
		if ((rc = reader_parse(r, rec)) != 0)
			return rc;
		/* End of this segment's good records. */
		if (r->pos.seg == limit.seg) {
			if (limit.off != UINT64_MAX && r->pos.off < limit.off) {
				log_warnx("spool: corrupt record in segment "
					  "%" PRIu64 " at %" PRIu64
					  ", skipping to %" PRIu64,
				    r->pos.seg, r->pos.off, limit.off);
				r->corrupt++;
				r->pos.off = limit.off;
			}
			return 0;
		}
		if (limit.seg == UINT64_MAX &&
		    !seg_exists(r->dir, r->pos.seg + 1))
			return 0;
		if (!seg_at_eof(r)) {
			log_warnx("spool: corrupt or torn record in segment "
				  "%" PRIu64 " at %" PRIu64
				  ", skipping the rest",
			    r->pos.seg, r->pos.off);
			r->corrupt++;
		}
		reader_next_seg(r);
	}
}
