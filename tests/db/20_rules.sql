-- The breathing-space rules of the consolidated view (schemas/views.md),
-- on one small borough seen on many as-of dates: each date is a run
-- schema of its own with the same data. Dates sit on every boundary.
--
-- Residents: 1 in a STANDARD moratorium BS1 (registered 2026-05-17, start
-- 05-18, end 07-17; a DEBT_ADDED on 06-10 names rent T9 of resident 9);
-- 2 the joint council tax partner of 1; 3 in a crisis moratorium BS2
-- (start 03-02, END registered 09-30 with end 09-30); 4 in BS4 (address
-- withheld, cancelled 06-15 effective 06-16); 5 in BS7 matched by a
-- low-confidence rule; 7 and 8 hold debts named by notices that matched
-- no one (BS5: a resident of its own; BS6: no link); 6 in BS9, cancelled
-- with no effective date.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
\ir helpers.psql
SELECT * FROM no_plan();

-- Helpers of this file (mk_tables and mk_run are in helpers.psql): the
-- run as of date d, made from schema tpl with the default inputs.
CREATE FUNCTION pg_temp.at(d date) RETURNS text
LANGUAGE sql AS $$
	SELECT pg_temp.mk_run(to_char(d, 'YYYYMMDD')::bigint, d, 'tpl')
$$;

