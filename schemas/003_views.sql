-- 003_views: the consolidated view and its publication.
--
-- svod.create_run_views(run_schema) makes, inside a loaded run schema,
-- the views that hold the rules (schemas/views.md explains them in
-- prose):
--   moratorium       one row per breathing-space reference: its state
--   moratorium_debt  one row per debt a notice names, with the date from
--                    which that naming protects it
--   debt_line        one row per debt line with its breathing-space status
--   resident_debt    one row per resident: totals, stage, status, hold
--   contact          contact details of every source record (advisers)
--   resident_link    which resident each source record belongs to, and why
--   source_record    every keyed token of every source record, one per row
-- The run's as-of date and id are written into the views as constants, and
-- the configuration they read (svod.service_priority, svod.link_rule) is
-- copied into the run schema first, so a run's views never change after
-- the run, whatever is edited later.
--
-- svod.publish(run_schema) then repoints the adviser.* and auditor.* views
-- at that schema in the caller's transaction.

CREATE FUNCTION svod.create_run_views(run_schema text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	v_run svod.run%ROWTYPE;
	v_fy integer;
	v_sql text;
	v_parts text[] := '{}';
	v_feed text;
	v_cols text;
	v_rel text;
BEGIN
	SELECT * INTO v_run FROM svod.run r WHERE r.schema_name = run_schema;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'create_run_views: no run in svod.run has schema_name %',
		    quote_literal(run_schema) USING ERRCODE = 'no_data_found';
	END IF;
	-- The financial year (1 April to 31 March) holding the as-of date.
	v_fy := extract(year FROM v_run.as_of)::integer
	    - CASE WHEN extract(month FROM v_run.as_of) < 4 THEN 1 ELSE 0 END;

	-- The configuration this run is computed with (kept if already taken).
	EXECUTE format('CREATE TABLE IF NOT EXISTS %I.cfg_service_priority AS '
	    'SELECT service, priority, sort_order FROM svod.service_priority',
	    run_schema);
	EXECUTE format('CREATE TABLE IF NOT EXISTS %I.cfg_link_rule AS '
	    'SELECT rule, low_confidence FROM svod.link_rule', run_schema);

	-- moratorium: each reference's notices folded into one state.
	v_sql := $v$
CREATE OR REPLACE VIEW @run@.moratorium AS
WITH notice AS (
	SELECT b.ref, b.line, b.kind, b.event, b.registered, b.start_date,
	    b.effective_date, b.address_withheld,
	    -- The last day of protection a notice gives: an END notice's end
	    -- (else its effective date); any STANDARD notice's end date. A
	    -- crisis moratorium's START gives none: it runs until its END.
	    CASE WHEN b.event = 'END' THEN coalesce(b.end_date, b.effective_date)
	         WHEN b.kind = 'STANDARD' THEN b.end_date
	    END AS end_given
	FROM @run@.breathing_space b
	-- A notice registered after the as-of date is not known yet.
	WHERE b.registered <= @as_of@
), folded AS (
	SELECT n.ref,
	    (array_agg(n.kind ORDER BY n.event <> 'START', n.registered, n.line))[1]
	        AS kind,
	    coalesce(min(n.registered) FILTER (WHERE n.event = 'START'),
	        min(n.registered)) AS registered,
	    -- Dates come from the notices, never computed (DOMAIN.md 5).
	    coalesce(min(n.start_date) FILTER (WHERE n.event = 'START'),
	        min(n.start_date)) AS start_date,
	    -- The latest notice that gives an end date wins.
	    (array_agg(n.end_given ORDER BY n.registered DESC, n.line DESC)
	        FILTER (WHERE n.end_given IS NOT NULL))[1] AS end_date,
	    -- A cancellation takes effect on its effective date (the day after
	    -- its registration when the notice gives none): not active that day.
	    min(coalesce(n.effective_date, n.registered + 1))
	        FILTER (WHERE n.event = 'CANCELLED') AS cancelled_from,
	    coalesce(bool_or(n.address_withheld), false) AS address_withheld
	FROM notice n
	GROUP BY n.ref
), state AS (
	SELECT f.*,
	    CASE
	    WHEN f.cancelled_from <= @as_of@
	        AND (f.end_date IS NULL OR f.cancelled_from <= f.end_date)
	        THEN 'cancelled'
	    WHEN @as_of@ < f.start_date THEN 'pending'
	    WHEN @as_of@ > f.end_date THEN 'ended'	-- the end date is protected
	    ELSE 'active'
	    END AS state
	FROM folded f
)
SELECT s.ref::text AS ref,
    s.kind::text AS kind,
    l.resident_id::bigint AS resident_id,
    l.rule::text AS link_rule,
    coalesce(lr.low_confidence, false)::boolean AS low_confidence,
    -- Matched: linked to a resident who holds a debt record. A notice
    -- that joined no one is a resident of its own (rule 'none').
    EXISTS (SELECT 1 FROM @run@.link d
        WHERE d.resident_id = l.resident_id
          AND d.feed <> 'breathing_space')::boolean AS matched,
    s.registered::date AS registered,
    s.start_date::date AS start_date,
    s.end_date::date AS end_date,
    s.cancelled_from::date AS cancelled_from,
    s.address_withheld::boolean AS address_withheld,
    s.state::text AS state,
    (CASE WHEN s.state <> 'active' THEN s.state
          WHEN s.kind = 'STANDARD' THEN 'active_standard'
          ELSE 'active_mhcm' END)::text AS status
FROM state s
LEFT JOIN @run@.link l
    ON l.feed = 'breathing_space' AND l.source_key = s.ref
LEFT JOIN @run@.cfg_link_rule lr ON lr.rule = l.rule
$v$;
	EXECUTE svod.run_sql(v_sql, run_schema, v_run, v_fy);

	-- moratorium_debt: each <debt> belongs to the notice of the same ref
	-- that starts nearest before it in the file (greatest line <= its own).
	v_sql := $v$
CREATE OR REPLACE VIEW @run@.moratorium_debt AS
SELECT d.ref::text AS ref,
    d.line::bigint AS line,
    d.creditor_ref::text AS creditor_ref,
    d.debt_type::text AS debt_type,
    d.debt_amount::bigint AS debt_amount,
    n.event::text AS notice_event,
    n.registered::date AS notice_registered,
    -- Named at the start: protected from the start. Added later: from the
    -- day after that notice's registration (never before the start).
    (CASE WHEN n.event = 'START' THEN m.start_date
          ELSE greatest(n.registered + 1, m.start_date) END)::date
        AS named_from
FROM @run@.breathing_space_debt d
JOIN LATERAL (
	SELECT b.event, b.registered
	FROM @run@.breathing_space b
	WHERE b.ref = d.ref AND b.line <= d.line
	ORDER BY b.line DESC
	LIMIT 1
) n ON true
JOIN @run@.moratorium m ON m.ref = d.ref
$v$;
	EXECUTE svod.run_sql(v_sql, run_schema, v_run, v_fy);

	-- debt_line: the rules.
	v_sql := $v$
CREATE OR REPLACE VIEW @run@.debt_line AS
WITH src AS (
	-- One row per debt line of each feed. origin_date is when the debt
	-- arose; creditor_ref is what a notice names (debt/@creditorRef).
	SELECT 'council_tax'::text AS service, c.source_key, c.line,
	    'COUNCIL_TAX'::text AS debt_type, c.account_ref AS creditor_ref,
	    c.account_ref || ' ' || c.financial_year || '/'
	        || lpad(((c.financial_year + 1) % 100)::text, 2, '0') AS source_ref,
	    c.financial_year, c.balance, c.recovery_stage AS stage,
	    make_date(c.financial_year, 4, 1) AS origin_date, c.reminder_date,
	    NULL::text AS cause, NULL::text AS recovery_method,
	    NULL::text AS invoice_type, NULL::text AS tenancy_status,
	    NULL::bigint AS ongoing_weekly
	FROM @run@.council_tax c
	UNION ALL
	SELECT 'housing_benefit', h.source_key, h.line, 'HOUSING_BENEFIT',
	    h.overpayment_ref, h.overpayment_ref, NULL, h.balance,
	    h.recovery_method, h.overpayment_date, NULL, h.cause,
	    h.recovery_method, NULL, NULL, NULL
	FROM @run@.housing_benefit h
	UNION ALL
	-- Rent arrears have no single origin date: never "arose after start".
	SELECT 'rent', r.source_key, r.line, 'RENT', r.tenancy_ref,
	    r.tenancy_ref, NULL, r.arrears, r.stage, NULL, NULL, NULL, NULL,
	    NULL, r.tenancy_status,
	    CASE WHEN r.tenancy_status = 'CURRENT' THEN r.weekly_rent END
	FROM @run@.rent r
	UNION ALL
	SELECT 'adult_social_care', a.source_key, a.line, 'ADULT_SOCIAL_CARE',
	    a.invoice_ref, a.invoice_ref, NULL, a.balance,
	    CASE WHEN a.due < @as_of@ THEN 'OVERDUE' ELSE 'INVOICED' END,
	    a.issued, NULL, NULL, NULL, a.invoice_type, NULL, NULL
	FROM @run@.adult_social_care a
), x AS NOT MATERIALIZED (
	-- Not materialised: a look-up of one resident can then use the
	-- link table's index instead of computing every line.
	SELECT s.*, l.resident_id, l.rule AS link_rule,
	    coalesce(lr.low_confidence, false) AS link_low
	FROM src s
	LEFT JOIN @run@.link l
	    ON l.feed = s.service AND l.source_key = s.source_key
	LEFT JOIN @run@.cfg_link_rule lr ON lr.rule = l.rule
), cand AS (
	-- (1) Every debt of the resident an active moratorium is matched to,
	-- from its start: the council must search its records for them.
	SELECT x.service, x.source_key, x.line, m.ref, 1 AS via_rank,
	    'resident'::text AS via, m.start_date AS protected_from,
	    m.start_date, m.low_confidence, m.address_withheld,
	    EXISTS (SELECT 1 FROM @run@.moratorium_debt md
	        WHERE md.ref = m.ref AND md.debt_type = x.debt_type
	          AND md.creditor_ref = x.creditor_ref
	          AND md.named_from <= @as_of@) AS named
	FROM x
	JOIN @run@.moratorium m
	    ON m.resident_id = x.resident_id AND m.state = 'active'
	UNION ALL
	-- (2) A debt a notice names whose record is not linked to the
	-- moratorium's resident, when no record with that reference is
	-- (a joint debt of the debtor and someone else protects only the
	-- debtor's line): from the naming date. When the notice matched no
	-- one holding a debt record it is an unmatched notification.
	SELECT x.service, x.source_key, x.line, m.ref,
	    CASE WHEN m.matched THEN 2 ELSE 3 END,
	    CASE WHEN m.matched THEN 'named' ELSE 'unmatched' END,
	    min(md.named_from), m.start_date, m.low_confidence,
	    m.address_withheld, true
	FROM x
	JOIN @run@.moratorium_debt md
	    ON md.debt_type = x.debt_type AND md.creditor_ref = x.creditor_ref
	   AND md.named_from <= @as_of@
	JOIN @run@.moratorium m ON m.ref = md.ref AND m.state = 'active'
	WHERE x.resident_id IS DISTINCT FROM m.resident_id
	  AND NOT EXISTS (SELECT 1 FROM x y
	      WHERE y.debt_type = x.debt_type AND y.creditor_ref = x.creditor_ref
	        AND y.resident_id = m.resident_id)
	GROUP BY x.service, x.source_key, x.line, m.ref, m.matched,
	    m.start_date, m.low_confidence, m.address_withheld
), g AS (
	-- One governing moratorium per line: by residency first, then the
	-- earliest protection, then the reference.
	SELECT DISTINCT ON (cand.service, cand.source_key, cand.line) cand.*
	FROM cand
	ORDER BY cand.service, cand.source_key, cand.line, cand.via_rank,
	    cand.protected_from, cand.ref
), c AS (
	-- The status, as "status/reason". Order matters: the first match wins.
	SELECT x.*, g.ref AS moratorium_ref, g.protected_from,
	    CASE
	    WHEN g.ref IS NULL THEN 'none/'
	    -- Current rent is an ongoing liability, not a debt.
	    WHEN x.tenancy_status = 'CURRENT' AND x.balance <= 0
	        THEN 'ongoing_liability/current_rent'
	    WHEN x.balance <= 0 THEN 'none/no_balance'
	    -- Excluded debts (SI 2020/1311; DOMAIN.md 5).
	    WHEN x.cause = 'FRAUD' THEN 'excluded/fraud_overpayment'
	    WHEN x.invoice_type = 'DEFERRED_PAYMENT'
	        THEN 'excluded/deferred_payment_agreement'
	    WHEN x.origin_date >= g.start_date THEN 'excluded/arose_after_start'
	    WHEN x.service = 'council_tax' AND x.financial_year = @fy@
	        AND (x.reminder_date IS NULL OR x.reminder_date >= g.start_date)
	        THEN 'excluded/current_year_council_tax'
	    -- Qualifying, but a person must decide.
	    WHEN g.via = 'unmatched' THEN 'review/unmatched_notification'
	    WHEN x.recovery_method = 'ONGOING_HB' THEN 'review/hb_ongoing_deduction'
	    WHEN g.via = 'resident' AND NOT g.named
	        AND (g.low_confidence OR x.link_low)
	        THEN 'review/low_confidence_match'
	    WHEN g.via = 'resident' AND NOT g.named AND g.address_withheld
	        THEN 'review/address_withheld'
	    ELSE 'protected/'
	    END AS cls
	FROM x
	LEFT JOIN g USING (service, source_key, line)
)
SELECT c.resident_id::bigint AS resident_id,
    c.service::text AS service,
    c.source_key::text AS source_key,
    c.line::bigint AS line,
    c.creditor_ref::text AS creditor_ref,
    c.source_ref::text AS source_ref,
    c.financial_year::integer AS financial_year,
    c.balance::bigint AS balance,
    c.stage::text AS recovery_stage,
    rs.severity::integer AS severity,
    sp.priority::boolean AS priority,
    c.origin_date::date AS origin_date,
    c.ongoing_weekly::bigint AS ongoing_weekly,
    split_part(c.cls, '/', 1)::text AS bs_status,
    nullif(split_part(c.cls, '/', 2), '')::text AS bs_reason,
    c.moratorium_ref::text AS moratorium_ref,
    (CASE WHEN split_part(c.cls, '/', 1) IN ('protected', 'review')
          THEN c.protected_from END)::date AS protected_from,
    (split_part(c.cls, '/', 1) IN ('protected', 'review'))::boolean AS hold,
    c.link_rule::text AS link_rule
FROM c
JOIN @run@.cfg_service_priority sp ON sp.service = c.service
LEFT JOIN svod.recovery_stage rs
    ON rs.service = c.service AND rs.stage = c.stage
$v$;
	EXECUTE svod.run_sql(v_sql, run_schema, v_run, v_fy);

	-- resident_debt: one row per resident of the run's links.
	v_sql := $v$
CREATE OR REPLACE VIEW @run@.resident_debt AS
WITH r AS (
	SELECT DISTINCT l.resident_id FROM @run@.link l
	WHERE l.resident_id IS NOT NULL
), t AS (
	SELECT d.resident_id,
	    sum(d.balance) FILTER (WHERE d.service = 'council_tax') AS ct,
	    sum(d.balance) FILTER (WHERE d.service = 'housing_benefit') AS hb,
	    sum(d.balance) FILTER (WHERE d.service = 'rent') AS rent,
	    sum(d.balance) FILTER (WHERE d.service = 'adult_social_care') AS asc_,
	    sum(d.balance) AS total,
	    sum(d.balance) FILTER (WHERE d.priority) AS priority_total,
	    sum(d.balance) FILTER (WHERE d.bs_status = 'protected') AS protected_total,
	    count(*) AS debt_lines,
	    count(*) FILTER (WHERE d.bs_status = 'review') AS review_lines,
	    bool_or(d.hold) AS hold_recovery
	FROM @run@.debt_line d
	WHERE d.resident_id IS NOT NULL
	GROUP BY d.resident_id
), top AS (
	-- Highest stage: greatest severity among lines still owing; ties go
	-- to the service first in sort_order, then the later stage.
	SELECT DISTINCT ON (d.resident_id) d.resident_id, d.service,
	    d.recovery_stage, d.severity
	FROM @run@.debt_line d
	JOIN @run@.cfg_service_priority sp ON sp.service = d.service
	LEFT JOIN svod.recovery_stage rs
	    ON rs.service = d.service AND rs.stage = d.recovery_stage
	WHERE d.resident_id IS NOT NULL AND d.balance > 0
	ORDER BY d.resident_id, d.severity DESC NULLS LAST, sp.sort_order,
	    rs.stage_order DESC, d.source_ref, d.line
), mor AS (
	-- The resident's moratorium to show: an active one, else a pending
	-- one, else the latest to start.
	SELECT DISTINCT ON (m.resident_id) m.*
	FROM @run@.moratorium m
	WHERE m.resident_id IS NOT NULL
	ORDER BY m.resident_id,
	    CASE m.state WHEN 'active' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END,
	    m.start_date DESC, m.ref
), inp AS (
	SELECT
	    max(i.data_as_of) FILTER (WHERE i.feed = 'council_tax') AS ct,
	    max(i.data_as_of) FILTER (WHERE i.feed = 'housing_benefit') AS hb,
	    max(i.data_as_of) FILTER (WHERE i.feed = 'rent') AS rent,
	    max(i.data_as_of) FILTER (WHERE i.feed = 'adult_social_care') AS asc_,
	    max(i.data_as_of) FILTER (WHERE i.feed = 'breathing_space') AS bs,
	    coalesce(string_agg(i.feed, ',' ORDER BY i.feed)
	        FILTER (WHERE i.stale), '') AS stale
	FROM svod.run_input i
	WHERE i.run_id = @run_id@
)
SELECT r.resident_id::bigint AS resident_id,
    @as_of@::date AS as_of,
    coalesce(t.ct, 0)::bigint AS council_tax_total,
    coalesce(t.hb, 0)::bigint AS housing_benefit_total,
    coalesce(t.rent, 0)::bigint AS rent_total,
    coalesce(t.asc_, 0)::bigint AS adult_social_care_total,
    coalesce(t.total, 0)::bigint AS total,
    coalesce(t.priority_total, 0)::bigint AS priority_total,
    coalesce(t.protected_total, 0)::bigint AS protected_total,
    coalesce(t.debt_lines, 0)::bigint AS debt_lines,
    coalesce(t.review_lines, 0)::bigint AS review_lines,
    top.service::text AS highest_stage_service,
    top.recovery_stage::text AS highest_stage,
    top.severity::integer AS highest_severity,
    sv.name::text AS highest_severity_name,
    coalesce(mor.status, 'none')::text AS bs_status,
    mor.ref::text AS bs_ref,
    mor.kind::text AS bs_kind,
    mor.start_date::date AS bs_start,
    mor.end_date::date AS bs_end,
    mor.cancelled_from::date AS bs_cancelled_from,
    coalesce(t.hold_recovery, false)::boolean AS hold_recovery,
    inp.ct::date AS council_tax_data_as_of,
    inp.hb::date AS housing_benefit_data_as_of,
    inp.rent::date AS rent_data_as_of,
    inp.asc_::date AS adult_social_care_data_as_of,
    inp.bs::date AS breathing_space_data_as_of,
    inp.stale::text AS stale_feeds
FROM r
LEFT JOIN t ON t.resident_id = r.resident_id
LEFT JOIN top ON top.resident_id = r.resident_id
LEFT JOIN svod.severity sv ON sv.severity = top.severity
LEFT JOIN mor ON mor.resident_id = r.resident_id
CROSS JOIN inp
$v$;
	EXECUTE svod.run_sql(v_sql, run_schema, v_run, v_fy);

	-- contact: the display fields of every source record, for advisers.
	-- address_withheld: an active or pending notice withheld this
	-- resident's address for their safety; check before writing to any.
	v_sql := $v$
CREATE OR REPLACE VIEW @run@.contact AS
WITH c AS (
	SELECT 'council_tax'::text AS feed, source_key, title, forename,
	    middle_names, surname, address_1, address_2, address_3, address_4,
	    postcode, NULL::text AS adviser_organisation,
	    NULL::text AS adviser_reference, NULL::text AS adviser_phone
	FROM @run@.council_tax_contact
	UNION
	SELECT 'housing_benefit', source_key, title, forename, NULL, surname,
	    address_1, address_2, address_3, address_4, postcode, NULL, NULL, NULL
	FROM @run@.housing_benefit_contact
	UNION
	SELECT 'rent', source_key, title, forename, NULL, surname,
	    address_1, address_2, address_3, address_4, postcode, NULL, NULL, NULL
	FROM @run@.rent_contact
	UNION
	SELECT 'adult_social_care', source_key, title, forename, NULL, surname,
	    address_1, address_2, address_3, address_4, postcode, NULL, NULL, NULL
	FROM @run@.adult_social_care_contact
	UNION
	SELECT 'breathing_space', source_key, NULL, forename, middle_names,
	    surname, address_1, address_2, address_3, address_4, postcode,
	    adviser_organisation, adviser_reference, adviser_phone
	FROM @run@.breathing_space_contact
), w AS (
	SELECT m.resident_id, bool_or(m.address_withheld) AS withheld
	FROM @run@.moratorium m
	WHERE m.resident_id IS NOT NULL AND m.state IN ('active', 'pending')
	GROUP BY m.resident_id
)
SELECT c.feed::text AS feed,
    c.source_key::text AS source_key,
    l.resident_id::bigint AS resident_id,
    c.title::text AS title,
    c.forename::text AS forename,
    c.middle_names::text AS middle_names,
    c.surname::text AS surname,
    c.address_1::text AS address_1,
    c.address_2::text AS address_2,
    c.address_3::text AS address_3,
    c.address_4::text AS address_4,
    c.postcode::text AS postcode,
    c.adviser_organisation::text AS adviser_organisation,
    c.adviser_reference::text AS adviser_reference,
    c.adviser_phone::text AS adviser_phone,
    coalesce(w.withheld, false)::boolean AS address_withheld
FROM c
LEFT JOIN @run@.link l ON l.feed = c.feed AND l.source_key = c.source_key
LEFT JOIN w ON w.resident_id = l.resident_id
$v$;
	EXECUTE svod.run_sql(v_sql, run_schema, v_run, v_fy);

	-- resident_link: the links with their evidence (rule and weight).
	v_sql := $v$
CREATE OR REPLACE VIEW @run@.resident_link AS
SELECT l.feed::text AS feed,
    l.source_key::text AS source_key,
    l.resident_id::bigint AS resident_id,
    l.rule::text AS rule,
    l.weight::double precision AS weight,
    coalesce(lr.low_confidence, false)::boolean AS low_confidence
FROM @run@.link l
LEFT JOIN @run@.cfg_link_rule lr ON lr.rule = l.rule
$v$;
	EXECUTE svod.run_sql(v_sql, run_schema, v_run, v_fy);

	-- source_record: the keyed tokens, one row per (record, purpose), so
	-- that a new token purpose never changes the view's columns.
	FOREACH v_feed IN ARRAY ARRAY['council_tax', 'housing_benefit', 'rent',
	    'adult_social_care', 'breathing_space']
	LOOP
		SELECT string_agg(format('(%L, t.%I)', substr(a.attname, 5),
		    a.attname), ', ' ORDER BY a.attnum)
		INTO v_cols
		FROM pg_attribute a
		WHERE a.attrelid = format('%I.%I', run_schema, v_feed)::regclass
		  AND a.attname LIKE 'tok\_%' AND a.attnum > 0
		  AND NOT a.attisdropped;
		IF v_cols IS NOT NULL THEN
			v_parts := v_parts || format('SELECT %L::text AS feed, '
			    't.source_key::text AS source_key, t.line::bigint AS line, '
			    'v.purpose::text AS purpose, v.token::bytea AS token '
			    'FROM %I.%I t CROSS JOIN LATERAL (VALUES %s) '
			    'AS v(purpose, token) WHERE v.token IS NOT NULL',
			    v_feed, run_schema, v_feed, v_cols);
		END IF;
	END LOOP;
	IF cardinality(v_parts) = 0 THEN
		v_parts := ARRAY['SELECT NULL::text AS feed, NULL::text AS source_key, '
		    'NULL::bigint AS line, NULL::text AS purpose, '
		    'NULL::bytea AS token WHERE false'];
	END IF;
	EXECUTE format('CREATE OR REPLACE VIEW %I.source_record AS %s',
	    run_schema, array_to_string(v_parts, E'\nUNION ALL\n'));

	-- Rights. Nothing for PUBLIC. The loader reads everything (the
	-- adviser.* and auditor.* views it owns select from here); auditors
	-- may read any kept run except its contact details.
	EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', run_schema);
	EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM PUBLIC',
	    run_schema);
	EXECUTE format('GRANT USAGE ON SCHEMA %I TO svod_loader, svod_auditor',
	    run_schema);
	EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO svod_loader',
	    run_schema);
	FOR v_rel IN
		SELECT c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = run_schema AND c.relkind IN ('r', 'v', 'p')
		  AND c.relname NOT LIKE '%contact'
		ORDER BY c.relname
	LOOP
		EXECUTE format('GRANT SELECT ON %I.%I TO svod_auditor',
		    run_schema, v_rel);
	END LOOP;
