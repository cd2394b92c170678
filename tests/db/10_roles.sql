-- Roles and rights: who may read what. A login role in svod_loader
-- makes and publishes a run, as the nightly job does; then each role
-- tries what it may and may not read.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
\ir helpers.psql
SELECT * FROM no_plan();

CREATE ROLE svod_test_etl LOGIN IN ROLE svod_loader;
CREATE ROLE svod_test_alice LOGIN IN ROLE svod_adviser;
CREATE ROLE svod_test_audrey LOGIN IN ROLE svod_auditor;
CREATE ROLE svod_test_nobody LOGIN;

-- The three roles.
SELECT has_role('svod_loader');
SELECT has_role('svod_adviser');
SELECT has_role('svod_auditor');
SELECT is((SELECT count(*) FROM pg_roles WHERE rolname LIKE 'svod\_%'
    AND rolname NOT LIKE 'svod\_test\_%' AND NOT rolcanlogin), 3::bigint,
    'the three group roles cannot log in');
SELECT ok(has_database_privilege('svod_loader', current_database(), 'CREATE'),
    'the loader may create schemas');

-- The nightly job, as a login role of the loader.
SET ROLE svod_test_etl;
SELECT lives_ok($$SELECT pg_temp.mk_run(1, '2026-06-01', NULL)$$,
    'the loader creates a run schema and its views');
INSERT INTO run_1.council_tax (source_key, line, account_ref, party_no,
    financial_year, balance, recovery_stage, tok_nino_stem)
VALUES ('CT1:1', 2, 'CT1', 1, 2025, 12345, 'REMINDER', '\xabcd');
INSERT INTO run_1.council_tax_contact (source_key, forename, surname,
    postcode) VALUES ('CT1:1', 'Ann', 'Example', 'B1 1AA');
INSERT INTO run_1.link VALUES ('council_tax', 'CT1:1', 1, 'none', NULL);
INSERT INTO svod.reject (run_id, feed, file, line, reason)
VALUES (1, 'rent', 'rent.csv', 7, 'bad_money');
INSERT INTO svod.reject_raw (run_id, feed, file, line, raw)
VALUES (1, 'rent', 'rent.csv', 7, 'T1,1,Mr,Ann,...');
SELECT lives_ok($$SELECT svod.publish('run_1')$$, 'the loader publishes');
SELECT lives_ok($$SELECT * FROM svod.reject_raw$$, 'the loader reads reject_raw');
RESET ROLE;

-- Adviser.
SET ROLE svod_test_alice;
SELECT is((SELECT balance FROM adviser.debt_line), 12345::bigint, 'adviser reads adviser.debt_line');
SELECT lives_ok($$SELECT * FROM adviser.resident_debt$$, 'adviser reads adviser.resident_debt');
SELECT is((SELECT surname FROM adviser.contact), 'Example', 'adviser reads contact details');
SELECT lives_ok($$SELECT * FROM adviser.review_queue$$, 'adviser reads the review queue');
SELECT lives_ok($$SELECT * FROM adviser.moratorium$$, 'adviser reads moratoria');
SELECT throws_ok($$SELECT * FROM svod.reject_raw$$, '42501', NULL, 'adviser cannot read reject_raw');
SELECT throws_ok($$SELECT * FROM svod.reject$$, '42501', NULL, 'adviser cannot read svod tables');
SELECT throws_ok($$SELECT * FROM auditor.source_record$$, '42501', NULL, 'adviser cannot read tokens');
SELECT throws_ok($$SELECT * FROM auditor.link$$, '42501', NULL, 'adviser cannot read the auditor schema');
SELECT throws_ok($$SELECT * FROM run_1.council_tax$$, '42501', NULL, 'adviser cannot read a run schema directly');
SELECT throws_ok($$SELECT svod.publish('run_1')$$, '42501', NULL, 'adviser cannot publish');
SELECT throws_ok($$CREATE SCHEMA run_x$$, '42501', NULL, 'adviser cannot create a schema');
RESET ROLE;

