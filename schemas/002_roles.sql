-- 002_roles: three group roles and the two view-only schemas.
--
--   svod_loader   owns and writes everything in svod, creates the run
--                 schemas (CREATE on the database) and publishes;
--   svod_adviser  reads schema adviser: the consolidated view, contact
--                 details and the review queue;
--   svod_auditor  reads schema auditor: runs, inputs, rejects (not their
--                 raw text), links with their rule, tokens, resident
--                 history and the consolidated view; no contact details.
--
-- They are NOLOGIN: grant them to real login roles (GRANT svod_adviser TO
-- alice). Roles are cluster-wide, so an existing one is left as it is.
-- Nothing is granted to PUBLIC; every REVOKE below is explicit so that a
-- reader of this file need not know PostgreSQL's defaults.

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['svod_loader', 'svod_adviser', 'svod_auditor']
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END
$$;

-- The loader makes a schema per run.
DO $$
BEGIN
	EXECUTE format('GRANT CREATE ON DATABASE %I TO svod_loader',
	    current_database());
END
$$;

-- svod: the loader's. Nobody else reads it directly; the views in
-- adviser and auditor run with their owner's (the loader's) rights.
REVOKE ALL ON SCHEMA svod FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA svod FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA svod FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA svod FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA svod REVOKE EXECUTE ON FUNCTIONS
    FROM PUBLIC;
ALTER SCHEMA svod OWNER TO svod_loader;
DO $$
DECLARE
	t record;
BEGIN
	FOR t IN SELECT c.relname FROM pg_class c
	    JOIN pg_namespace n ON n.oid = c.relnamespace
	    WHERE n.nspname = 'svod' AND c.relkind IN ('r', 'p')
	    ORDER BY c.relname
	LOOP
		EXECUTE format('ALTER TABLE svod.%I OWNER TO svod_loader',
		    t.relname);
	END LOOP;
END
$$;

-- The view-only schemas. Owned by the loader, which replaces their views
-- at each publication.
CREATE SCHEMA adviser AUTHORIZATION svod_loader;
CREATE SCHEMA auditor AUTHORIZATION svod_loader;
REVOKE ALL ON SCHEMA adviser FROM PUBLIC;
REVOKE ALL ON SCHEMA auditor FROM PUBLIC;
GRANT USAGE ON SCHEMA adviser TO svod_adviser;
GRANT USAGE ON SCHEMA auditor TO svod_auditor;

-- The public schema holds nothing of ours; make sure nobody can add to it.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
