-- The persistent schema: tables, constraints and seeded configuration.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT * FROM no_plan();

SELECT has_schema('svod');
SELECT has_schema('adviser');
SELECT has_schema('auditor');
SELECT tables_are('svod', ARRAY['schema_version', 'run', 'run_input',
    'reject', 'reject_raw', 'resident', 'resident_history',
    'moratorium_intraday', 'review_queue', 'published', 'service_priority',
    'link_rule', 'severity', 'recovery_stage', 'published_view']);
SELECT functions_are('svod', ARRAY['create_run_views', 'publish', 'run_sql']);
SELECT col_type_is('svod', 'run', 'as_of', 'date', 'run as-of is a date');
SELECT col_is_pk('svod', 'run_input', ARRAY['run_id', 'feed'], 'one input per feed per run');
SELECT is((SELECT count(*) FROM svod.published), 1::bigint, 'svod.published has its one row');
SELECT throws_ok($$INSERT INTO svod.published (singleton) VALUES (false)$$, '23514', NULL, 'and no other');

-- Enumerations are checked.
SELECT throws_ok($$INSERT INTO svod.run (started_at, status, as_of) VALUES (now(), 'done', '2026-01-01')$$,
    '23514', NULL, 'run status is checked');
SELECT throws_ok($$INSERT INTO svod.run (started_at, as_of, schema_name) VALUES (now(), '2026-01-01', 'Run 1; DROP')$$,
    '23514', NULL, 'a run schema name must be a plain identifier');
INSERT INTO svod.run (run_id, started_at, status, as_of) VALUES
    (1, now(), 'published', '2026-01-01'), (2, now(), 'loading', '2026-01-02');
SELECT throws_ok($$UPDATE svod.run SET status = 'published' WHERE run_id = 2$$,
    '23505', NULL, 'at most one run is published');
SELECT throws_ok($$INSERT INTO svod.run_input (run_id, feed) VALUES (1, 'parking')$$,
    '23514', NULL, 'run_input feed is checked');
SELECT throws_ok($$INSERT INTO svod.run_input (run_id, feed, sha256) VALUES (1, 'rent', 'xyz')$$,
    '23514', NULL, 'sha256 is 64 hex digits');
SELECT throws_ok($$INSERT INTO svod.resident_history (run_id, resident_id, event) VALUES (1, 1, 'merge')$$,
    '23514', NULL, 'a merge names the other resident');
SELECT throws_ok($$INSERT INTO svod.review_queue (origin, kind, reason, raised_at) VALUES ('nightly', 'bs', 'x', now())$$,
    '23514', NULL, 'a nightly review item names its run');
SELECT throws_ok($$INSERT INTO svod.moratorium_intraday (received_at, ref, kind, event, registered, start_date) VALUES (now(), 'BS1', 'LONG', 'START', '2026-01-01', '2026-01-02')$$,
    '23514', NULL, 'moratorium kind is checked');

-- Configuration.
SELECT results_eq($$SELECT service FROM svod.service_priority WHERE priority ORDER BY sort_order$$,
    ARRAY['council_tax', 'rent'], 'priority debts: council tax and rent');
SELECT results_eq($$SELECT service, count(*)::int FROM svod.recovery_stage GROUP BY service ORDER BY service$$,
    $$VALUES ('adult_social_care', 2), ('council_tax', 14), ('housing_benefit', 7), ('rent', 8)$$,
    'a severity for every stage of every feed enumeration (etl/feed.c)');
SELECT results_eq($$SELECT rule FROM svod.link_rule WHERE low_confidence ORDER BY rule$$,
    ARRAY['surname_initial_dob_postcode', 'uprn_surname_dob'], 'low-confidence link rules');

-- The roles block of 002 may meet roles that exist already.
SELECT lives_ok($t$DO $d$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'svod_loader') THEN
		CREATE ROLE svod_loader NOLOGIN;
	END IF; END $d$$t$, 'role creation skips existing roles');

SELECT * FROM finish();
ROLLBACK;
