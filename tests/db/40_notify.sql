-- Notices processed during the day by svod notify (svod.moratorium_intraday,
-- schemas/004_notify.sql): the published run's views take them in at
-- once; a run that is not published ignores them; the night that absorbs
-- a notice (same ref, event and registered date in its breathing_space
-- table) counts it once. The rows are inserted here as svod notify
-- inserts them (its matching is tested end to end in tests/e2e/notify.sh).
--
-- Residents: 1 owes council tax CT1 (2025/26) and rent arrears T1; 2 owes
-- an HB overpayment OP2; 3 owes rent T3 and is in BS3, a moratorium the
-- night knows.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
\ir helpers.psql
SELECT * FROM no_plan();

-- Helpers of this file (mk_tables and mk_run are in helpers.psql).
-- Every run here has one input, council tax as of the run's own date.
\set inputs '[{"feed": "council_tax", "lag": 0, "stale": false}]'

-- Column 'col' of the rows of view 'rel' of run schema 's' where column
-- 'k' is 'kv', as text (comma-separated when several).
CREATE FUNCTION pg_temp.v(s text, rel text, col text, k text, kv text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	EXECUTE format('SELECT string_agg(%I::text, '','' ORDER BY %I::text) '
	    'FROM %I.%I WHERE %I::text = $1', col, col, s, rel, k)
	INTO r USING kv;
	RETURN r;
END
$$;

-- "status/reason" of the debt lines with creditor reference 'cref'.
CREATE FUNCTION pg_temp.st(s text, cref text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	EXECUTE format('SELECT string_agg(bs_status || ''/'' || '
	    'coalesce(bs_reason, ''''), '';'') FROM %I.debt_line '
	    'WHERE creditor_ref = $1', s) INTO r USING cref;
	RETURN r;
END
$$;

-- A notice as svod notify records it (ON CONFLICT: re-sending is a
-- no-op); returns the rows inserted (0 or 1).
CREATE FUNCTION pg_temp.notify(p_ref text, p_kind text, p_event text,
    p_registered date, p_start date, p_end date, p_effective date,
    p_debts jsonb, p_resident bigint, p_rule text, p_known date)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n integer;
BEGIN
	INSERT INTO svod.moratorium_intraday (received_at, known_on, ref,
	    kind, event, registered, start_date, end_date, effective_date,
	    debts, resident_id, rule)
	VALUES (now(), p_known, p_ref, p_kind, p_event, p_registered, p_start,
	    p_end, p_effective, p_debts, p_resident, p_rule)
	ON CONFLICT (ref, event, registered) DO NOTHING;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;

SELECT pg_temp.mk_tables('tpl');
INSERT INTO tpl.council_tax (source_key, line, account_ref, party_no,
    financial_year, balance, recovery_stage, reminder_date) VALUES
	('CT1:1', 1, 'CT1', 1, 2025, 50000, 'LIABILITY_ORDER', '2025-05-01');
INSERT INTO tpl.rent (source_key, line, tenancy_ref, tenant_no,
    tenancy_status, weekly_rent, arrears, stage) VALUES
	('T1:1', 2, 'T1', 1, 'FORMER', NULL, 20000, 'COURT_APPLIED'),
	('T3:1', 3, 'T3', 1, 'FORMER', NULL, 3000, 'NONE');
INSERT INTO tpl.housing_benefit (source_key, line, claim_ref,
    overpayment_ref, overpayment_date, amount, balance, cause,
    recovery_method) VALUES
	('HB2', 4, 'HB2', 'OP2', '2025-01-10', 30000, 30000, 'CLAIMANT_ERROR', 'INVOICE');
INSERT INTO tpl.breathing_space (source_key, line, ref, kind, event,
    registered, start_date, end_date, effective_date, address_withheld)
VALUES
	('BS3', 10, 'BS3', 'STANDARD', 'START', '2026-05-31', '2026-06-01', '2026-07-31', NULL, false);
INSERT INTO tpl.link VALUES
	('council_tax', 'CT1:1', 1, 'name_dob', NULL),
	('rent', 'T1:1', 1, 'nino_stem', NULL),
	('housing_benefit', 'HB2', 2, 'nino_stem', NULL),
	('rent', 'T3:1', 3, 'nino_stem', NULL),
	('breathing_space', 'BS3', 3, 'nino_stem', NULL);

-- Run 1, as of 2026-06-10, published. Run 2: the same night, not
-- published (a replay, say).
SELECT pg_temp.mk_run(1, '2026-06-10', 'tpl', :'inputs');
SELECT svod.publish('run_1');
SELECT pg_temp.mk_run(2, '2026-06-10', 'tpl', :'inputs');

SELECT is(pg_temp.v('run_1', 'resident_debt', 'bs_status', 'resident_id', '1'),
    'none', 'before any notice resident 1 is in no breathing space');
SELECT is(pg_temp.st('run_1', 'CT1'), 'none/', 'before any notice CT1 is not held');

-- An intraday START for resident 1, matched by NINO, naming CT1, that
-- starts on the run's as-of date.
SELECT is(pg_temp.notify('BSN1', 'STANDARD', 'START', '2026-06-09',
    '2026-06-10', '2026-08-09', NULL,
    '[{"line": 4, "creditor_ref": "CT1", "debt_type": "COUNCIL_TAX", "debt_amount": 50000}]',
    1, 'nino_stem', '2026-06-10'), 1, 'notify records the START');
SELECT is(pg_temp.v('run_1', 'moratorium', 'status', 'ref', 'BSN1'),
    'active_standard', 'the published run shows the intraday START at once');
SELECT is(pg_temp.v('run_1', 'moratorium', 'resident_id', 'ref', 'BSN1'),
    '1', 'the moratorium belongs to the resident notify matched');
SELECT is(pg_temp.v('run_1', 'moratorium', 'link_rule', 'ref', 'BSN1'),
    'nino_stem', 'with the rule that matched it');
SELECT is(pg_temp.st('run_1', 'CT1'), 'protected/', 'CT1 (named) is protected');
SELECT is(pg_temp.v('run_1', 'debt_line', 'protected_from', 'creditor_ref', 'CT1'),
    '2026-06-10', 'from the START''s start date');
SELECT is(pg_temp.st('run_1', 'T1'), 'protected/',
    'the resident''s other qualifying debt (rent arrears T1) is protected too');
SELECT is(pg_temp.st('run_1', 'OP2'), 'none/', 'another resident''s debt is not held');
SELECT is(pg_temp.v('run_1', 'resident_debt', 'bs_status', 'resident_id', '1'),
    'active_standard', 'resident_debt: active standard breathing space');
SELECT is(pg_temp.v('run_1', 'resident_debt', 'bs_ref', 'resident_id', '1'),
    'BSN1', 'resident_debt: with its reference');
SELECT is(pg_temp.v('run_1', 'resident_debt', 'hold_recovery', 'resident_id', '1'),
    'true', 'resident_debt: hold recovery');
SELECT is(pg_temp.v('run_1', 'resident_debt', 'protected_total', 'resident_id', '1'),
    '70000', 'resident_debt: the protected total counts CT1 and T1 once');
SELECT is((SELECT hold_recovery FROM adviser.resident_debt WHERE resident_id = 1),
    true, 'the adviser view shows the hold at once');
SELECT is((SELECT count(*) FROM auditor.moratorium_debt WHERE ref = 'BSN1'),
    1::bigint, 'the auditor sees the debt the intraday START names');

-- The run that is not published ignores intraday notices: its views, and
-- so their digests, depend on its inputs alone.
SELECT is(pg_temp.v('run_2', 'resident_debt', 'bs_status', 'resident_id', '1'),
    'none', 'an unpublished run ignores intraday notices');
SELECT is(pg_temp.st('run_2', 'CT1'), 'none/', 'an unpublished run holds nothing for them');

-- Dates: a START whose start is after the run's as-of date is pending
-- until notify's own as-of date (known_on) reaches the start.
SELECT is(pg_temp.notify('BSN2', 'MENTAL_HEALTH_CRISIS', 'START',
    '2026-06-10', '2026-06-11', NULL, NULL, '[]', 2, 'name_dob',
    '2026-06-10'), 1, 'notify records a START that starts tomorrow');
SELECT is(pg_temp.v('run_1', 'moratorium', 'status', 'ref', 'BSN2'),
    'pending', 'the day before its start: pending');
SELECT is(pg_temp.st('run_1', 'OP2'), 'none/', 'the day before its start: OP2 not held');
UPDATE svod.moratorium_intraday SET known_on = '2026-06-11' WHERE ref = 'BSN2';
SELECT is(pg_temp.v('run_1', 'moratorium', 'status', 'ref', 'BSN2'),
    'active_mhcm', 'seen on its start date (notify''s as-of date): active');
SELECT is(pg_temp.st('run_1', 'OP2'), 'protected/', 'on its start date OP2 is protected');
SELECT is(pg_temp.v('run_1', 'moratorium', 'status', 'ref', 'BSN1'),
    'active_standard', 'another moratorium is seen as of its own date');

-- Idempotence: the same notice again (same ref, event, registered date)
-- changes nothing.
SELECT is(pg_temp.notify('BSN1', 'STANDARD', 'START', '2026-06-09',
    '2026-06-10', '2026-08-09', NULL,
    '[{"line": 4, "creditor_ref": "CT1", "debt_type": "COUNCIL_TAX", "debt_amount": 50000}]',
    1, 'nino_stem', '2026-06-10'), 0, 're-sending a notice inserts nothing');
SELECT is((SELECT count(*) FROM svod.moratorium_intraday WHERE ref = 'BSN1'),
    1::bigint, 'one row per notice');
SELECT throws_ok($$INSERT INTO svod.moratorium_intraday (received_at, ref,
    kind, event, registered, start_date) VALUES (now(), 'BSN1', 'STANDARD',
    'START', '2026-06-09', '2026-06-10')$$, '23505', NULL,
    'the table refuses a second row for one notice');
SELECT is(pg_temp.v('run_1', 'resident_debt', 'protected_total', 'resident_id', '1'),
    '70000', 'after a re-send the totals are unchanged');

-- An intraday CANCELLED stops it on its effective date.
SELECT is(pg_temp.notify('BSN1', 'STANDARD', 'CANCELLED', '2026-06-20',
    '2026-06-10', '2026-08-09', '2026-06-21', '[]', 1, 'nino_stem',
    '2026-06-20'), 1, 'notify records the CANCELLED');
SELECT is(pg_temp.v('run_1', 'moratorium', 'status', 'ref', 'BSN1'),
    'active_standard', 'the day before the cancellation takes effect: active');
UPDATE svod.moratorium_intraday SET known_on = '2026-06-21'
WHERE ref = 'BSN1' AND event = 'CANCELLED';
SELECT is(pg_temp.v('run_1', 'moratorium', 'status', 'ref', 'BSN1'),
    'cancelled', 'on its effective date: cancelled');
SELECT is(pg_temp.v('run_1', 'moratorium', 'cancelled_from', 'ref', 'BSN1'),
    '2026-06-21', 'cancelled from the effective date given');
SELECT is(pg_temp.st('run_1', 'CT1'), 'none/', 'a cancelled moratorium holds nothing');
SELECT is(pg_temp.v('run_1', 'resident_debt', 'hold_recovery', 'resident_id', '1'),
    'false', 'resident_debt: no hold after the cancellation');

-- An intraday CANCELLED of a moratorium the night knows.
SELECT is(pg_temp.st('run_1', 'T3'), 'protected/', 'BS3 (from the night) protects T3');
SELECT is(pg_temp.notify('BS3', 'STANDARD', 'CANCELLED', '2026-06-09',
    '2026-06-01', '2026-07-31', '2026-06-10', '[]', 3, 'nino_stem',
    '2026-06-10'), 1, 'notify records a CANCELLED of BS3');
SELECT is(pg_temp.v('run_1', 'moratorium', 'status', 'ref', 'BS3'),
    'cancelled', 'the night''s moratorium is cancelled at once');
SELECT is(pg_temp.st('run_1', 'T3'), 'none/', 'and no longer holds T3');
SELECT is(pg_temp.v('run_1', 'moratorium', 'resident_id', 'ref', 'BS3'),
    '3', 'the night''s link still gives its resident');

-- Unmatched: no resident, an item in the review queue, and the debt the
-- notice names is held for review.
SELECT is(pg_temp.notify('BSN3', 'STANDARD', 'START', '2026-06-05',
    '2026-06-06', '2026-08-05', NULL,
    '[{"line": 9, "creditor_ref": "OP2", "debt_type": "HOUSING_BENEFIT", "debt_amount": 30000}]',
    NULL, NULL, '2026-06-10'), 1, 'notify records an unmatched notice');
INSERT INTO svod.review_queue (origin, kind, reason, reference, raised_at)
VALUES ('notify', 'notification', 'unmatched_notification', 'BSN3', now());
SELECT is((SELECT reason FROM adviser.review_queue
    WHERE origin = 'notify' AND reference = 'BSN3'),
    'unmatched_notification', 'the adviser view shows the review item');
SELECT is(pg_temp.v('run_1', 'moratorium', 'matched', 'ref', 'BSN3'),
    'false', 'the moratorium is unmatched');
SELECT is(pg_temp.v('run_1', 'moratorium', 'resident_id', 'ref', 'BSN3'),
    NULL, 'and has no resident');
SELECT is(pg_temp.st('run_1', 'OP2'), 'protected/',
    'OP2 stays protected by its own resident''s moratorium (BSN2)');
DELETE FROM svod.moratorium_intraday WHERE ref = 'BSN2';
SELECT is(pg_temp.st('run_1', 'OP2'), 'review/unmatched_notification',
    'a debt named only by an unmatched notice goes to review, held');

-- The next night absorbs BSN1's START (its feed carries the notice): run
-- 3 counts it once.
INSERT INTO tpl.breathing_space (source_key, line, ref, kind, event,
    registered, start_date, end_date, effective_date, address_withheld)
VALUES ('BSN1', 20, 'BSN1', 'STANDARD', 'START', '2026-06-09', '2026-06-10',
    '2026-08-09', NULL, false);
INSERT INTO tpl.breathing_space_debt VALUES ('BSN1', 21, 'CT1', 'COUNCIL_TAX', 50000);
INSERT INTO tpl.link VALUES ('breathing_space', 'BSN1', 1, 'nino_stem', NULL);
DELETE FROM svod.moratorium_intraday WHERE ref = 'BSN1' AND event = 'CANCELLED';
SELECT pg_temp.mk_run(3, '2026-06-11', 'tpl', :'inputs');
SELECT svod.publish('run_3');
SELECT is((SELECT count(*) FROM run_3.moratorium_intraday WHERE ref = 'BSN1'),
    0::bigint, 'the absorbed notice is not taken in again');
SELECT is((SELECT count(*) FROM run_3.moratorium WHERE ref = 'BSN1'),
    1::bigint, 'one moratorium BSN1');
SELECT is((SELECT count(*) FROM run_3.moratorium_debt WHERE ref = 'BSN1'),
    1::bigint, 'its debt is named once');
SELECT is(pg_temp.v('run_3', 'moratorium', 'status', 'ref', 'BSN1'),
    'active_standard', 'the night shows BSN1 active');
SELECT is(pg_temp.st('run_3', 'CT1'), 'protected/', 'CT1: one line, protected');
SELECT is(pg_temp.v('run_3', 'resident_debt', 'protected_total', 'resident_id', '1'),
    '70000', 'the protected total counts each debt once');
SELECT is((SELECT count(*) FROM run_3.moratorium_intraday WHERE ref = 'BSN3'),
    1::bigint, 'a notice the night does not carry is still taken in');
SELECT is((SELECT count(*) FROM run_1.moratorium_intraday), 0::bigint,
    'the superseded run takes in no intraday notice');
SELECT is(pg_temp.v('run_1', 'moratorium', 'status', 'ref', 'BS3'),
    'active_standard', 'and reads from its own inputs again');

SELECT * FROM finish();
ROLLBACK;
