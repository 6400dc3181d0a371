-- 002_vnodes.sql - running programs and the memory behind them: memory pools
-- of memory nodes, vNodes (one `tess run` each) with the process, memory and
-- storage node chosen for them, their processes, and the owning memory node
-- of each address-space region. Ids are assigned by gmmd inside the
-- transaction (MAX + 1), so no AUTOINCREMENT/SERIAL is needed: the file is
-- valid PostgreSQL as well. Addresses are BIGINT: user addresses are < 2^47.

-- One pool per memory node and kind. 'dram' is a memory node's own RAM served
-- over the fabric; 'cxl' will be a shared load/store pool. latency_class is
-- the nominal access latency in nanoseconds (a page fetch over the net fabric
-- is an RPC: about 100 us), so "a pool under 250 ns" is a WHERE clause.
CREATE TABLE pools (
	id             INTEGER PRIMARY KEY,
	node           INTEGER NOT NULL REFERENCES nodes (id),
	kind           TEXT    NOT NULL CHECK (kind IN ('dram', 'cxl')),
	capacity_bytes BIGINT  NOT NULL DEFAULT 0,
	used_bytes     BIGINT  NOT NULL DEFAULT 0,
	latency_class  BIGINT  NOT NULL DEFAULT 100000,
	UNIQUE (node, kind)
);

-- Memory nodes that joined before this migration get their pool now.
INSERT INTO pools (id, node, kind, capacity_bytes, used_bytes, latency_class)
	SELECT id, id, 'dram', mem_bytes, 0, 100000 FROM nodes WHERE role = 'memory';

-- A vNode: one program started by `tess run`, placed in one transaction.
-- excache_bytes: asked for at start (0 = the process node's default), the
-- actual size once the vNode has exited.
CREATE TABLE vnodes (
	id            INTEGER PRIMARY KEY CHECK (id >= 1),
	pnode         INTEGER NOT NULL REFERENCES nodes (id),
	mnode         INTEGER NOT NULL REFERENCES nodes (id),
	snode         INTEGER NOT NULL REFERENCES nodes (id),
	state         TEXT    NOT NULL CHECK (state IN ('starting', 'running', 'exited', 'failed')),
	argv          TEXT    NOT NULL DEFAULT '[]',   -- JSON array of strings
	excache_bytes BIGINT  NOT NULL DEFAULT 0,
	wait_status   INTEGER,                         -- Linux encoding; NULL until exited
	created_at    TEXT    NOT NULL,                -- ISO 8601 UTC
	exited_at     TEXT                             -- exited or failed
);
CREATE INDEX vnodes_by_state ON vnodes (state, pnode);

-- Processes of a vNode (the first one today; children as the process node reports them).
CREATE TABLE processes (
	vnode       INTEGER NOT NULL REFERENCES vnodes (id),
	pid         INTEGER NOT NULL,
	ppid        INTEGER NOT NULL DEFAULT 0,
	state       TEXT    NOT NULL CHECK (state IN ('running', 'sleeping', 'zombie', 'exited')),
	comm        TEXT    NOT NULL DEFAULT '',
	started_at  TEXT    NOT NULL,
	exited_at   TEXT,
	wait_status INTEGER,
	PRIMARY KEY (vnode, pid)
);

-- Address-space regions and the memory node that owns each one. start_addr
-- and end_addr ([start, end)) because END is reserved in PostgreSQL.
CREATE TABLE regions (
	vnode      INTEGER NOT NULL REFERENCES vnodes (id),
	as_id      BIGINT  NOT NULL,
	start_addr BIGINT  NOT NULL,
	end_addr   BIGINT  NOT NULL CHECK (end_addr > start_addr),
	prot       INTEGER NOT NULL DEFAULT 0,         -- PROT_READ 1 | PROT_WRITE 2 | PROT_EXEC 4
	mnode      INTEGER NOT NULL REFERENCES nodes (id),
	PRIMARY KEY (vnode, as_id, start_addr)
);
