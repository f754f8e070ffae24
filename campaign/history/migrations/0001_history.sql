-- The history's first schema. Times are Unix milliseconds (0: not yet); cost is in Bolna's
-- unit (cents), talk time in seconds. The same SQL runs on SQLite and PostgreSQL.

-- Every attempt of every campaign on the account, from its reservation on.
CREATE TABLE attempts (
	ref          TEXT PRIMARY KEY,             -- our reference, put in the call's user_data
	campaign     TEXT NOT NULL,                -- the journal's campaign id
	list_path    TEXT NOT NULL DEFAULT '',
	results_path TEXT NOT NULL DEFAULT '',
	agent_id     TEXT NOT NULL DEFAULT '',
	phone        TEXT NOT NULL,                -- E.164
	from_number  TEXT NOT NULL DEFAULT '',     -- caller id; '' for the agent's default
	attempt      INTEGER NOT NULL,             -- of its row, from 1
	execution_id TEXT NOT NULL DEFAULT '',
	state        TEXT NOT NULL,                -- reserved, placed, settled, void
	reserved_at  BIGINT NOT NULL,
	placed_at    BIGINT NOT NULL DEFAULT 0,
	ended_at     BIGINT NOT NULL DEFAULT 0,
	status       TEXT NOT NULL DEFAULT '',
	outcome      TEXT NOT NULL DEFAULT '',
	cost_cents   DOUBLE PRECISION NOT NULL DEFAULT 0,
	talk_seconds DOUBLE PRECISION NOT NULL DEFAULT 0
);

-- The guard's reads: one person's attempts in a window (O(log n) in the history's size).
CREATE INDEX attempts_phone ON attempts (phone, reserved_at);

-- The account's spend and the report: attempts since a time.
CREATE INDEX attempts_time ON attempts (reserved_at);

-- One call, one row: an import never adds a call the history already has.
CREATE UNIQUE INDEX attempts_execution ON attempts (execution_id) WHERE execution_id <> '';

-- The account's do-not-call list.
CREATE TABLE do_not_call (
	phone    TEXT PRIMARY KEY,
	added_at BIGINT NOT NULL,
	reason   TEXT NOT NULL DEFAULT ''
);

-- Lasting pauses: a campaign id, or '*' for every campaign of the account.
CREATE TABLE pauses (
	campaign  TEXT PRIMARY KEY,
	paused_by TEXT NOT NULL,
	paused_at BIGINT NOT NULL,
	reason    TEXT NOT NULL DEFAULT ''
);
