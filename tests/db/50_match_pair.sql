-- The scored pairs of the probabilistic matcher (006_match_pair.sql):
-- run_<id>.match_pair is published as auditor.match_pair, which auditors
-- read and advisers may not; a scored link's probability reaches
-- auditor.link and, one resident at a time, advisers
-- (adviser.resident_links); a run made without the table or the
-- probability still gets its views and can be published.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
\ir helpers.psql
SELECT * FROM no_plan();

CREATE ROLE svod_test_etl LOGIN IN ROLE svod_loader;
CREATE ROLE svod_test_alice LOGIN IN ROLE svod_adviser;
CREATE ROLE svod_test_audrey LOGIN IN ROLE svod_auditor;
CREATE ROLE svod_test_nobody LOGIN;

-- The placeholder before any publication: the columns a run's table has.
SELECT has_view('auditor', 'match_pair', 'auditor.match_pair exists');
-- svod.publish repoints the views svod.published_view lists, in lock
-- order: adviser before auditor, alphabetical within.
SELECT results_eq($$SELECT view_schema || '.' || view_name
    FROM svod.published_view ORDER BY position$$,
    $$SELECT view_schema || '.' || view_name FROM svod.published_view
    ORDER BY view_schema, view_name$$,
    'the publication list is in lock order');
SELECT is((SELECT count(*) FROM svod.published_view pv
    WHERE NOT EXISTS (SELECT 1 FROM pg_views v WHERE v.schemaname =
    pv.view_schema AND v.viewname = pv.view_name)), 0::bigint,
    'every listed view exists');
SELECT is((SELECT source FROM svod.published_view WHERE view_schema =
    'auditor' AND view_name = 'match_pair'), 'match_pair',
    'auditor.match_pair is published');
SELECT columns_are('auditor', 'match_pair', ARRAY['feed_a', 'key_a',
    'feed_b', 'key_b', 'decision', 'weight', 'probability', 'evidence',
    'reason'],
    'auditor.match_pair has the columns of a run''s match_pair');
SELECT col_type_is('auditor', 'match_pair', 'evidence', 'jsonb',
    'evidence is jsonb');
SELECT hasnt_view('adviser', 'match_pair', 'advisers get no match_pair view');

-- A scored night, as the loader makes it: two records joined by a scored
-- link, a pair below review, a cannot-link pair.
SET ROLE svod_test_etl;
SELECT pg_temp.mk_run(501, '2026-06-01', NULL);
INSERT INTO run_501.council_tax (source_key, line, account_ref, party_no,
    financial_year, balance, recovery_stage)
VALUES ('CT1:1', 2, 'CT1', 1, 2025, 12345, 'REMINDER');
INSERT INTO run_501.rent (source_key, line, tenancy_ref, tenant_no,
    tenancy_status, weekly_rent, arrears, stage)
VALUES ('T1:1', 2, 'T1', 1, 'FORMER', 0, 500, 'NONE');
INSERT INTO run_501.link VALUES
    ('council_tax', 'CT1:1', 7, 'scored', 17.25, 0.99995),
    ('rent', 'T1:1', 7, 'scored', 17.25, 0.99995),
    ('rent', 'T2:1', 8, 'none', NULL, NULL);
INSERT INTO run_501.match_pair VALUES
    ('council_tax', 'CT1:1', 'rent', 'T1:1', 'link', 17.25, 0.99995,
     '{"forename": {"level": "exact", "weight": 7.5},
       "surname": {"level": "exact", "weight": 7.0},
       "dob": {"level": "exact", "weight": 9.2},
       "postcode": {"level": "disagree", "weight": -1.3},
       "uprn": {"level": "missing", "weight": 0},
       "nino": {"level": "missing", "weight": 0},
       "nhs": {"level": "missing", "weight": 0}}', 'match'),
    ('council_tax', 'CT1:1', 'rent', 'T2:1', 'none', -3.5, 0.01, NULL,
     'below'),
    ('rent', 'T1:1', 'rent', 'T2:1', 'cannot', -20.0, 0.000001, NULL,
     'dob,forename');
SELECT throws_ok($$INSERT INTO run_501.match_pair VALUES ('rent', 'T1:1',
    'rent', 'T3:1', 'link', 20, 0.999, NULL, 'match')$$, '23514', NULL,
    'a link or review pair must have its evidence');
SELECT throws_ok($$INSERT INTO run_501.match_pair VALUES ('rent', 'T1:1',
    'rent', 'T3:1', 'maybe', 0, 0.5, NULL, 'band')$$, '23514', NULL,
    'decision is link, review, cannot or none');
SELECT throws_ok($$INSERT INTO run_501.match_pair VALUES ('rent', 'T1:1',
    'rent', 'T3:1', 'none', 0, 0.1, NULL, NULL)$$, '23502', NULL,
    'every pair has a reason');
SELECT lives_ok($$SELECT svod.publish('run_501')$$, 'the loader publishes it');
RESET ROLE;

