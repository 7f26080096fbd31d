-- The dashboard's read-only role. Kept out of db/migration on purpose: creating roles needs CREATEROLE, which the
-- migrating user need not have. Run it once per database, after the migrations, as the owner of the tables:
--   psql -v ON_ERROR_STOP=1 -d layeratlas -f dashboard-readonly.sql
-- then give the dashboard a login that inherits it and reads only:
--   CREATE ROLE layeratlas_dashboard LOGIN PASSWORD '...' IN ROLE layeratlas_readonly;
--   ALTER ROLE layeratlas_dashboard SET default_transaction_read_only = on;
-- Idempotent: running it again changes nothing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'layeratlas_readonly') THEN
        CREATE ROLE layeratlas_readonly NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO layeratlas_readonly;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO layeratlas_readonly;
-- Tables later migrations add (run by the same owner) are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO layeratlas_readonly;
