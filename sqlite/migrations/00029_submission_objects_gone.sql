-- +goose Up

-- A row of submission_objects names the latest version of its object
-- stored when the submission was recorded (object_pk, migration 25). Once
-- that version is deleted, the row named a row key that no version has,
-- and the submission was found by no id: feedback on the object's other
-- versions, or on the object stored again, did not reach it. The row now
-- falls back to what a row of an object not stored has: object_pk 0, found
-- by the object's id through submission_objects_unstored.
-- +goose StatementBegin
CREATE TRIGGER submission_objects_gone AFTER DELETE ON objects BEGIN
	UPDATE submission_objects SET object_pk = 0 WHERE object_pk = OLD.pk AND object_pk <> 0;
END;
-- +goose StatementEnd
UPDATE submission_objects SET object_pk = 0
	WHERE object_pk <> 0 AND NOT EXISTS (SELECT 1 FROM objects WHERE pk = submission_objects.object_pk);

-- +goose Down
DROP TRIGGER submission_objects_gone;
