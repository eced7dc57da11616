// Package ledger is the disclosure ledger: an append-only, hash-chained log
// of every access decision put into effect, that is of every object version
// sent (whole or redacted) to a recipient, or withheld from it, on every
// path out of the server.
//
// # Use on a read path
//
// The server opens one Ledger at start and closes it at shutdown:
//
//	lg, err := ledger.Open(filepath.Join(dataDir, ledger.DirName), ledger.Options{})
//	...
//	defer lg.Close() // writes and syncs what is pending
//
// Every read path records what the access decision (marking.Policy.Decide)
// returned, once per object version, after deciding and before (or while)
// writing the response. A page of objects is recorded with one call:
//
//	page := make([]ledger.Disclosure, 0, len(objs))
//	for _, o := range objs {
//		res := policy.Decide(recipient, o.Raw)
//		page = append(page, ledger.Disclosure{
//			Org: org.ID, Key: key.ID, Collection: col.ID, Request: requestID,
//			Path:   ledger.PathObjects,
//			Object: o.ID, Version: o.Version,
//			Decision: res.Decision, TLP: res.TLP,
//			Classification: res.Classification, Reason: res.Reason,
//		})
//		...
//	}
//	if err := lg.RecordBatch(page); err != nil {
//		// The ledger can no longer record: fail the request (503) rather
//		// than disclose without a record.
//	}
//
// Record and RecordBatch do not wait for the disk. They hand the records to
// one writer goroutine, which encodes and chains them, writes them in
// batches and fsyncs at least every Options.SyncInterval (200ms). When
// Options.Buffer calls are already waiting, Record blocks until the writer
// catches up: a disclosure is never dropped. They return an error only after
// Close (ErrClosed) or once a write has failed (the error, sticky: nothing
// more is written, so the chain stays intact up to the failure). Flush waits
// until everything recorded before it is on disk. Withheld decisions are
// recorded too, unless Options.SkipWithheld is set.
//
// Paths are named by the Path* constants: PathObjects, PathObject,
// PathVersions, PathManifest, PathStatus, PathExport, PathSearch, PathUI,
// PathWebhook, PathFederation.
//
// # Format
//
// The ledger is a directory of segment files disclosures-000001.log,
// disclosures-000002.log, ..., a new one started past Options.SegmentSize
// (64 MiB). Each line is one record: the disclosures of one Record call, or
// of a run of a RecordBatch page sharing time, recipient (org, key),
// collection, path and request, so a page is usually one line. A record is
// a JSON object with its members in a fixed order, empty optional members
// left out (shown here on several lines):
//
//	{"seq":42,"time":"2025-06-01T12:00:00.123456Z","path":"taxii-objects",
//	 "org":"identity--…","key":"…","collection":"…","request":"…",
//	 "objects":[["indicator--…","2025-05-30T08:00:00.000Z","whole","TLP:GREEN"],
//	            ["report--…","2025-05-30T08:00:00.000Z","redacted","TLP:AMBER","","granular marking …"]],
//	 "prev":"<hex SHA-256 of record 41>","hash":"<hex SHA-256>"}
//
// Each object is [id, version, decision, TLP, classification, reason],
// trailing empty members left out; decision is "whole", "redacted" or
// "withhold". The hash of a record is SHA-256(previous hash, 32 bytes ||
// the line up to "prev" included, closed by '}'), that is the line without
// its "hash" member. Sequence numbers count from 0, the genesis record
// (path "genesis", "format":"tearline-ledger/1", no objects, prev all
// zeros). The chain runs on across segments. Grouping a page into one
// record hashes the recipient once per page, which keeps the ledger's cost
// a small part of a read.
//
// Open resumes the chain from the last record. A last line without its
// newline (a write cut by a crash) is truncated and logged; a last record
// that does not verify makes Open fail. Records not yet fsynced when the
// machine fails (at most SyncInterval of them) are lost.
//
// # Audit
//
// Verify (tearline audit verify) walks every segment and reports the first
// record changed, removed, inserted or moved, or a missing segment. A hash
// chain cannot by itself show that its last records were cut off: note the
// Report's Head hash somewhere else and pass it later as
// VerifyOptions.Anchor. Who (tearline audit who --object ID) lists the
// disclosures of an object, every version, by scanning the segments.
package ledger