END
$fn$;

-- Substitute a run's constants into a view's text: @run@ (the schema,
-- quoted), @as_of@ (a date literal), @run_id@ and @fy@ (the financial
-- year holding the as-of date, by its starting year).
CREATE FUNCTION svod.run_sql(sql text, run_schema text, run svod.run,
    fy integer)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
	SELECT replace(replace(replace(replace(sql,
	    '@run@', quote_ident(run_schema)),
	    '@as_of@', format('DATE %L', run.as_of)),
	    '@run_id@', run.run_id::text),
	    '@fy@', fy::text)
$$;

-- The published views. Before the first publication they are empty, with
-- the same columns as the run views: CREATE OR REPLACE VIEW keeps this
-- list (a run view with other columns makes svod.publish fail).
CREATE VIEW adviser.debt_line AS
SELECT NULL::bigint AS resident_id, NULL::text AS service,
    NULL::text AS source_key, NULL::bigint AS line,
    NULL::text AS creditor_ref, NULL::text AS source_ref,
    NULL::integer AS financial_year, NULL::bigint AS balance,
    NULL::text AS recovery_stage, NULL::integer AS severity,
    NULL::boolean AS priority, NULL::date AS origin_date,
    NULL::bigint AS ongoing_weekly, NULL::text AS bs_status,
    NULL::text AS bs_reason, NULL::text AS moratorium_ref,
    NULL::date AS protected_from, NULL::boolean AS hold,
    NULL::text AS link_rule
