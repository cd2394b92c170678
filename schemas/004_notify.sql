-- 004_notify: breathing-space notices processed during the day by
-- `svod notify` show in the published view at once.
--
-- svod notify matches each notice against the published run's keyed
-- tokens and records it in svod.moratorium_intraday (resident and rule,
-- or NULL and an item in svod.review_queue). This migration makes a
-- run's moratorium and moratorium_debt views read those rows besides the
-- run's own breathing_space tables; debt_line, resident_debt and contact
-- read moratorium and moratorium_debt, so they follow without change.
--
-- The rules (schemas/views.md, "Notices between nights"):
--   * Only the PUBLISHED run takes intraday notices in. A run that is
--     loading, superseded or a replay ignores them, so the digests of a
--     run's views (computed before it is published) and a replay depend
--     on the run's inputs alone.
--   * No double count: an intraday notice whose (ref, event, registered)
--     is in the run's own breathing_space table is the same notice, which
--     the night has absorbed; the views use the night's row only.
--   * Dates: a moratorium with an intraday notice is seen as of the later
--     of the run's as-of date and the day notify processed its latest
--     notice (known_on: notify's as-of date, by default today). Every
--     other moratorium stays as of the run's as-of date. So a START whose
--     start date has come shows as active at once; one that starts
--     tomorrow shows as pending until the next night. Debt lines named
--     only by an intraday notice (not found through its resident) are
--     held once their naming date is on or before the run's as-of date,
--     as debt_line compares it with that date; the review queue item of
--     an unmatched notice shows at once either way.
--   * The resident of a moratorium: the run's link for its ref when the
--     night has one, else the resident notify matched (its START notice's
--     first, else the latest notice's that matched anyone).
--
-- How: 003's svod.create_run_views is moved, unchanged, to the private
-- schema svod_impl, and svod.create_run_views becomes a wrapper that
-- calls it and then replaces the two views (same columns, so the views
-- that depend on them stay valid) and adds run_<id>.moratorium_intraday,
-- the intraday notices this run takes in. Runs made before this
-- migration keep their views; `psql -f schemas/run_views.sql` remakes them.

-- The day notify processed a notice (its as-of date, which notify always
-- sets), which the views compare dates with; and one row per notice, so
-- that re-sending one is a no-op.
ALTER TABLE svod.moratorium_intraday
    ADD COLUMN known_on date NOT NULL DEFAULT current_date;
UPDATE svod.moratorium_intraday SET known_on = received_at::date;
CREATE UNIQUE INDEX moratorium_intraday_notice
    ON svod.moratorium_intraday (ref, event, registered);
COMMENT ON COLUMN svod.moratorium_intraday.known_on IS
    'as-of date of the svod notify run that processed the notice';

CREATE SCHEMA svod_impl AUTHORIZATION svod_loader;
REVOKE ALL ON SCHEMA svod_impl FROM PUBLIC;
ALTER FUNCTION svod.create_run_views(text) SET SCHEMA svod_impl;

CREATE FUNCTION svod.create_run_views(run_schema text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	v_run svod.run%ROWTYPE;
	v_fy integer;
	v_sql text;
BEGIN
	-- The night's views and rules, as 003 makes them.
	PERFORM svod_impl.create_run_views(run_schema);
	SELECT * INTO STRICT v_run FROM svod.run r
	WHERE r.schema_name = run_schema;
	v_fy := extract(year FROM v_run.as_of)::integer
	    - CASE WHEN extract(month FROM v_run.as_of) < 4 THEN 1 ELSE 0 END;

	-- moratorium_intraday: the notices of svod notify that this run takes
	-- in (see the file comment), with the date each ref is seen as of.
	v_sql := $v$
CREATE OR REPLACE VIEW @run@.moratorium_intraday AS
SELECT i.intraday_id::bigint AS intraday_id,
    i.received_at::timestamptz AS received_at,
    i.known_on::date AS known_on,
    i.ref::text AS ref,
    i.kind::text AS kind,
    i.event::text AS event,
    i.registered::date AS registered,
    i.start_date::date AS start_date,
    i.end_date::date AS end_date,
    i.effective_date::date AS effective_date,
    i.address_withheld::boolean AS address_withheld,
    i.debts::jsonb AS debts,
    i.resident_id::bigint AS resident_id,
    i.rule::text AS rule,
    greatest(@as_of@, max(i.known_on) OVER (PARTITION BY i.ref))::date
        AS seen_as_of
FROM svod.moratorium_intraday i
WHERE EXISTS (SELECT 1 FROM svod.published p WHERE p.run_id = @run_id@)
  AND NOT EXISTS (SELECT 1 FROM @run@.breathing_space b
      WHERE b.ref = i.ref AND b.event = i.event
        AND b.registered = i.registered)
$v$;
	EXECUTE svod.run_sql(v_sql, run_schema, v_run, v_fy);

	-- moratorium: as in 003, over the run's notices and the intraday
	-- ones, each ref folded as of its own date (seen_as_of).
	v_sql := $v$
CREATE OR REPLACE VIEW @run@.moratorium AS
WITH seen AS (
	SELECT DISTINCT i.ref, i.seen_as_of FROM @run@.moratorium_intraday i
), notice0 AS (
	SELECT b.ref, 0 AS src, b.line, b.kind, b.event, b.registered,
	    b.start_date, b.end_date, b.effective_date, b.address_withheld
	FROM @run@.breathing_space b
	UNION ALL
	SELECT i.ref, 1, i.intraday_id, i.kind, i.event, i.registered,
	    i.start_date, i.end_date, i.effective_date, i.address_withheld
	FROM @run@.moratorium_intraday i
), notice AS (
	SELECT n.*, coalesce(s.seen_as_of, @as_of@) AS seen_as_of,
	    -- The last day of protection a notice gives: an END notice's end
	    -- (else its effective date); any STANDARD notice's end date.
	    CASE WHEN n.event = 'END' THEN coalesce(n.end_date, n.effective_date)
	         WHEN n.kind = 'STANDARD' THEN n.end_date
	    END AS end_given
	FROM notice0 n
	LEFT JOIN seen s ON s.ref = n.ref
	-- A notice registered after the date is not known yet.
	WHERE n.registered <= coalesce(s.seen_as_of, @as_of@)
), folded AS (
	SELECT n.ref,
	    max(n.seen_as_of) AS seen_as_of,
	    (array_agg(n.kind ORDER BY n.event <> 'START', n.registered, n.src,
	        n.line))[1] AS kind,
	    coalesce(min(n.registered) FILTER (WHERE n.event = 'START'),
	        min(n.registered)) AS registered,
	    coalesce(min(n.start_date) FILTER (WHERE n.event = 'START'),
	        min(n.start_date)) AS start_date,
	    (array_agg(n.end_given ORDER BY n.registered DESC, n.src DESC,
	        n.line DESC) FILTER (WHERE n.end_given IS NOT NULL))[1]
	        AS end_date,
	    min(coalesce(n.effective_date, n.registered + 1))
	        FILTER (WHERE n.event = 'CANCELLED') AS cancelled_from,
	    coalesce(bool_or(n.address_withheld), false) AS address_withheld
	FROM notice n
	GROUP BY n.ref
), state AS (
	SELECT f.*,
	    CASE
	    WHEN f.cancelled_from <= f.seen_as_of
	        AND (f.end_date IS NULL OR f.cancelled_from <= f.end_date)
	        THEN 'cancelled'
	    WHEN f.seen_as_of < f.start_date THEN 'pending'
	    WHEN f.seen_as_of > f.end_date THEN 'ended'
	    ELSE 'active'
	    END AS state
	FROM folded f
), who AS (
	-- The resident notify matched: the START notice's, else the latest.
	SELECT DISTINCT ON (i.ref) i.ref, i.resident_id, i.rule
	FROM @run@.moratorium_intraday i
	WHERE i.resident_id IS NOT NULL
	ORDER BY i.ref, i.event <> 'START', i.registered DESC, i.intraday_id DESC
), res AS (
	SELECT s.*, coalesce(l.resident_id, w.resident_id) AS resident_id,
	    CASE WHEN l.resident_id IS NOT NULL THEN l.rule ELSE w.rule END
	        AS link_rule
	FROM state s
	LEFT JOIN @run@.link l
	    ON l.feed = 'breathing_space' AND l.source_key = s.ref
	LEFT JOIN who w ON w.ref = s.ref
)
SELECT s.ref::text AS ref,
    s.kind::text AS kind,
    s.resident_id::bigint AS resident_id,
    s.link_rule::text AS link_rule,
    coalesce(lr.low_confidence, false)::boolean AS low_confidence,
    EXISTS (SELECT 1 FROM @run@.link d
        WHERE d.resident_id = s.resident_id
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
FROM res s
LEFT JOIN @run@.cfg_link_rule lr ON lr.rule = s.link_rule
$v$;
	EXECUTE svod.run_sql(v_sql, run_schema, v_run, v_fy);

	-- moratorium_debt: as in 003, plus the debts of intraday notices
	-- (each belongs to its own notice).
	v_sql := $v$
CREATE OR REPLACE VIEW @run@.moratorium_debt AS
WITH d AS (
	SELECT d.ref, d.line, d.creditor_ref, d.debt_type, d.debt_amount,
	    n.event, n.registered
	FROM @run@.breathing_space_debt d
	JOIN LATERAL (
		SELECT b.event, b.registered
		FROM @run@.breathing_space b
		WHERE b.ref = d.ref AND b.line <= d.line
		ORDER BY b.line DESC
		LIMIT 1
	) n ON true
	UNION ALL
	SELECT i.ref, (x.item->>'line')::bigint, x.item->>'creditor_ref',
	    x.item->>'debt_type', (x.item->>'debt_amount')::bigint, i.event,
	    i.registered
	FROM @run@.moratorium_intraday i
	CROSS JOIN LATERAL jsonb_array_elements(i.debts) AS x(item)
)
SELECT d.ref::text AS ref,
    d.line::bigint AS line,
    d.creditor_ref::text AS creditor_ref,
    d.debt_type::text AS debt_type,
    d.debt_amount::bigint AS debt_amount,
    d.event::text AS notice_event,
    d.registered::date AS notice_registered,
    (CASE WHEN d.event = 'START' THEN m.start_date
          ELSE greatest(d.registered + 1, m.start_date) END)::date
        AS named_from
FROM d
JOIN @run@.moratorium m ON m.ref = d.ref
$v$;
	EXECUTE svod.run_sql(v_sql, run_schema, v_run, v_fy);

	-- The new view's rights, as 003 gives the others.
	EXECUTE format('REVOKE ALL ON %I.moratorium_intraday FROM PUBLIC',
	    run_schema);
	EXECUTE format('GRANT SELECT ON %I.moratorium_intraday TO svod_loader, '
	    'svod_auditor', run_schema);
END
$fn$;

ALTER FUNCTION svod_impl.create_run_views(text) OWNER TO svod_loader;
ALTER FUNCTION svod.create_run_views(text) OWNER TO svod_loader;
REVOKE ALL ON FUNCTION svod_impl.create_run_views(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION svod.create_run_views(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION svod_impl.create_run_views(text) TO svod_loader;
GRANT EXECUTE ON FUNCTION svod.create_run_views(text) TO svod_loader;
GRANT USAGE ON SCHEMA svod_impl TO svod_loader;
