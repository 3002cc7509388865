-- Which model produced each extracted field.
--
-- `extractor` is what the engine names as the field's producer: the field selector's model tag
-- ("fs-" and its hash), "rules" for the hand-written rules, NULL when the engine does not say (Google
-- Document AI) and on rows written before this migration (reprocess, `--reprocess all`, to fill it).
-- Like the field's other values it belongs to the document version and is replaced with them as a
-- unit; a new field-selection model changes the local engine's version, which re-extracts documents.
--
-- Written to be re-runnable. Adding a nullable column without a default touches no rows.

ALTER TABLE docpipe.document_fields ADD COLUMN IF NOT EXISTS extractor text;  -- model tag, "rules" or NULL

COMMENT ON COLUMN docpipe.document_fields.extractor IS
    'What produced the field: the field selector''s model tag (fs-<hash>), "rules" for the hand-written rules, NULL when the engine does not say (Google Document AI) or the row predates 0003';
