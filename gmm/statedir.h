/*
 * gmm/statedir.h - the state directory lock and pid files.
 */
#ifndef GMM_STATEDIR_H
#define GMM_STATEDIR_H

/*
 * Create dir if needed and take DIR/lock. Returns the lock fd (keep it open),
 * or -1 after printing why (held: "... is in use by another cluster (pid N)").
 */
int statedir_lock(const char *dir);

/* Record our pid in the lock file and in pid_path. */
int statedir_write_pid(int lock_fd, const char *pid_path);

#endif
