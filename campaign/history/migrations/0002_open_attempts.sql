-- A run's reconciliation at its start: its campaign's attempts not settled yet (reserved or
-- placed), found without reading the campaign's settled ones.
CREATE INDEX attempts_open ON attempts (campaign) WHERE state IN ('reserved', 'placed');
