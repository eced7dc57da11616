package sqlite

import "github.com/tearline/tearline"

// RecordFeedback implements tearline.BatchTx.
func (t *batchTx) RecordFeedback(fs []*tearline.Feedback) (err error) {
	defer wrap(&err, "record %d feedback references", len(fs))
	return recordFeedback(t.tx, fs)
}

// SaveStatus implements tearline.BatchTx.
func (t *batchTx) SaveStatus(st *tearline.Status) (err error) {
	defer wrap(&err, "save status %q", st.ID)
	return saveStatus(t.tx, st)
}

// RecordSubmission implements tearline.BatchTx. The rows of the objects
// this batch stored or found name the versions it wrote or found; those of
// earlier batches, the versions pkHints holds for them.
func (t *batchTx) RecordSubmission(s *tearline.Submission) (err error) {
	defer wrap(&err, "record submission %s", s.ID)
	if s.ID == "" || s.OrgID == "" {
		return tearline.Errorf(tearline.EINVALID, "a submission needs an id and an organization")
	}
	hints := t.db.pks.get(s.Objects)
	var known []bool
	if a := t.known; a != nil {
		pks := make(map[string]int64, len(a.batchIDs))
		for i, id := range a.batchIDs {
			pks[id] = a.batchPKs[i]
		}
		known = make([]bool, len(s.Objects))
		for i, id := range s.Objects {
			if pk, ok := pks[id]; ok {
				hints[i], known[i] = pk, true
			}
		}
	}
	return recordSubmission(t.tx, s, hints, known)
}