WHERE false;

CREATE VIEW adviser.resident_debt AS
SELECT NULL::bigint AS resident_id, NULL::date AS as_of,
    NULL::bigint AS council_tax_total, NULL::bigint AS housing_benefit_total,
    NULL::bigint AS rent_total, NULL::bigint AS adult_social_care_total,
    NULL::bigint AS total, NULL::bigint AS priority_total,
    NULL::bigint AS protected_total, NULL::bigint AS debt_lines,
    NULL::bigint AS review_lines, NULL::text AS highest_stage_service,
    NULL::text AS highest_stage, NULL::integer AS highest_severity,
    NULL::text AS highest_severity_name, NULL::text AS bs_status,
    NULL::text AS bs_ref, NULL::text AS bs_kind, NULL::date AS bs_start,
    NULL::date AS bs_end, NULL::date AS bs_cancelled_from,
    NULL::boolean AS hold_recovery, NULL::date AS council_tax_data_as_of,
    NULL::date AS housing_benefit_data_as_of, NULL::date AS rent_data_as_of,
    NULL::date AS adult_social_care_data_as_of,
    NULL::date AS breathing_space_data_as_of, NULL::text AS stale_feeds
WHERE false;

CREATE VIEW adviser.moratorium AS
SELECT NULL::text AS ref, NULL::text AS kind, NULL::bigint AS resident_id,
    NULL::text AS link_rule, NULL::boolean AS low_confidence,
    NULL::boolean AS matched, NULL::date AS registered, NULL::date AS start_date,
    NULL::date AS end_date, NULL::date AS cancelled_from,
    NULL::boolean AS address_withheld, NULL::text AS state,
    NULL::text AS status
