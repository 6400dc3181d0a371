# tests build fragment

# dbstate: migrations, atomic state changes, append-only events, read-only queries
UNIT_TESTS += test_dbstate
test_dbstate_SRCS := tests/unit/test_dbstate.c
test_dbstate_LIBS := dbstate
test_dbstate_LDLIBS := -lcmocka -lsqlite3 -ljansson

# the fabric hub's learning/forwarding table
UNIT_TESTS += test_hub
test_hub_SRCS := tests/unit/test_hub.c net/hub_table.c
test_hub_LDLIBS := -lcmocka
