/*
 * notify: the sd_notify(3) protocol without libsystemd — one datagram to
 * $NOTIFY_SOCKET. A no-op when not run by systemd.
 */
#ifndef WT_NOTIFY_H
#define WT_NOTIFY_H

#include <stdint.h>

/* Send "READY=1", "STOPPING=1", "STATUS=...", "WATCHDOG=1"... */
void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Watchdog interval in microseconds from $WATCHDOG_USEC, 0 if none. */
uint64_t notify_watchdog_usec(void);

#endif
