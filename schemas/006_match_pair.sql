-- 006_match_pair: the evidence of the probabilistic matcher, for
-- auditors; the match probability of a scored link, for advisers.
--
-- With matcher = probabilistic the nightly job stores every candidate
-- pair the linker compared in run_<id>.match_pair (schemas/README.md):
-- the two records' references (feed and source key, no token), the
-- decision ('link', 'review', 'cannot' or 'none'), the pair's weight in
-- bits and its match probability, and for links and review pairs the
-- evidence, one member per comparison field:
-- {"<field>": {"level": "<level>", "weight": <bits>}}, and the reason
-- for the decision ('match', 'band', 'rules', 'ambiguous', 'namesake',
-- 'below', 'names_only'; for 'cannot' one or more of 'nino', 'nhs',
-- 'dob', 'forename', 'account', 'suffix', 'age', 'weight', joined by
-- commas: schemas/views.md). A deterministic
-- run has the table too, empty. run_<id>.link gains 'probability', the
-- match probability of the scored link that joined the record (NULL
-- where only rules joined it, as for 'weight').
--
-- This migration:
--   * publishes the table as auditor.match_pair; advisers do not get
--     it: they see a record's probability through adviser.resident_links,
--     one resident at a time. svod.publish is replaced with the same
--     steps, its list of views now the table svod.published_view (in
--     lock order), so that the next view is a row, not a new function;
--   * adds 'probability' to each run's resident_link view, hence to
--     auditor.link (a new last column: the views already published keep
--     theirs until the next publication);
--   * wraps svod.create_run_views once more (004 moved the one before to
--     svod_impl): after the views of 003 and 004 it remakes resident_link
--     with the probability (NULL for a run whose link table has none)
--     and, for a run loaded before this migration or made by hand, adds
--     an empty match_pair table, so that every run can be published.
--   * adds adviser.resident_links(resident_id), a definer function
--     giving one resident's records of the published run with the rule
--     that joined each and, for scored links, the probability.
-- Runs made before this migration keep their views: to publish one of
-- them again, remake its views first (psql -f schemas/run_views.sql).

-- The published placeholder, with the columns of a run's match_pair
-- table (jobs/nightly.c creates it; svod.create_run_views below for
-- older runs). svod.publish repoints it with SELECT *: the column list
-- never changes.
CREATE VIEW auditor.match_pair AS
SELECT NULL::text AS feed_a, NULL::text AS key_a, NULL::text AS feed_b,
    NULL::text AS key_b, NULL::text AS decision,
    NULL::double precision AS weight, NULL::double precision AS probability,
    NULL::jsonb AS evidence, NULL::text AS reason
WHERE false;
ALTER VIEW auditor.match_pair OWNER TO svod_loader;
REVOKE ALL ON auditor.match_pair FROM PUBLIC;
GRANT SELECT ON auditor.match_pair TO svod_auditor;

-- 004's svod.create_run_views, unchanged, under another name.
ALTER FUNCTION svod.create_run_views(text) RENAME TO create_run_views_notify;
ALTER FUNCTION svod.create_run_views_notify(text) SET SCHEMA svod_impl;

