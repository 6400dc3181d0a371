-- 003_reports.sql - what process and memory nodes report (wire.h, "State
-- reports"): every process of a vNode with its command, address space and
-- home memory node; each address space's regions with their kind and file;
-- what a memory node's pool holds. Plain ADD COLUMNs: valid PostgreSQL too.

-- Processes: argv of the program it runs (joined by spaces, at most 63
-- bytes), its address space and the memory node that holds it (NULL until
-- the process node reports them). Rows of exited processes stay, bounded:
-- see dbstate/reports.c (DBS_PROCS_KEEP_EXITED, DBS_PROCS_KEEP_VNODES).
ALTER TABLE processes ADD COLUMN cmdline TEXT NOT NULL DEFAULT '';
ALTER TABLE processes ADD COLUMN as_id BIGINT;
ALTER TABLE processes ADD COLUMN mnode INTEGER REFERENCES nodes (id);
CREATE INDEX processes_by_as ON processes (as_id);

-- Regions: the map flags kept (MAP_SHARED 1, MAP_PRIVATE 2, MAP_ANONYMOUS
-- 0x20, MAP_GROWSDOWN 0x100), anonymous or file-backed, and for a file the
-- storage node and inode. Replaced per space in one transaction.
ALTER TABLE regions ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;
ALTER TABLE regions ADD COLUMN kind TEXT NOT NULL DEFAULT 'anon' CHECK (kind IN ('anon', 'file'));
ALTER TABLE regions ADD COLUMN file_node INTEGER;
ALTER TABLE regions ADD COLUMN file_ino BIGINT;
CREATE INDEX regions_by_mnode ON regions (mnode, as_id);

-- Pools: address spaces held, and when the memory node last reported.
ALTER TABLE pools ADD COLUMN spaces INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pools ADD COLUMN reported_at TEXT;