-- Auditor.
SET ROLE svod_test_audrey;
SELECT is((SELECT balance FROM auditor.debt_line), 12345::bigint, 'auditor reads auditor.debt_line');
SELECT lives_ok($$SELECT * FROM auditor.resident_debt$$, 'auditor reads auditor.resident_debt');
SELECT is((SELECT rule FROM auditor.link), 'none', 'auditor reads links with their rule');
SELECT is((SELECT token FROM auditor.source_record WHERE purpose = 'nino_stem'), '\xabcd'::bytea, 'auditor reads tokens');
SELECT is((SELECT count(*) FROM auditor.run WHERE run_id = 1), 1::bigint, 'auditor reads runs');
SELECT lives_ok($$SELECT * FROM auditor.run_input$$, 'auditor reads run inputs');
SELECT is((SELECT reason FROM auditor.reject), 'bad_money', 'auditor reads rejects');
SELECT lives_ok($$SELECT * FROM auditor.resident_history$$, 'auditor reads resident history');
SELECT lives_ok($$SELECT * FROM auditor.moratorium_debt$$, 'auditor reads the debts notices name');
SELECT lives_ok($$SELECT * FROM run_1.council_tax$$, 'auditor reads a kept run''s feed table (tokens)');
SELECT throws_ok($$SELECT * FROM run_1.council_tax_contact$$, '42501', NULL, 'auditor cannot read a run''s contact table');
SELECT throws_ok($$SELECT * FROM run_1.contact$$, '42501', NULL, 'auditor cannot read a run''s contact view');
SELECT throws_ok($$SELECT * FROM adviser.contact$$, '42501', NULL, 'auditor cannot read contact details');
SELECT throws_ok($$SELECT * FROM svod.reject_raw$$, '42501', NULL, 'auditor cannot read reject_raw');
SELECT throws_ok($$SELECT * FROM svod.run$$, '42501', NULL, 'auditor reads runs through its views only');
RESET ROLE;

-- Somebody with no svod role.
SET ROLE svod_test_nobody;
SELECT throws_ok($$SELECT * FROM adviser.debt_line$$, '42501', NULL, 'PUBLIC cannot read adviser views');
SELECT throws_ok($$SELECT * FROM auditor.run$$, '42501', NULL, 'PUBLIC cannot read auditor views');
SELECT throws_ok($$SELECT * FROM svod.run$$, '42501', NULL, 'PUBLIC cannot read svod');
SELECT throws_ok($$SELECT * FROM run_1.debt_line$$, '42501', NULL, 'PUBLIC cannot read a run schema');
SELECT throws_ok($$SELECT svod.publish('run_1')$$, '42501', NULL, 'PUBLIC cannot publish');
RESET ROLE;

-- And in the catalogue: no relation of ours grants anything to PUBLIC,
-- and no function of svod is executable by PUBLIC.
SELECT is((SELECT count(*) FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE (n.nspname IN ('svod', 'adviser', 'auditor') OR n.nspname = 'run_1')
      AND c.relkind IN ('r', 'v', 'p', 'S')
      AND (has_table_privilege('public', c.oid, 'SELECT')
        OR has_table_privilege('public', c.oid, 'INSERT')
        OR has_table_privilege('public', c.oid, 'UPDATE')
        OR has_table_privilege('public', c.oid, 'DELETE'))), 0::bigint,
    'no table or view grants anything to PUBLIC');
SELECT is((SELECT count(*) FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'svod'
      AND has_function_privilege('public', p.oid, 'EXECUTE')), 0::bigint,
    'no svod function is executable by PUBLIC');
SELECT ok(NOT has_schema_privilege('public', 'svod', 'USAGE'), 'PUBLIC has no usage on svod');
SELECT ok(NOT has_schema_privilege('public', 'adviser', 'USAGE'), 'PUBLIC has no usage on adviser');
SELECT ok(NOT has_schema_privilege('public', 'auditor', 'USAGE'), 'PUBLIC has no usage on auditor');
SELECT ok(NOT has_table_privilege('svod_adviser', 'svod.reject_raw', 'SELECT'), 'adviser has no SELECT on reject_raw');
SELECT ok(NOT has_table_privilege('svod_auditor', 'svod.reject_raw', 'SELECT'), 'auditor has no SELECT on reject_raw');
SELECT ok(NOT has_table_privilege('svod_auditor', 'adviser.contact', 'SELECT'), 'auditor has no SELECT on contact');
SELECT ok(has_table_privilege('svod_loader', 'svod.reject_raw', 'SELECT, INSERT, DELETE'), 'loader writes reject_raw');
SELECT is((SELECT count(*) FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('adviser', 'auditor') AND c.relkind <> 'v'), 0::bigint,
    'adviser and auditor hold only views');

SELECT * FROM finish();
ROLLBACK;