WHERE false;

CREATE VIEW adviser.contact AS
SELECT NULL::text AS feed, NULL::text AS source_key,
    NULL::bigint AS resident_id, NULL::text AS title,
    NULL::text AS forename, NULL::text AS middle_names,
    NULL::text AS surname, NULL::text AS address_1, NULL::text AS address_2,
    NULL::text AS address_3, NULL::text AS address_4, NULL::text AS postcode,
    NULL::text AS adviser_organisation, NULL::text AS adviser_reference,
    NULL::text AS adviser_phone, NULL::boolean AS address_withheld
WHERE false;

CREATE VIEW auditor.debt_line AS SELECT * FROM adviser.debt_line;
CREATE VIEW auditor.resident_debt AS SELECT * FROM adviser.resident_debt;
CREATE VIEW auditor.moratorium AS SELECT * FROM adviser.moratorium;

CREATE VIEW auditor.moratorium_debt AS
SELECT NULL::text AS ref, NULL::bigint AS line, NULL::text AS creditor_ref,
    NULL::text AS debt_type, NULL::bigint AS debt_amount,
    NULL::text AS notice_event, NULL::date AS notice_registered,
    NULL::date AS named_from
WHERE false;

CREATE VIEW auditor.link AS
SELECT NULL::text AS feed, NULL::text AS source_key,
    NULL::bigint AS resident_id, NULL::text AS rule,
    NULL::double precision AS weight, NULL::boolean AS low_confidence