-- "status/reason" of a debt line (by service and source line) on date d.
CREATE FUNCTION pg_temp.st(d date, svc text, ln bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	EXECUTE format('SELECT string_agg(bs_status || ''/'' || '
	    'coalesce(bs_reason, ''''), '';'' ORDER BY resident_id) '
	    'FROM %I.debt_line WHERE service = $1 AND line = $2', pg_temp.at(d))
	INTO r USING svc, ln;
	RETURN r;
END
$$;

-- One column of a view's row, as text: resident_debt by resident,
-- moratorium by ref, debt_line by service and line.
CREATE FUNCTION pg_temp.rd(d date, rid bigint, col text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	EXECUTE format('SELECT %I::text FROM %I.resident_debt '
	    'WHERE resident_id = $1', col, pg_temp.at(d)) INTO r USING rid;
	RETURN r;
END
$$;
CREATE FUNCTION pg_temp.mor(d date, ref text, col text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	EXECUTE format('SELECT %I::text FROM %I.moratorium WHERE ref = $1',
	    col, pg_temp.at(d)) INTO r USING ref;
	RETURN r;
END
$$;
CREATE FUNCTION pg_temp.dl(d date, svc text, ln bigint, col text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	EXECUTE format('SELECT %I::text FROM %I.debt_line '
	    'WHERE service = $1 AND line = $2', col, pg_temp.at(d))
	INTO r USING svc, ln;
	RETURN r;
END
$$;

SELECT pg_temp.mk_tables('tpl');

INSERT INTO tpl.council_tax (source_key, line, account_ref, party_no,
    financial_year, balance, recovery_stage, reminder_date) VALUES
	('CT1:1', 1, 'CT1', 1, 2025, 50000, 'LIABILITY_ORDER', '2025-05-01'),
	('CT1:1', 2, 'CT1', 1, 2026, 20000, 'REMINDER', '2026-05-01'),
	('CT2:1', 3, 'CT2', 1, 2026, 15000, 'NONE', NULL),
	('CT3:1', 4, 'CT3', 1, 2026, 12000, 'REMINDER', '2026-05-18'),
	('CT1:2', 5, 'CT1', 2, 2025, 50000, 'LIABILITY_ORDER', '2025-05-01'),
	('CT4:1', 40, 'CT4', 1, 2024, 10000, 'SUMMONS', '2024-06-01'),
	('CT5:1', 42, 'CT5', 1, 2025, 9000, 'NONE', NULL),
	('CT5:1', 43, 'CT5', 1, 2026, 9500, 'NONE', NULL),
	('CT6:1', 44, 'CT6', 1, 2025, 4000, 'FINAL_NOTICE', '2025-06-01'),
	('CT7:1', 45, 'CT7', 1, 2025, 3000, 'REMINDER', '2025-06-01');
INSERT INTO tpl.housing_benefit (source_key, line, claim_ref,
    overpayment_ref, overpayment_date, amount, balance, cause,
    recovery_method, tok_nino_stem) VALUES
	('HB1', 10, 'HB1', 'OP1', '2025-01-10', 30000, 30000, 'CLAIMANT_ERROR', 'INVOICE', '\x0102'),
	('HB1', 11, 'HB1', 'OP2', '2025-02-10', 40000, 40000, 'FRAUD', 'INVOICE', '\x0102'),
	('HB1', 12, 'HB1', 'OP3', '2025-03-10', 25000, 25000, 'LA_ERROR', 'ONGOING_HB', '\x0102'),
	('HB1', 13, 'HB1', 'OP4', '2026-05-18', 10000, 10000, 'DWP_ERROR', 'INVOICE', '\x0102'),
	('HB1', 14, 'HB1', 'OP5', '2026-05-17', 8000, 8000, 'DWP_ERROR', 'INVOICE', '\x0102'),
	('HB4', 15, 'HB4', 'OP6', '2025-01-01', 6000, 6000, 'CLAIMANT_ERROR', 'DEA', NULL),
	('HB7', 16, 'HB7', 'OP7', '2025-01-01', 7000, 7000, 'CLAIMANT_ERROR', 'INVOICE', NULL);
INSERT INTO tpl.rent (source_key, line, tenancy_ref, tenant_no,
    tenancy_status, weekly_rent, arrears, stage) VALUES
	('T1:1', 30, 'T1', 1, 'CURRENT', 10000, 20000, 'NOSP_SERVED'),
	('T2:1', 31, 'T2', 1, 'CURRENT', 9000, 0, 'NONE'),
	('T3:1', 32, 'T3', 1, 'FORMER', NULL, -500, 'NONE'),
	('T9:1', 33, 'T9', 1, 'FORMER', NULL, 30000, 'COURT_APPLIED'),
	('T5:1', 34, 'T5', 1, 'FORMER', NULL, 2000, 'NONE'),
	('T4:1', 41, 'T4', 1, 'FORMER', NULL, 5000, 'OUTRIGHT_ORDER');
INSERT INTO tpl.adult_social_care (source_key, line, extracted, client_id,
    invoice_ref, invoice_type, issued, due, amount, balance) VALUES
	('C1', 20, '2026-11-30', 'C1', 'INV1', 'RESIDENTIAL', '2026-01-01', '2026-01-29', 60000, 60000),
	('C1', 21, '2026-11-30', 'C1', 'INV2', 'DEFERRED_PAYMENT', '2025-01-01', '2025-01-29', 200000, 200000),
	('C1b', 23, '2026-11-30', 'C1b', 'INV4', 'NON_RESIDENTIAL', '2026-02-01', '2026-06-05', 7000, 7000),
	('C8', 22, '2026-11-30', 'C8', 'INV3', 'NON_RESIDENTIAL', '2026-01-01', '2026-01-29', 1500, 1500);
INSERT INTO tpl.breathing_space (source_key, line, ref, kind, event,
    registered, start_date, end_date, effective_date, address_withheld)
VALUES
	('BS2', 100, 'BS2', 'MENTAL_HEALTH_CRISIS', 'START', '2026-03-01', '2026-03-02', NULL, NULL, false),
	('BS1', 110, 'BS1', 'STANDARD', 'START', '2026-05-17', '2026-05-18', '2026-07-17', NULL, false),
	('BS4', 120, 'BS4', 'STANDARD', 'START', '2026-05-31', '2026-06-01', '2026-07-31', NULL, true),
	('BS5', 130, 'BS5', 'STANDARD', 'START', '2026-05-31', '2026-06-01', '2026-07-31', NULL, false),
	('BS6', 140, 'BS6', 'STANDARD', 'START', '2026-05-31', '2026-06-01', '2026-07-31', NULL, false),
	('BS7', 150, 'BS7', 'STANDARD', 'START', '2026-05-31', '2026-06-01', '2026-07-31', NULL, false),
	('BS9', 160, 'BS9', 'STANDARD', 'START', '2026-05-31', '2026-06-01', '2026-07-31', NULL, false),
	('BS1', 170, 'BS1', 'STANDARD', 'DEBT_ADDED', '2026-06-10', '2026-05-18', '2026-07-17', NULL, false),
	('BS4', 180, 'BS4', 'STANDARD', 'CANCELLED', '2026-06-15', '2026-06-01', '2026-07-31', '2026-06-16', true),
	('BS9', 190, 'BS9', 'STANDARD', 'CANCELLED', '2026-06-20', '2026-06-01', '2026-07-31', NULL, false),
	('BS2', 200, 'BS2', 'MENTAL_HEALTH_CRISIS', 'END', '2026-09-30', '2026-03-02', '2026-09-30', '2026-09-30', false);
INSERT INTO tpl.breathing_space_debt VALUES
	('BS2', 102, 'CT4', 'COUNCIL_TAX', 10000),
	('BS1', 112, 'CT1', 'COUNCIL_TAX', 70000),
	('BS1', 113, 'OP1', 'HOUSING_BENEFIT', 30000),
	('BS1', 114, 'SD1', 'OTHER', 4500),
	('BS4', 122, 'CT6', 'COUNCIL_TAX', 4000),
	('BS5', 132, 'OP7', 'HOUSING_BENEFIT', 7000),
	('BS6', 142, 'INV3', 'ADULT_SOCIAL_CARE', 1500),
	('BS7', 152, 'CT7', 'COUNCIL_TAX', 3000),
	('BS1', 172, 'T9', 'RENT', 30000),
	('BS1', 173, 'INV1', 'ADULT_SOCIAL_CARE', 60000);
INSERT INTO tpl.link VALUES
	('council_tax', 'CT1:1', 1, 'name_dob', NULL),
	('council_tax', 'CT2:1', 1, 'name_dob', NULL),
	('council_tax', 'CT3:1', 1, 'name_dob', NULL),
	('council_tax', 'CT1:2', 2, 'none', NULL),
	('council_tax', 'CT4:1', 3, 'name_dob', NULL),
	('council_tax', 'CT5:1', 3, 'name_dob', NULL),
	('council_tax', 'CT6:1', 4, 'name_dob', NULL),
	('council_tax', 'CT7:1', 5, 'name_dob', NULL),
	('housing_benefit', 'HB1', 1, 'nino_stem', NULL),
	('housing_benefit', 'HB4', 4, 'nino_stem', NULL),
	('housing_benefit', 'HB7', 7, 'none', NULL),
	('rent', 'T1:1', 1, 'nino_stem', NULL),
	('rent', 'T2:1', 1, 'nino_stem', NULL),
	('rent', 'T3:1', 1, 'nino_stem', NULL),
	('rent', 'T9:1', 9, 'none', NULL),
	('rent', 'T5:1', 5, 'name_dob', NULL),
	('rent', 'T4:1', 3, 'name_dob', NULL),
	('adult_social_care', 'C1', 1, 'nhs_number', NULL),
	('adult_social_care', 'C1b', 1, 'uprn_surname_dob', NULL),
	('adult_social_care', 'C8', 8, 'none', NULL),
	('breathing_space', 'BS1', 1, 'nino_stem', NULL),
	('breathing_space', 'BS2', 3, 'name_dob', NULL),
	('breathing_space', 'BS4', 4, 'name_dob', NULL),
	('breathing_space', 'BS5', 50, 'none', NULL),
	('breathing_space', 'BS7', 5, 'surname_initial_dob_postcode', NULL),
	('breathing_space', 'BS9', 6, 'none', NULL);

-- Moratorium state: active from the start date, through a STANDARD end
-- date inclusive; a crisis moratorium has no end until its END notice; a
-- cancellation stops it on its effective date.
SELECT is(pg_temp.mor('2026-05-17', 'BS1', 'status'), 'pending', 'BS1 the day before its start: pending');
SELECT is(pg_temp.mor('2026-05-18', 'BS1', 'status'), 'active_standard', 'BS1 on its start date: active');
SELECT is(pg_temp.mor('2026-07-17', 'BS1', 'status'), 'active_standard', 'BS1 on its end date: still active');
SELECT is(pg_temp.mor('2026-07-18', 'BS1', 'status'), 'ended', 'BS1 the day after its end date: ended');
SELECT is(pg_temp.mor('2026-05-18', 'BS1', 'end_date'), '2026-07-17', 'BS1 end date taken from the notice');
SELECT is(pg_temp.mor('2026-03-01', 'BS2', 'status'), 'pending', 'MHCM the day before its start: pending');
SELECT is(pg_temp.mor('2026-03-02', 'BS2', 'status'), 'active_mhcm', 'MHCM on its start date: active');
SELECT is(pg_temp.mor('2026-09-29', 'BS2', 'status'), 'active_mhcm', 'MHCM without an END notice: active');
SELECT is(pg_temp.mor('2026-09-29', 'BS2', 'end_date'), NULL, 'MHCM without an END notice: no end date (a later END is not yet known)');
SELECT is(pg_temp.mor('2026-09-30', 'BS2', 'status'), 'active_mhcm', 'MHCM on the end date its END gives: still active');
SELECT is(pg_temp.mor('2026-09-30', 'BS2', 'end_date'), '2026-09-30', 'MHCM end date from its END notice');
SELECT is(pg_temp.mor('2026-10-01', 'BS2', 'status'), 'ended', 'MHCM the day after its END end date: ended');
SELECT is(pg_temp.mor('2026-06-15', 'BS4', 'status'), 'active_standard', 'cancelled moratorium the day before the cancellation takes effect: active');
SELECT is(pg_temp.mor('2026-06-16', 'BS4', 'status'), 'cancelled', 'cancelled moratorium on its effective date: cancelled');
SELECT is(pg_temp.mor('2026-06-16', 'BS4', 'cancelled_from'), '2026-06-16', 'cancellation effective date from the notice');
SELECT is(pg_temp.mor('2026-06-20', 'BS9', 'status'), 'active_standard', 'cancellation with no effective date, on its registration date: active');
SELECT is(pg_temp.mor('2026-06-21', 'BS9', 'status'), 'cancelled', 'cancellation with no effective date: cancelled the day after registration');
SELECT is(pg_temp.mor('2026-06-15', 'BS5', 'matched'), 'false', 'a notice that joined no one (a resident of its own) is unmatched');
SELECT is(pg_temp.mor('2026-06-15', 'BS6', 'resident_id'), NULL, 'a notice with no link has no resident');
SELECT is(pg_temp.mor('2026-06-15', 'BS1', 'matched'), 'true', 'BS1 is matched');

-- Protection by residency, on each boundary of BS1.
SELECT is(pg_temp.st('2026-05-17', 'council_tax', 1), 'none/', 'CT arrears the day before the start: not protected');
SELECT is(pg_temp.st('2026-05-18', 'council_tax', 1), 'protected/', 'CT arrears on the start date: protected');
SELECT is(pg_temp.st('2026-07-17', 'council_tax', 1), 'protected/', 'CT arrears on the end date: protected');
SELECT is(pg_temp.st('2026-07-18', 'council_tax', 1), 'none/', 'CT arrears the day after the end: not protected');
SELECT is(pg_temp.dl('2026-05-18', 'council_tax', 1, 'protected_from'), '2026-05-18', 'protected from the moratorium start');
SELECT is(pg_temp.dl('2026-05-18', 'council_tax', 1, 'moratorium_ref'), 'BS1', 'the protecting moratorium is named');
SELECT is(pg_temp.dl('2026-05-18', 'council_tax', 1, 'hold'), 'true', 'a protected line is held');
SELECT is(pg_temp.dl('2026-05-18', 'council_tax', 1, 'source_ref'), 'CT1 2025/26', 'CT source reference: account and financial year');
SELECT is(pg_temp.st('2026-05-18', 'council_tax', 5), 'none/', 'joint CT: the partner''s line of a named account is not protected');
SELECT is(pg_temp.st('2026-05-18', 'housing_benefit', 10), 'protected/', 'HB overpayment (claimant error, invoice): protected');

-- Current-year council tax.
SELECT is(pg_temp.st('2026-05-18', 'council_tax', 2), 'protected/', 'current-year CT with a reminder served before the start: protected');
SELECT is(pg_temp.st('2026-05-18', 'council_tax', 3), 'excluded/current_year_council_tax', 'current-year CT with no reminder: excluded');
SELECT is(pg_temp.st('2026-05-18', 'council_tax', 4), 'excluded/current_year_council_tax', 'current-year CT with a reminder on the start date: excluded');
SELECT is(pg_temp.st('2026-03-31', 'council_tax', 42), 'excluded/current_year_council_tax', 'CT of the year still running (31 March), no reminder: excluded');
SELECT is(pg_temp.st('2026-04-01', 'council_tax', 42), 'protected/', 'the same CT once its year has ended (all instalments due): protected');
SELECT is(pg_temp.st('2026-04-01', 'council_tax', 43), 'excluded/arose_after_start', 'CT of a year starting after the moratorium start: arose after start');

-- Exclusions and reviews.
SELECT is(pg_temp.st('2026-05-18', 'housing_benefit', 11), 'excluded/fraud_overpayment', 'HB overpayment caused by fraud: excluded');
SELECT is(pg_temp.st('2026-05-18', 'adult_social_care', 21), 'excluded/deferred_payment_agreement', 'deferred payment agreement: excluded');
SELECT is(pg_temp.st('2026-05-18', 'housing_benefit', 12), 'review/hb_ongoing_deduction', 'HB recovered from ongoing HB: review');
SELECT is(pg_temp.dl('2026-05-18', 'housing_benefit', 12, 'hold'), 'true', 'a line under review is held until a person decides');
SELECT is(pg_temp.st('2026-05-18', 'housing_benefit', 13), 'excluded/arose_after_start', 'overpayment established on the start date: arose after start');
SELECT is(pg_temp.st('2026-05-18', 'housing_benefit', 14), 'protected/', 'overpayment established the day before the start: protected');
SELECT is(pg_temp.st('2026-05-18', 'adult_social_care', 23), 'review/low_confidence_match', 'debt linked to the resident by a low-confidence rule: review');
SELECT is(pg_temp.st('2026-06-15', 'rent', 34), 'review/low_confidence_match', 'moratorium matched by a low-confidence rule, debt not named: review');
SELECT is(pg_temp.st('2026-06-15', 'council_tax', 45), 'protected/', 'moratorium matched by a low-confidence rule, debt named: protected');
SELECT is(pg_temp.st('2026-06-15', 'housing_benefit', 15), 'review/address_withheld', 'address withheld, debt found by search: review');
SELECT is(pg_temp.st('2026-06-15', 'council_tax', 44), 'protected/', 'address withheld, debt named: protected');
SELECT is(pg_temp.st('2026-06-16', 'council_tax', 44), 'none/', 'on the cancellation''s effective date: no longer protected');
SELECT is(pg_temp.st('2026-05-31', 'housing_benefit', 16), 'none/', 'debt named by an unmatched notice, before its start: nothing');
SELECT is(pg_temp.st('2026-06-15', 'housing_benefit', 16), 'review/unmatched_notification', 'debt named by a notice matched to no debtor: review');
SELECT is(pg_temp.st('2026-06-15', 'adult_social_care', 22), 'review/unmatched_notification', 'debt named by a notice with no link: review');

-- Rent: current rent is an ongoing liability; arrears are debts.
SELECT is(pg_temp.st('2026-05-18', 'rent', 30), 'protected/', 'arrears on a current tenancy: protected');
SELECT is(pg_temp.dl('2026-05-18', 'rent', 30, 'ongoing_weekly'), '10000', 'current tenancy: the weekly rent stays payable');
SELECT is(pg_temp.st('2026-05-18', 'rent', 31), 'ongoing_liability/current_rent', 'current tenancy without arrears: ongoing liability');
SELECT is(pg_temp.st('2026-05-18', 'rent', 32), 'none/no_balance', 'a credit balance is not a debt');

-- A debt added mid-moratorium.
SELECT is(pg_temp.st('2026-06-10', 'rent', 33), 'none/', 'debt of another record named by DEBT_ADDED, on the notice''s registration date: not yet protected');
SELECT is(pg_temp.st('2026-06-11', 'rent', 33), 'protected/', 'the same debt the day after the DEBT_ADDED registration: protected');
SELECT is(pg_temp.dl('2026-06-11', 'rent', 33, 'protected_from'), '2026-06-11', 'protected from the day after the DEBT_ADDED registration');
SELECT is(pg_temp.dl('2026-05-20', 'adult_social_care', 20, 'protected_from'), '2026-05-18', 'the resident''s own debt named later by DEBT_ADDED: protected from the start (residency)');

-- MHCM.
SELECT is(pg_temp.st('2026-03-01', 'council_tax', 40), 'none/', 'MHCM: the day before the start');
SELECT is(pg_temp.st('2026-03-02', 'council_tax', 40), 'protected/', 'MHCM: on the start date');
SELECT is(pg_temp.st('2026-09-29', 'council_tax', 40), 'protected/', 'MHCM without END: still protected months later');
SELECT is(pg_temp.st('2026-09-30', 'council_tax', 40), 'protected/', 'MHCM on the END end date: protected');
SELECT is(pg_temp.st('2026-10-01', 'council_tax', 40), 'none/', 'MHCM the day after the END end date: not protected');

-- Stages, priority.
SELECT is(pg_temp.dl('2026-06-05', 'adult_social_care', 23, 'recovery_stage'), 'INVOICED', 'social care invoice on its due date: INVOICED');
SELECT is(pg_temp.dl('2026-06-06', 'adult_social_care', 23, 'recovery_stage'), 'OVERDUE', 'social care invoice after its due date: OVERDUE');
SELECT is(pg_temp.dl('2026-05-18', 'housing_benefit', 10, 'recovery_stage'), 'INVOICE', 'HB stage is its recovery method');
SELECT is(pg_temp.dl('2026-05-18', 'council_tax', 1, 'priority'), 'true', 'council tax is a priority debt');
SELECT is(pg_temp.dl('2026-05-18', 'rent', 30, 'priority'), 'true', 'rent is a priority debt');
SELECT is(pg_temp.dl('2026-05-18', 'housing_benefit', 10, 'priority'), 'false', 'HB overpayment is not');

-- Priority is configuration, and a run keeps the configuration it was made with.
SELECT pg_temp.at('2026-08-01');
UPDATE svod.service_priority SET priority = true WHERE service = 'housing_benefit';
SELECT is(pg_temp.dl('2026-08-02', 'housing_benefit', 10, 'priority'), 'true', 'a run made after the change: HB priority');
SELECT is(pg_temp.dl('2026-08-01', 'housing_benefit', 10, 'priority'), 'false', 'a run made before the change keeps its own configuration');
UPDATE svod.service_priority SET priority = false WHERE service = 'housing_benefit';

-- resident_debt.
SELECT is(pg_temp.rd('2026-06-01', 1, 'council_tax_total'), '97000', 'CT total (pence)');
SELECT is(pg_temp.rd('2026-06-01', 1, 'housing_benefit_total'), '113000', 'HB total');
SELECT is(pg_temp.rd('2026-06-01', 1, 'rent_total'), '19500', 'rent total (a credit nets off)');
SELECT is(pg_temp.rd('2026-06-01', 1, 'adult_social_care_total'), '267000', 'social care total');
SELECT is(pg_temp.rd('2026-06-01', 1, 'total'), '496500', 'overall total');
SELECT is(pg_temp.rd('2026-06-01', 1, 'priority_total'), '116500', 'priority total (CT and rent)');
SELECT is(pg_temp.rd('2026-06-01', 1, 'protected_total'), '188000', 'protected total');
SELECT is(pg_temp.rd('2026-06-01', 1, 'debt_lines'), '15', 'debt lines');
SELECT is(pg_temp.rd('2026-06-01', 1, 'review_lines'), '2', 'lines under review');
SELECT is(pg_temp.rd('2026-06-01', 1, 'hold_recovery'), 'true', 'hold recovery while a protected debt exists');
SELECT is(pg_temp.rd('2026-06-01', 1, 'bs_status'), 'active_standard', 'status active_standard');
SELECT is(pg_temp.rd('2026-06-01', 1, 'bs_ref'), 'BS1', 'moratorium reference');
SELECT is(pg_temp.rd('2026-06-01', 1, 'bs_kind'), 'STANDARD', 'moratorium kind');
SELECT is(pg_temp.rd('2026-06-01', 1, 'bs_start'), '2026-05-18', 'moratorium start');
SELECT is(pg_temp.rd('2026-06-01', 1, 'bs_end'), '2026-07-17', 'moratorium end');
SELECT is(pg_temp.rd('2026-06-01', 1, 'highest_stage'), 'LIABILITY_ORDER', 'highest recovery stage');
SELECT is(pg_temp.rd('2026-06-01', 1, 'highest_stage_service'), 'council_tax', 'service of the highest stage');
SELECT is(pg_temp.rd('2026-06-01', 1, 'highest_severity_name'), 'court_order', 'severity of the highest stage');
SELECT is(pg_temp.rd('2026-06-01', 3, 'highest_stage'), 'OUTRIGHT_ORDER', 'across services, the more severe stage wins (rent outright order over CT summons)');
SELECT is(pg_temp.rd('2026-06-01', 1, 'council_tax_data_as_of'), '2026-05-31', 'each service''s data-as-of date');
SELECT is(pg_temp.rd('2026-06-01', 1, 'rent_data_as_of'), '2026-05-24', 'rent data carried forward: its own date');
SELECT is(pg_temp.rd('2026-06-01', 1, 'stale_feeds'), 'rent', 'stale feeds are listed');
SELECT is(pg_temp.rd('2026-06-01', 1, 'as_of'), '2026-06-01', 'the run''s as-of date');
SELECT is(pg_temp.rd('2026-05-17', 1, 'bs_status'), 'pending', 'the day before the start: pending');
SELECT is(pg_temp.rd('2026-05-17', 1, 'hold_recovery'), 'false', 'the day before the start: no hold');
SELECT is(pg_temp.rd('2026-05-17', 1, 'protected_total'), '0', 'the day before the start: nothing protected');
SELECT is(pg_temp.rd('2026-07-18', 1, 'bs_status'), 'ended', 'after the end: ended');
SELECT is(pg_temp.rd('2026-07-18', 1, 'hold_recovery'), 'false', 'after the end: no hold');
SELECT is(pg_temp.rd('2026-03-02', 3, 'bs_status'), 'active_mhcm', 'status active_mhcm');
SELECT is(pg_temp.rd('2026-06-01', 3, 'bs_end'), NULL, 'MHCM without END: no end');
SELECT is(pg_temp.rd('2026-10-01', 3, 'bs_status'), 'ended', 'MHCM after its END: ended');
SELECT is(pg_temp.rd('2026-10-01', 3, 'bs_end'), '2026-09-30', 'MHCM end from its END');
SELECT is(pg_temp.rd('2026-06-16', 4, 'bs_status'), 'cancelled', 'status cancelled');
SELECT is(pg_temp.rd('2026-06-16', 4, 'bs_cancelled_from'), '2026-06-16', 'cancellation date shown');
SELECT is(pg_temp.rd('2026-06-16', 4, 'hold_recovery'), 'false', 'cancelled: no hold');
SELECT is(pg_temp.rd('2026-06-15', 4, 'hold_recovery'), 'true', 'before the cancellation takes effect: hold');
SELECT is(pg_temp.rd('2026-06-01', 2, 'bs_status'), 'none', 'the joint partner: no moratorium');
SELECT is(pg_temp.rd('2026-06-01', 2, 'hold_recovery'), 'false', 'the joint partner: no hold');
SELECT is(pg_temp.rd('2026-06-01', 2, 'priority_total'), '50000', 'joint liability: the partner owes the whole year too');
SELECT is(pg_temp.rd('2026-06-11', 9, 'hold_recovery'), 'true', 'a debt named by DEBT_ADDED holds its holder''s recovery');
SELECT is(pg_temp.rd('2026-06-11', 9, 'protected_total'), '30000', 'and counts as protected');
SELECT is(pg_temp.rd('2026-06-15', 7, 'hold_recovery'), 'true', 'a debt named by an unmatched notice is held');
SELECT is(pg_temp.rd('2026-06-15', 7, 'bs_status'), 'none', 'its holder has no moratorium of their own');
SELECT is(pg_temp.rd('2026-06-15', 50, 'bs_status'), 'active_standard', 'the unmatched notice is a resident of its own');

-- Every line appears once per run, whatever its moratoria.
SELECT is((SELECT count(*) FROM run_20260601.debt_line), 27::bigint, 'one row per debt line');
SELECT is((SELECT count(*) FROM run_20260601.resident_debt), 10::bigint, 'one row per resident');

SELECT * FROM finish();
ROLLBACK;
