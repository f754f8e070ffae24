-- Every run's start asks whether the history knows its campaign (a run takes its journal into
-- a history that does not): without this index, a campaign it has never seen was a scan of
-- every attempt (140 ms with 1,000,000 attempts on SQLite, 188 ms on PostgreSQL).
CREATE INDEX attempts_campaign ON attempts (campaign);