WHERE false;

CREATE VIEW auditor.source_record AS
SELECT NULL::text AS feed, NULL::text AS source_key, NULL::bigint AS line,
    NULL::text AS purpose, NULL::bytea AS token
WHERE false;

-- Views over the persistent tables: never repointed.
CREATE VIEW adviser.review_queue AS
SELECT review_id, origin, run_id, kind, reason, reference, resident_id,
    raised_at, resolved_at, resolution
FROM svod.review_queue;

CREATE VIEW auditor.run AS
SELECT run_id, started_at, finished_at, status, as_of, config_digest,
    key_fingerprint, code_version, schema_name, manifest
FROM svod.run;
CREATE VIEW auditor.run_input AS
SELECT run_id, feed, path, size_bytes, sha256, rows_read, rows_loaded,
    rows_rejected, data_as_of, stale
FROM svod.run_input;
CREATE VIEW auditor.reject AS
SELECT reject_id, run_id, feed, file, line, column_no, field, reason, message
FROM svod.reject;
CREATE VIEW auditor.resident AS
SELECT resident_id, first_run, last_run FROM svod.resident;
CREATE VIEW auditor.resident_history AS
SELECT history_id, run_id, resident_id, event, other_resident_id
FROM svod.resident_history;
CREATE VIEW auditor.published AS
SELECT run_id, schema_name, published_at FROM svod.published;
CREATE VIEW auditor.link_rule AS
SELECT rule, low_confidence, description FROM svod.link_rule;
CREATE VIEW auditor.service_priority AS
SELECT service, priority, sort_order FROM svod.service_priority;
CREATE VIEW auditor.recovery_stage AS
SELECT rs.service, rs.stage, rs.stage_order, rs.severity, s.name
FROM svod.recovery_stage rs JOIN svod.severity s USING (severity);

