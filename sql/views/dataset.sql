-- One view per dataset kind: every dataset of that kind in the chosen build, read in place.
-- {kind} and {files} are filled in by mathpref.sqlviews (files: a quoted Parquet path list).
CREATE OR REPLACE VIEW {kind} AS
SELECT * FROM read_parquet({files}, union_by_name = true);
