# tools/: the tess CLI and the fabric frame injector used by the tests.
HPROGS += tess
tess_SRCS := tools/tess.c tools/tess_util.c tools/tess_up.c tools/tess_ctl.c
tess_LIBS := hnet
tess_LDLIBS := -ljansson

HPROGS += fabric-inject
fabric-inject_SRCS := tools/fabric_inject.c
fabric-inject_LIBS := hnet
