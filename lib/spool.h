/*
 * spool: the durable hand-off between the MQTT receive thread and the loop.
 *
 * A spool is a directory of append-only segment files ("%016llu.spool").
 * Each message becomes one CRC-framed record written with a single write(2):
 * once that returns, the bytes are in the kernel and survive SIGKILL, so the
 * message may be acknowledged. The loop reads records back, stores them,
 * and records the position reached (struct spool_pos) in the same database
 * transaction; at start-up everything after that position is replayed.
 *
 * No locking here: one writer (the receive thread) and one reader (the loop)
 * share only the writer's end position, which the caller publishes under its
 * own mutex. Record layout, little-endian:
 *   u32 magic "WTS1" | u32 crc32 of the rest | u32 topic_len | u32 payload_len
 *   | i64 received_ms | topic | payload
 * A payload too large to keep is spooled cut (spool_append_cut): the top
 * bit of topic_len is set and the payload field holds u64 true size | 32
 * bytes SHA-256 of the whole | its first bytes, so a 100 MiB message costs
 * the spool a few KiB, not 100 MiB.
 */
#ifndef WT_SPOOL_H
#define WT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of a payload kept by a cut record at most. */
#define SPOOL_PREFIX_MAX 4096

struct spool_pos {
	uint64_t seg; /* segment number, from 1 */
	uint64_t off; /* byte offset in that segment */
};

/* 1 when a comes before b in the spool. */
int spool_pos_before(struct spool_pos a, struct spool_pos b);

struct spool_rec {
	const char *topic; /* NUL-terminated; valid until next read */
	size_t topic_len;
	const char *payload; /* not NUL-terminated; a cut record's prefix */
	size_t payload_len;  /* bytes at payload */
	uint64_t full_len;   /* the payload's true size */
	int cut;	     /* only a prefix was spooled (spool_append_cut) */
	uint8_t sha256[32];  /* a cut record's digest of the whole payload */
	int64_t received_ms;
	size_t size;	      /* bytes the record takes in the spool */
	struct spool_pos end; /* position just after this record */
};

struct spool_writer;
struct spool_reader;

/* Bytes one record of these lengths takes in the spool. */
size_t spool_record_size(size_t topic_len, size_t payload_len);
/* Bytes a cut record keeping keep bytes of its payload takes. */
size_t spool_cut_record_size(size_t topic_len, size_t keep);

/* Create dir if missing (mode 0750). */
int spool_mkdir(const char *dir);

/*
 * Segment numbers present in dir: *first and *last (0, 0 when empty).
 */
int spool_bounds(const char *dir, uint64_t *first, uint64_t *last);

/* Unlink every segment numbered below seg (they are fully committed). */
int spool_remove_before(const char *dir, uint64_t seg);

/*
 * Start writing a new segment number seg. Segments rotate once they exceed
 * seg_max bytes. With sync set, every append is followed by fdatasync(2)
 * (power-loss safety, database.synchronous: full).
 */
int spool_writer_open(const char *dir, uint64_t seg, size_t seg_max, int sync,
    struct spool_writer **out);
void spool_writer_close(struct spool_writer *w);

/*
 * Append one record with one write(2). On success returns 0 and *end, the
 * position after the record. On failure (ENOSPC, EIO...) returns -1 with
 * errno set and the segment truncated back to its previous end, so a
 * partial record never stays behind.
 *
 * The writer keeps free space for the database, which shares the
 * filesystem and must commit what the spool holds: an append that would
 * leave less free than this segment and the backlog (at most 8 MiB or
 * half the filesystem) fails like ENOSPC without writing.
 * When the filesystem is full (ENOSPC, EDQUOT) and the segment holds
 * records, the writer also moves on to a new, empty segment before
 * returning -1: the full one then ends where the reader can leave it, and
 * once it is committed it can be unlinked, which gives the space back
 * that the retried append needs. The caller publishes
 * spool_writer_end() so that the reader moves on too.
 */
int spool_append(struct spool_writer *w, const char *topic, size_t topic_len,
    const void *payload, size_t payload_len, int64_t received_ms,
    struct spool_pos *end);

/*
 * Append a cut record for a payload of full_len bytes that is too large
 * to keep: its first keep bytes (at most SPOOL_PREFIX_MAX) and sha256,
 * the digest of the whole. Failures as for spool_append().
 */
int spool_append_cut(struct spool_writer *w, const char *topic,
    size_t topic_len, const void *prefix, size_t keep, uint64_t full_len,
    const uint8_t sha256[32], int64_t received_ms, struct spool_pos *end);

/*
 * Bytes spooled but not committed yet, in any segment: the database needs
 * room to commit them, so the writer leaves that much free (see
 * spool_append). The caller updates it before appending.
 */
void spool_writer_backlog(struct spool_writer *w, uint64_t bytes);

/* Where the next record goes: after the last one, or the start of the
 * segment the writer moved to. */
struct spool_pos spool_writer_end(const struct spool_writer *w);

/* Read records from start on. */
int spool_reader_open(const char *dir, struct spool_pos start,
    struct spool_reader **out);
void spool_reader_close(struct spool_reader *r);

/*
 * Next record before limit (the writer's published end; pass
 * {UINT64_MAX, UINT64_MAX} to read everything on disk, at start-up).
 * Returns 1 and *rec, 0 when there is nothing more, -1 on I/O error.
 * A torn or corrupt record (bad magic or CRC, short read) ends its segment:
 * it is logged and counted in spool_reader_corrupt(), and reading continues
 * with the next segment, because the writer only ever appends.
 */
int spool_read(struct spool_reader *r, struct spool_pos limit,
    struct spool_rec *rec);

/* Position of the next record to read. */
struct spool_pos spool_reader_pos(const struct spool_reader *r);

/* Move back to pos (after a rolled-back batch). */
int spool_reader_seek(struct spool_reader *r, struct spool_pos pos);

/* Number of corrupt records skipped so far. */
uint64_t spool_reader_corrupt(const struct spool_reader *r);

#endif