-- Ownership and rights of every view in adviser and auditor.
DO $$
DECLARE
	v record;
BEGIN
	FOR v IN SELECT n.nspname, c.relname FROM pg_class c
	    JOIN pg_namespace n ON n.oid = c.relnamespace
	    WHERE n.nspname IN ('adviser', 'auditor') AND c.relkind = 'v'
	    ORDER BY n.nspname, c.relname
	LOOP
		EXECUTE format('ALTER VIEW %I.%I OWNER TO svod_loader',
		    v.nspname, v.relname);
		EXECUTE format('REVOKE ALL ON %I.%I FROM PUBLIC',
		    v.nspname, v.relname);
		EXECUTE format('GRANT SELECT ON %I.%I TO %I', v.nspname,
		    v.relname, 'svod_' || v.nspname);
	END LOOP;
END
$$;

-- Repoint the published views at a run schema, in the caller's
-- transaction (the loader commits, with lock_timeout and a retry around
-- it). Locks are taken in one fixed order so two publishers cannot
-- deadlock: svod.published, then each view in the order of the list
-- below (adviser before auditor, alphabetical within), then the run rows.
-- Readers of a view wait only while its CREATE OR REPLACE holds it.
-- Returns the run id published.
CREATE FUNCTION svod.publish(run_schema text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	v_run svod.run%ROWTYPE;
	v_pair text[];
	v_views CONSTANT text[] := ARRAY[
	    ['adviser', 'contact', 'contact'],
	    ['adviser', 'debt_line', 'debt_line'],
	    ['adviser', 'moratorium', 'moratorium'],
	    ['adviser', 'resident_debt', 'resident_debt'],
	    ['auditor', 'debt_line', 'debt_line'],
	    ['auditor', 'link', 'resident_link'],
	    ['auditor', 'moratorium', 'moratorium'],
	    ['auditor', 'moratorium_debt', 'moratorium_debt'],
	    ['auditor', 'resident_debt', 'resident_debt'],
	    ['auditor', 'source_record', 'source_record']];
BEGIN
	LOCK TABLE svod.published IN EXCLUSIVE MODE;
	SELECT * INTO v_run FROM svod.run r WHERE r.schema_name = run_schema;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'publish: no run in svod.run has schema_name %',
		    quote_literal(run_schema) USING ERRCODE = 'no_data_found';
	END IF;
	IF v_run.status NOT IN ('loading', 'published', 'superseded') THEN
		RAISE EXCEPTION 'publish: run % is %, not publishable',
		    v_run.run_id, v_run.status
		    USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	FOREACH v_pair SLICE 1 IN ARRAY v_views LOOP
		EXECUTE format('CREATE OR REPLACE VIEW %I.%I AS SELECT * FROM %I.%I',
		    v_pair[1], v_pair[2], run_schema, v_pair[3]);
		EXECUTE format('REVOKE ALL ON %I.%I FROM PUBLIC',
		    v_pair[1], v_pair[2]);
		EXECUTE format('GRANT SELECT ON %I.%I TO %I', v_pair[1],
		    v_pair[2], 'svod_' || v_pair[1]);
	END LOOP;
	UPDATE svod.run SET status = 'superseded'
	WHERE status = 'published' AND run_id <> v_run.run_id;
	UPDATE svod.run SET status = 'published' WHERE run_id = v_run.run_id;
	UPDATE svod.published SET run_id = v_run.run_id,
	    schema_name = run_schema, published_at = now();
	RETURN v_run.run_id;
END
$fn$;

ALTER FUNCTION svod.create_run_views(text) OWNER TO svod_loader;
ALTER FUNCTION svod.run_sql(text, text, svod.run, integer) OWNER TO svod_loader;
ALTER FUNCTION svod.publish(text) OWNER TO svod_loader;
REVOKE ALL ON FUNCTION svod.create_run_views(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION svod.run_sql(text, text, svod.run, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION svod.publish(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION svod.create_run_views(text) TO svod_loader;
GRANT EXECUTE ON FUNCTION svod.run_sql(text, text, svod.run, integer)
    TO svod_loader;
GRANT EXECUTE ON FUNCTION svod.publish(text) TO svod_loader;
