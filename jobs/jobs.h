/*
 * jobs: the subcommands of svod. Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns a sysexits.h status.
 */
#ifndef SVOD_JOBS_H
#define SVOD_JOBS_H

#include <stdint.h>

struct config;
struct err;

int	 cmd_check(int argc, char **argv);
int	 cmd_keygen(int argc, char **argv);
int	 cmd_extract(int argc, char **argv);
int	 cmd_nightly(int argc, char **argv);
int	 cmd_eval(int argc, char **argv);
int	 cmd_notify(int argc, char **argv);
int	 cmd_lookup(int argc, char **argv);
int	 cmd_replay(int argc, char **argv);
int	 cmd_init(int argc, char **argv);

/*
 * svod replay (jobs/replay.c) runs a past night again through the nightly
 * job's own code (jobs/nightly.c). The caller sets cfg's feeds, input files and as-of date from the
 * original's manifest. The run goes into the scratch schema 'schema',
 * recorded in svod.run with status 'replay', and is never published: no
 * lock is taken (a replay must not hold up a night), and svod.resident,
 * its history and the review queue are left alone. Resident ids are
 * inherited from the links in 'prev_schema' ("" for none: the run the
 * original inherited from) and new ones numbered from 'first_new_id', as
 * in the original. *run_id is the replay's run (0 if none was recorded).
 * Returns 0 or an error described in e.
 */
int	 nightly_replay(struct config *cfg, const char *schema,
	    const char *prev_schema, uint64_t first_new_id, long long *run_id,
	    struct err *e);

#endif
