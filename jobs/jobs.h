/*
 * jobs: the subcommands of svod. Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns a sysexits.h status.
 */
#ifndef SVOD_JOBS_H
#define SVOD_JOBS_H

int	 cmd_check(int argc, char **argv);
int	 cmd_keygen(int argc, char **argv);
int	 cmd_extract(int argc, char **argv);
int	 cmd_nightly(int argc, char **argv);
int	 cmd_eval(int argc, char **argv);
int	 cmd_notify(int argc, char **argv);
int	 cmd_lookup(int argc, char **argv);
int	 cmd_replay(int argc, char **argv);
int	 cmd_init(int argc, char **argv);

/* Shared option handling: -v/-q and --help for a subcommand. */
void	 jobs_usage_line(const char *usage);

#endif
