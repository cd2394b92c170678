-- An adviser looking a resident up by NINO, or by name and date of birth,
-- sends only the keyed token that svod lookup computed in-process. The
-- adviser may resolve such a token to resident ids, but may not read the
-- tokens themselves: reading them would let an adviser list everyone in
-- the data and join them across services. So the look-up is a function
-- that runs with its owner's rights and answers one token at a time.
--
-- It reads the published run's feed tables directly by their
-- tok_<purpose> columns, which the loader indexes for the purposes a
-- look-up uses (nino_stem, nhs_number, name_dob).

CREATE FUNCTION adviser.residents_by_token(purpose text, token bytea)
RETURNS TABLE (resident_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	v_schema text;
	v_parts text[] := '{}';
	v_feed text;
BEGIN
	IF purpose NOT IN ('nino_stem', 'nhs_number', 'name_dob') THEN
		RAISE EXCEPTION 'residents_by_token: purpose % is not for look-ups',
		    quote_literal(purpose) USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF token IS NULL OR length(token) <> 16 THEN
		RAISE EXCEPTION 'residents_by_token: a token is 16 bytes'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT p.schema_name INTO v_schema FROM svod.published p;
	IF v_schema IS NULL THEN
		RETURN;
	END IF;
	FOREACH v_feed IN ARRAY ARRAY['council_tax', 'housing_benefit', 'rent',
	    'adult_social_care', 'breathing_space'] LOOP
		v_parts := v_parts || format(
		    'SELECT k.resident_id FROM %I.%I t JOIN %I.link k '
		    'ON k.feed = %L AND k.source_key = t.source_key '
		    'WHERE t.%I = $1', v_schema, v_feed, v_schema, v_feed,
		    'tok_' || purpose);
	END LOOP;
	RETURN QUERY EXECUTE 'SELECT DISTINCT x.resident_id FROM ('
	    || array_to_string(v_parts, ' UNION ALL ')
	    || ') x WHERE x.resident_id IS NOT NULL ORDER BY 1' USING token;
END
$fn$;

ALTER FUNCTION adviser.residents_by_token(text, bytea) OWNER TO svod_loader;
REVOKE ALL ON FUNCTION adviser.residents_by_token(text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adviser.residents_by_token(text, bytea)
    TO svod_adviser, svod_auditor;
