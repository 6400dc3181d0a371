# excache/: the process node's cache of remote memory.
KLIBS += excache
excache_KSRCS := excache/excache.c excache/pageset.c
