-- Tidings schema 3: outbox claims are looked up by holder. Every claim checks which
-- targets another replica holds, and every finished row renews the rest of its
-- replica's claim; released rows have no holder, so the index stays small.
CREATE INDEX outbox_claimed ON outbox (claimed_by, target) WHERE claimed_by IS NOT NULL;
