# net/: fabric frames (wire), RPC bookkeeping, the kernel fabric and net transport,
# and the host fabric hub.
KLIBS += net
net_KSRCS := net/wire.c net/rpc.c $(wildcard net/fabric*.c)
HLIBS += hnet
hnet_HSRCS := net/wire.c net/rpc.c

# tess-hub: the host fabric segment switch (host program).
HPROGS += tess-hub
tess-hub_SRCS := net/hub.c net/hub_table.c
