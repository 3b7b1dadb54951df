-- The storage of attempts.received_at (BENCHMARKS.md, "the arrival time"): three
-- temporary tables shaped like attempts, 100,000 rows each, without the column, with it
-- set and with it null. Run: psql -h 127.0.0.1 -U postgres -f scripts/attempts-arrival-size.sql postgres
CREATE TEMP TABLE a_without (event_id text NOT NULL, section_id text NOT NULL, seq bigint NOT NULL, at timestamptz NOT NULL,
  version bigint NOT NULL, user_id text NOT NULL, action text NOT NULL, seats text[] NOT NULL, ref text NOT NULL,
  code text NOT NULL, cause_seq bigint NOT NULL, kind text NOT NULL, command bytea NOT NULL, PRIMARY KEY (event_id, section_id, seq));
CREATE TEMP TABLE a_with (LIKE a_without INCLUDING ALL);
ALTER TABLE a_with ADD COLUMN received_at timestamptz;
CREATE TEMP TABLE a_null (LIKE a_with INCLUDING ALL);
INSERT INTO a_without SELECT 'demo', 'A', g, now(), g / 50, 'fan-' || g % 1000, 'hold', ARRAY['A-' || g % 2000], 'h_' || md5(g::text)::varchar(10),
  CASE WHEN g % 8 = 0 THEN 'SEAT_UNAVAILABLE' ELSE '' END, 0, 'HoldCommand', decode(repeat('ab', 60), 'hex') FROM generate_series(1, 100000) g;
INSERT INTO a_with SELECT *, at - interval '1 ms' FROM a_without;
INSERT INTO a_null SELECT *, NULL FROM a_without;
SELECT 'without' t, pg_relation_size('a_without') heap, pg_total_relation_size('a_without') total
UNION ALL SELECT 'with', pg_relation_size('a_with'), pg_total_relation_size('a_with')
UNION ALL SELECT 'with, null', pg_relation_size('a_null'), pg_total_relation_size('a_null');
SELECT avg(pg_column_size(w.*)) FROM a_without w UNION ALL SELECT avg(pg_column_size(w.*)) FROM a_with w UNION ALL SELECT avg(pg_column_size(w.*)) FROM a_null w;
