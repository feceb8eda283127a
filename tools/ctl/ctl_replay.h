/* ctl_replay: `wastetrackctl replay`, the client of the daemon's control
 * socket (daemon/control.c, docs/replay.md). */
#ifndef WT_CTL_REPLAY_H
#define WT_CTL_REPLAY_H

struct config;

#define CTL_REPLAY_ARGS                                                         \
	"[--accepted [--profile P] | --reason R] [--topic FILTER] [--since T] " \
	"[--until T] [--dry-run] [--format table|json]"
#define CTL_REPLAY_HELP                                                        \
	"re-run rejects, or accepted messages, through the current profiles"

/* An exit status: 0, 1 failure, 64 usage, 69 the daemon does not answer,
 * 75 the daemon stopped in the middle (what it committed stays). */
int ctl_replay(const struct config *cfg, int argc, char **argv);

#endif
