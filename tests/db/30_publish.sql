-- svod.publish: repoints the adviser and auditor views at a run schema
-- in the caller's transaction; after run A then run B, readers see B;
-- the old run can then be dropped; bad runs are refused.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
\ir helpers.psql
SELECT * FROM no_plan();

CREATE ROLE svod_test_etl LOGIN IN ROLE svod_loader;
SET ROLE svod_test_etl;

-- Run A: one council tax line; run B: a different balance and a rent line.
SELECT pg_temp.mk_run(101, '2026-06-01', NULL);
INSERT INTO run_101.council_tax (source_key, line, account_ref, party_no,
    financial_year, balance, recovery_stage)
VALUES ('CT1:1', 2, 'CT1', 1, 2025, 1000, 'REMINDER');
INSERT INTO run_101.council_tax_contact (source_key, surname)
VALUES ('CT1:1', 'Before');
INSERT INTO run_101.link VALUES ('council_tax', 'CT1:1', 1, 'none', NULL);

SELECT pg_temp.mk_run(102, '2026-06-02', NULL);
INSERT INTO run_102.council_tax (source_key, line, account_ref, party_no,
    financial_year, balance, recovery_stage)
VALUES ('CT1:1', 2, 'CT1', 1, 2025, 2000, 'FINAL_NOTICE');
INSERT INTO run_102.rent (source_key, line, tenancy_ref, tenant_no,
    tenancy_status, weekly_rent, arrears, stage)
VALUES ('T1:1', 2, 'T1', 1, 'CURRENT', 9000, 500, 'NONE');
INSERT INTO run_102.council_tax_contact (source_key, surname)
VALUES ('CT1:1', 'After'), ('CT1:1', 'After');
INSERT INTO run_102.link VALUES ('council_tax', 'CT1:1', 1, 'name_dob', NULL),
    ('rent', 'T1:1', 1, 'name_dob', NULL);

SELECT is((SELECT count(*) FROM adviser.debt_line), 0::bigint,
    'before any publication the adviser view is empty');
SELECT is((SELECT run_id FROM svod.published), NULL, 'nothing published yet');

SELECT is(svod.publish('run_101'), 101::bigint, 'publish A returns its run id');
SELECT results_eq($$SELECT balance FROM adviser.debt_line$$,
    ARRAY[1000::bigint], 'adviser.debt_line shows run A');
SELECT results_eq($$SELECT total FROM adviser.resident_debt$$,
    ARRAY[1000::bigint], 'adviser.resident_debt shows run A');
SELECT is((SELECT run_id FROM svod.published), 101::bigint, 'svod.published names A');
SELECT is((SELECT status FROM svod.run WHERE run_id = 101), 'published', 'run A is published');

SELECT is(svod.publish('run_102'), 102::bigint, 'publish B');
SELECT results_eq($$SELECT balance FROM adviser.debt_line ORDER BY service$$,
    ARRAY[2000::bigint, 500::bigint], 'adviser.debt_line shows run B');
SELECT results_eq($$SELECT total, as_of FROM adviser.resident_debt$$,
    $$VALUES (2500::bigint, '2026-06-02'::date)$$, 'adviser.resident_debt shows run B');
SELECT results_eq($$SELECT surname FROM adviser.contact$$,
    ARRAY['After'], 'adviser.contact shows run B, once per record');
SELECT results_eq($$SELECT balance FROM auditor.debt_line ORDER BY service$$,
    ARRAY[2000::bigint, 500::bigint], 'auditor.debt_line shows run B');
SELECT results_eq($$SELECT rule FROM auditor.link ORDER BY feed$$,
    ARRAY['name_dob', 'name_dob'], 'auditor.link shows run B');
SELECT is((SELECT run_id FROM svod.published), 102::bigint, 'svod.published names B');
SELECT is((SELECT schema_name FROM auditor.published), 'run_102', 'auditors see which schema is published');
SELECT is((SELECT status FROM svod.run WHERE run_id = 101), 'superseded', 'run A is superseded');
SELECT is((SELECT status FROM svod.run WHERE run_id = 102), 'published', 'run B is published');

-- Publishing again is harmless; an old run can be published back.
SELECT lives_ok($$SELECT svod.publish('run_102')$$, 'publishing the published run again');
SELECT lives_ok($$SELECT svod.publish('run_101')$$, 'a superseded run can be published back');
SELECT results_eq($$SELECT balance FROM adviser.debt_line$$,
    ARRAY[1000::bigint], 'and the views follow');
SELECT lives_ok($$SELECT svod.publish('run_102')$$, 'then forward again');

-- Once B is published, A's schema no longer holds anything up.
SELECT lives_ok($$DROP SCHEMA run_101 CASCADE$$, 'the superseded run schema can be dropped');
SELECT has_view('adviser', 'debt_line', 'adviser.debt_line survives it');
SELECT results_eq($$SELECT balance FROM adviser.debt_line ORDER BY service$$,
    ARRAY[2000::bigint, 500::bigint], 'and still shows run B');

-- Refusals.
SELECT throws_ok($$SELECT svod.publish('run_404')$$, 'P0002', NULL,
    'a schema with no run is refused');
SELECT pg_temp.mk_run(103, '2026-06-03', NULL);
UPDATE svod.run SET status = 'failed' WHERE run_id = 103;
SELECT throws_ok($$SELECT svod.publish('run_103')$$, '55000', NULL,
    'a failed run is refused');
SELECT throws_ok($$SELECT svod.create_run_views('run_404')$$, 'P0002', NULL,
    'create_run_views needs the run''s svod.run row');
-- A run whose view lost a column cannot be published: the published
-- column lists never change.
SELECT pg_temp.mk_run(104, '2026-06-04', NULL);
DROP VIEW run_104.resident_debt;
CREATE VIEW run_104.resident_debt AS SELECT 1 AS resident_id;
SELECT throws_ok($$SELECT svod.publish('run_104')$$, NULL, NULL,
    'a run view with other columns is refused');
SELECT results_eq($$SELECT balance FROM adviser.debt_line ORDER BY service$$,
    ARRAY[2000::bigint, 500::bigint], 'and B stays published');
SELECT is((SELECT run_id FROM svod.published), 102::bigint, 'svod.published still names B');

-- create_run_views can be run again on the same schema.
SELECT lives_ok($$SELECT svod.create_run_views('run_102')$$, 'create_run_views is repeatable');

RESET ROLE;
SELECT * FROM finish();
ROLLBACK;