CREATE FUNCTION svod.create_run_views(run_schema text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	v_prob text;
	v_kept boolean;
BEGIN
	-- 003 makes resident_link with its six columns, and CREATE OR
	-- REPLACE VIEW cannot drop the seventh that a second call finds
	-- (create_run_views may be run again). So a view made before is set
	-- aside under another name, which keeps whatever depends on it (a
	-- published auditor.link), and comes back over 003's new one.
	v_kept := to_regclass(format('%I.resident_link', run_schema)) IS NOT NULL;
	IF v_kept THEN
		EXECUTE format('ALTER VIEW %I.resident_link RENAME TO '
		    'resident_link_kept', run_schema);
	END IF;
	PERFORM svod_impl.create_run_views_notify(run_schema);
	IF v_kept THEN
		EXECUTE format('DROP VIEW %I.resident_link', run_schema);
		EXECUTE format('ALTER VIEW %I.resident_link_kept RENAME TO '
		    'resident_link', run_schema);
	END IF;

	-- A run loaded before this migration, or made by hand: no scored
	-- pairs, and no probability in its link table.
	-- (Not IF NOT EXISTS: its notice would reach the nightly's log.)
	IF to_regclass(format('%I.match_pair', run_schema)) IS NULL THEN
		EXECUTE format('CREATE TABLE %I.match_pair ('
		    'feed_a text NOT NULL, key_a text NOT NULL, '
		    'feed_b text NOT NULL, key_b text NOT NULL, '
		    'decision text NOT NULL CHECK (decision IN '
		    '(''link'', ''review'', ''cannot'', ''none'')), '
		    'weight double precision NOT NULL, '
		    'probability double precision NOT NULL, evidence jsonb, '
		    'reason text NOT NULL, '
		    'CHECK ((evidence IS NOT NULL) = (decision IN '
		    '(''link'', ''review''))))', run_schema);
	END IF;
	IF EXISTS (SELECT 1 FROM pg_attribute a
	    WHERE a.attrelid = format('%I.link', run_schema)::regclass
	      AND a.attname = 'probability' AND NOT a.attisdropped) THEN
		v_prob := 'l.probability';
	ELSE
		v_prob := 'NULL';
	END IF;

	-- resident_link: the links with their evidence (rule, weight and,
	-- for a scored link, its match probability).
	EXECUTE format($v$
CREATE OR REPLACE VIEW %1$I.resident_link AS
SELECT l.feed::text AS feed,
    l.source_key::text AS source_key,
    l.resident_id::bigint AS resident_id,
    l.rule::text AS rule,
    l.weight::double precision AS weight,
    coalesce(lr.low_confidence, false)::boolean AS low_confidence,
    %2$s::double precision AS probability
FROM %1$I.link l
LEFT JOIN %1$I.cfg_link_rule lr ON lr.rule = l.rule
$v$, run_schema, v_prob);

	-- Rights, as 003 gives them: the loader and auditors read both.
	EXECUTE format('REVOKE ALL ON %I.match_pair FROM PUBLIC', run_schema);
	EXECUTE format('REVOKE ALL ON %I.resident_link FROM PUBLIC', run_schema);
	EXECUTE format('GRANT SELECT ON %I.match_pair, %I.resident_link TO '
	    'svod_loader, svod_auditor', run_schema, run_schema);
END
$fn$;

-- The views svod.publish repoints become data: one row each, taken in
-- 'position' order, which is the lock order (adviser before auditor,
-- alphabetical within; positions step by 10 so that a later migration
-- inserts a row where it belongs instead of restating the function).
CREATE TABLE svod.published_view (
	position integer PRIMARY KEY,
	view_schema text NOT NULL CHECK (view_schema IN ('adviser', 'auditor')),
	view_name text NOT NULL,
	source text NOT NULL,
	UNIQUE (view_schema, view_name)
);
INSERT INTO svod.published_view VALUES
    (10, 'adviser', 'contact', 'contact'),
    (20, 'adviser', 'debt_line', 'debt_line'),
    (30, 'adviser', 'moratorium', 'moratorium'),
    (40, 'adviser', 'resident_debt', 'resident_debt'),
    (50, 'auditor', 'debt_line', 'debt_line'),
    (60, 'auditor', 'link', 'resident_link'),
    (70, 'auditor', 'match_pair', 'match_pair'),
    (80, 'auditor', 'moratorium', 'moratorium'),
    (90, 'auditor', 'moratorium_debt', 'moratorium_debt'),
    (100, 'auditor', 'resident_debt', 'resident_debt'),
    (110, 'auditor', 'source_record', 'source_record');
-- Owned by the loader, like every table of schema svod (002).
ALTER TABLE svod.published_view OWNER TO svod_loader;
REVOKE ALL ON svod.published_view FROM PUBLIC;

-- svod.publish as in 003, reading its list from svod.published_view
-- (auditor.match_pair added). The lock order stays: svod.published,
-- then the views by position, then the run rows.
CREATE OR REPLACE FUNCTION svod.publish(run_schema text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	v_run svod.run%ROWTYPE;
	v record;
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
	FOR v IN SELECT view_schema, view_name, source
	    FROM svod.published_view ORDER BY position LOOP
		EXECUTE format('CREATE OR REPLACE VIEW %I.%I AS SELECT * FROM %I.%I',
		    v.view_schema, v.view_name, run_schema, v.source);
		EXECUTE format('REVOKE ALL ON %I.%I FROM PUBLIC',
		    v.view_schema, v.view_name);
		EXECUTE format('GRANT SELECT ON %I.%I TO %I', v.view_schema,
		    v.view_name, 'svod_' || v.view_schema);
	END LOOP;
	UPDATE svod.run SET status = 'superseded'
	WHERE status = 'published' AND run_id <> v_run.run_id;
	UPDATE svod.run SET status = 'published' WHERE run_id = v_run.run_id;
	UPDATE svod.published SET run_id = v_run.run_id,
	    schema_name = run_schema, published_at = now();
	RETURN v_run.run_id;
END
$fn$;

-- One resident's records in the published run: the rule that joined
-- each and, for a scored link, its match probability (NULL otherwise).
-- An adviser sees these, with the records' references, in adviser.contact
-- and adviser.debt_line already, but not the link table: like
-- residents_by_token (005), this answers one resident at a time.
CREATE FUNCTION adviser.resident_links(resident bigint)
RETURNS TABLE (feed text, source_key text, rule text,
    probability double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	v_schema text;
	v_prob text := 'NULL';
BEGIN
	SELECT p.schema_name INTO v_schema FROM svod.published p;
	IF v_schema IS NULL OR resident IS NULL THEN
		RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM pg_attribute a
	    WHERE a.attrelid = format('%I.link', v_schema)::regclass
	      AND a.attname = 'probability' AND NOT a.attisdropped) THEN
		v_prob := 'l.probability';
	END IF;
	RETURN QUERY EXECUTE format('SELECT l.feed::text, l.source_key::text, '
	    'l.rule::text, %s::double precision FROM %I.link l '
	    'WHERE l.resident_id = $1 ORDER BY l.feed, l.source_key',
	    v_prob, v_schema) USING resident;
END
$fn$;

ALTER FUNCTION svod_impl.create_run_views_notify(text) OWNER TO svod_loader;
ALTER FUNCTION svod.create_run_views(text) OWNER TO svod_loader;
ALTER FUNCTION adviser.resident_links(bigint) OWNER TO svod_loader;
REVOKE ALL ON FUNCTION svod_impl.create_run_views_notify(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION svod.create_run_views(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION adviser.resident_links(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION svod_impl.create_run_views_notify(text)
    TO svod_loader;
GRANT EXECUTE ON FUNCTION svod.create_run_views(text) TO svod_loader;
GRANT EXECUTE ON FUNCTION adviser.resident_links(bigint) TO svod_adviser;
