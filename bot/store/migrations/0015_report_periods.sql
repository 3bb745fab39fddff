-- The period reports (`hotline report`, the console's report pages) read the cases opened in
-- a period: by opening time, without reading the whole table.
CREATE INDEX cases_created ON cases (created_at);
