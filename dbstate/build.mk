# dbstate build fragment: the state tables over SQLite (host library).
# The schema lives in dbstate/schema/NNN_name.sql and is embedded into the
# library by embed-schema.sh; users link -lsqlite3 -ljansson.
DBSTATE_SCHEMA := $(sort $(wildcard dbstate/schema/*.sql))
DBSTATE_GEN    := $(BUILD)/gen/dbstate_schema.c

HLIBS += dbstate
dbstate_HSRCS := dbstate/db_sqlite.c dbstate/migrate.c dbstate/state.c dbstate/nodes.c \
	dbstate/vnodes.c dbstate/reports.c dbstate/query_sqlite.c $(DBSTATE_GEN)

$(DBSTATE_GEN): $(DBSTATE_SCHEMA) dbstate/embed-schema.sh
	@mkdir -p $(@D)
	@echo "  GEN   $@"
	$(Q)sh dbstate/embed-schema.sh $(DBSTATE_SCHEMA) > $@.tmp && mv $@.tmp $@