-- Auditor.
SET ROLE svod_test_audrey;
SELECT results_eq($$SELECT decision, count(*) FROM auditor.match_pair
    GROUP BY decision ORDER BY decision$$,
    $$VALUES ('cannot'::text, 1::bigint), ('link', 1), ('none', 1)$$,
    'auditor reads every scored pair of the published run');
SELECT is((SELECT evidence->'dob'->>'level' FROM auditor.match_pair
    WHERE decision = 'link'), 'exact', 'auditor reads a link''s evidence');
SELECT is((SELECT count(*) FROM auditor.match_pair
    WHERE decision IN ('cannot', 'none') AND evidence IS NULL), 2::bigint,
    'cannot and none pairs carry no evidence');
SELECT is((SELECT reason FROM auditor.match_pair WHERE decision = 'cannot'),
    'dob,forename', 'auditor reads why a pair may never be one resident');
SELECT results_eq($$SELECT feed, probability FROM auditor.link
    WHERE rule = 'scored' ORDER BY feed$$,
    $$VALUES ('council_tax'::text, 0.99995::double precision),
             ('rent', 0.99995)$$,
    'auditor.link shows a scored link''s probability');
SELECT is((SELECT probability FROM auditor.link WHERE rule = 'none'), NULL,
    'and none for a record no scored link joined');
SELECT lives_ok($$SELECT * FROM run_501.match_pair$$,
    'auditor reads a kept run''s match_pair');
RESET ROLE;

-- Adviser.
SET ROLE svod_test_alice;
SELECT throws_ok($$SELECT * FROM auditor.match_pair$$, '42501', NULL,
    'adviser cannot read auditor.match_pair');
SELECT throws_ok($$SELECT * FROM run_501.match_pair$$, '42501', NULL,
    'adviser cannot read a run''s match_pair');
SELECT throws_ok($$SELECT * FROM run_501.link$$, '42501', NULL,
    'adviser cannot read a run''s links');
SELECT results_eq($$SELECT feed, source_key, rule, probability
    FROM adviser.resident_links(7)$$,
    $$VALUES ('council_tax'::text, 'CT1:1'::text, 'scored'::text,
             0.99995::double precision),
             ('rent', 'T1:1', 'scored', 0.99995)$$,
    'adviser reads one resident''s records, rules and probabilities');
SELECT results_eq($$SELECT rule, probability FROM adviser.resident_links(8)$$,
    $$VALUES ('none'::text, NULL::double precision)$$,
    'no probability for a record no scored link joined');
SELECT is((SELECT count(*) FROM adviser.resident_links(999)), 0::bigint,
    'nothing for a resident the run does not have');
SELECT is((SELECT count(*) FROM adviser.resident_links(NULL)), 0::bigint,
    'nothing for NULL');
RESET ROLE;

-- Somebody with no svod role.
SET ROLE svod_test_nobody;
SELECT throws_ok($$SELECT * FROM auditor.match_pair$$, '42501', NULL,
    'PUBLIC cannot read auditor.match_pair');
SELECT throws_ok($$SELECT * FROM adviser.resident_links(7)$$, '42501', NULL,
    'PUBLIC cannot call adviser.resident_links');
RESET ROLE;

SET ROLE svod_test_etl;
-- create_run_views again on the published run: auditor.link depends on
-- its resident_link, which keeps its probability.
SELECT lives_ok($$SELECT svod.create_run_views('run_501')$$,
    'create_run_views is repeatable on a published run');
SELECT is((SELECT count(*) FROM auditor.link WHERE probability > 0.999),
    2::bigint, 'and auditor.link still shows the probabilities');

-- A run made without match_pair or link.probability (loaded before 006,
-- or by hand): its views are made, with an empty match_pair, and it can
-- be published.
SELECT pg_temp.mk_tables('run_502');
DROP TABLE run_502.match_pair;
ALTER TABLE run_502.link DROP COLUMN probability;
INSERT INTO run_502.link VALUES ('rent', 'T1:1', 7, 'name_dob', NULL);
INSERT INTO svod.run (run_id, started_at, status, as_of, schema_name)
VALUES (502, '2026-01-01 00:00:00+00', 'loading', '2026-06-02', 'run_502');
SELECT lives_ok($$SELECT svod.create_run_views('run_502')$$,
    'an older run''s views are made');
SELECT has_table('run_502', 'match_pair', 'with an empty match_pair table');
SELECT lives_ok($$SELECT svod.publish('run_502')$$, 'and it can be published');
SELECT is((SELECT count(*) FROM auditor.match_pair), 0::bigint,
    'auditor.match_pair follows it: no scored pairs');
SELECT results_eq($$SELECT rule, probability FROM auditor.link$$,
    $$VALUES ('name_dob'::text, NULL::double precision)$$,
    'auditor.link has a NULL probability');
SELECT results_eq($$SELECT rule, probability FROM adviser.resident_links(7)$$,
    $$VALUES ('name_dob'::text, NULL::double precision)$$,
    'adviser.resident_links copes with a link table without probability');
SELECT lives_ok($$SELECT svod.publish('run_501')$$,
    'the scored run can be published back');
SELECT is((SELECT count(*) FROM auditor.match_pair), 3::bigint,
    'and auditor.match_pair shows its pairs again');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
