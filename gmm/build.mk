# gmm build fragment: gmmd, the global manager daemon (host program).
HPROGS += gmmd
gmmd_SRCS := gmm/main.c gmm/config.c gmm/statedir.c gmm/log.c gmm/endpoint.c gmm/join_rules.c \
	gmm/members.c gmm/ping.c gmm/control.c gmm/status.c gmm/fs.c \
	gmm/vnodes.c gmm/reports.c
gmmd_LIBS := dbstate hnet
gmmd_LDLIBS := -lsqlite3 -ljansson
