package tearline

import "context"

// BatchWriter is a store that writes a batch of object versions and what
// the ingest pipeline records of them (their observables and scores) in
// one write transaction: a crash or an error leaves all of it or none,
// and the store finds the versions it just wrote without looking them up
// again. The ingest pipeline uses it when the observable index and the
// scores live in the same store. Its transactions run alone among the
// store's write transactions until they commit (score.Engine.ScoreTx
// relies on that rather than on a lock of its own).
type BatchWriter interface {
	// WriteBatch adds objs to the collection as AddObjects does, then
	// calls fn in the same transaction with what became of each object.
	// Everything is committed when fn returns nil, nothing when it or the
	// commit fails; fn's error is returned.
	WriteBatch(ctx context.Context, collectionID string, objs []*Object,
		fn func(tx BatchTx, added []AddResult) error) ([]AddResult, error)
}

// BatchTx records, within a BatchWriter's transaction, what is derived
// from the batch (Observables.RecordObservables, the score records and the
// feedback references) and, in the last batch of a submission, what
// finishes it: its status and its triage record. The submission is then
// stored, answered and recorded in one commit.
type BatchTx interface {
	// RecordObservables is Observables.RecordObservables within the
	// transaction.
	RecordObservables(refs []ObservableRef) error
	ScoreTx
	// RecordFeedback is Exchanges.RecordFeedback within the transaction.
	RecordFeedback(fs []*Feedback) error
	// SaveStatus is Statuses.SaveStatus within the transaction.
	SaveStatus(st *Status) error
	// RecordSubmission is Exchanges.RecordSubmission within the
	// transaction; the objects of the batch name the versions it wrote or
	// found.
	RecordSubmission(s *Submission) error
}
