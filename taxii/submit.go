package taxii

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/stix"
)

// postObjects adds the objects of a TAXII envelope to a collection. The
// body is read whole (up to the API root's max_content_length) and its
// envelope structure checked before anything is stored. Envelopes of at
// most SyncObjects objects are then processed before the answer, a 202 with
// the complete status; larger ones are stored as pending submissions,
// answered at once with a pending status, and processed by the background
// workers.
func (s *Server) postObjects(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	c, err := s.collection(r, p)
	if err != nil {
		return err
	}
	if !c.canWrite {
		if c.canRead && !p.Role.AtLeast(tearline.RoleContributor) {
			g, _ := s.grant(r.Context(), p, c.ID)
			if g.Write {
				return tearline.Errorf(tearline.EFORBIDDEN, "adding objects needs a key with role %q or higher; yours has role %q", tearline.RoleContributor, p.Role)
			}
		}
		return tearline.Errorf(tearline.EFORBIDDEN, "your organization may not add objects to collection %s; ask its administrators for a write grant", c.ID)
	}
	if err := taxiiContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	if err := checkParams(r); err != nil {
		return err
	}
	body, err := readBody(w, r, c.root.MaxContentLength)
	if err != nil {
		return err
	}
	n, err := checkEnvelope(body)
	if err != nil {
		return err
	}
	st := &tearline.Status{
		ID:           uuid.NewString(),
		APIRoot:      c.root.Name,
		CollectionID: c.ID,
		OrgID:        p.Org.ID,
		Status:       tearline.StatusPending,
		RequestTime:  time.Now().UTC().Truncate(time.Microsecond),
		TotalCount:   n,
	}
	log := s.logger(r.Context()).With("status", st.ID, "collection", c.ID, "objects", n)
	if n <= s.cfg.SyncObjects {
		// The client may hang up; what was accepted is finished anyway so
		// that its status tells the truth.
		ctx := context.WithoutCancel(r.Context())
		if err := s.processNow(ctx, st, p.KeyID, body); err != nil {
			return err
		}
		log.Info("submission processed", "successes", st.SuccessCount(), "failures", st.FailureCount())
		writeTAXII(w, http.StatusAccepted, statusResourceOf(st))
		return nil
	}
	if s.closing.Load() {
		return tearline.Errorf(tearline.EUNAVAILABLE, "the server is shutting down; send the envelope again in a moment")
	}
	select {
	case s.slots <- struct{}{}:
	default:
		return tearline.Errorf(tearline.EUNAVAILABLE, "%d large submissions are waiting to be processed; retry later or send envelopes of at most %d objects", maxQueued, s.cfg.SyncObjects)
	}
	// The status does not record the key, which the review queue needs.
	if err := s.b.SetSubmissionKey(r.Context(), st.ID, p.KeyID); err != nil {
		<-s.slots
		return err
	}
	if err := s.b.CreateSubmission(r.Context(), st, body); err != nil {
		<-s.slots
		return err
	}
	s.enqueue(st.ID)
	log.Info("submission accepted for background processing")
	writeTAXII(w, http.StatusAccepted, statusResourceOf(st))
	return nil
}

// checkParams refuses query parameters on a POST, which takes none.
func checkParams(r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	return tearline.Errorf(tearline.EINVALID, "adding objects takes no query parameters; remove %q", r.URL.RawQuery)
}

// readBody reads a request body of at most limit bytes. ETOOLARGE beyond it.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	tooLarge := func() error {
		return tearline.Errorf(tearline.ETOOLARGE,
			"the request body is larger than this API root's max_content_length of %d bytes; split the objects over several envelopes", limit)
	}
	if r.ContentLength > limit {
		return nil, tooLarge()
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	var ne net.Error
	if errors.As(err, &mbe) {
		return nil, tooLarge()
	} else if errors.As(err, &ne) && ne.Timeout() {
		// The server's read timeout: a client too slow, not a server fault.
		return nil, tearline.Errorf(tearline.EINVALID, "the request body did not arrive within the server's read timeout; send it faster, or smaller envelopes")
	} else if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	return buf.Bytes(), nil
}

// checkEnvelope checks the structure of a TAXII envelope and returns the
// number of its objects, without validating them. EINVALID, with what to
// fix, for malformed JSON, a body that is not an object, a STIX bundle, or
// an envelope whose "objects" is missing, empty or not a list.
func checkEnvelope(body []byte) (int, error) {
	br := stix.NewEnvelopeReader(bytes.NewReader(body))
	n := 0
	for {
		_, _, err := br.Next()
		var tooLarge *stix.TooLargeError
		if err == io.EOF {
			break
		} else if errors.As(err, &tooLarge) {
			n++ // reported as that object's failure
			continue
		} else if err != nil {
			return 0, tearline.Errorf(tearline.EINVALID, "the body is not a valid TAXII envelope: %v", err)
		}
		n++
	}
	if errs := br.Issues.Errors(); len(errs) > 0 {
		return 0, tearline.Errorf(tearline.EINVALID, "the body is not a valid TAXII envelope: %s", issuesText(errs, 2000))
	}
	return n, nil
}

// issuesText joins issues for a message, cut at about max bytes.
func issuesText(is stix.Issues, max int) string {
	var b strings.Builder
	for i, iss := range is {
		if i > 0 {
			b.WriteString("; ")
		}
		if b.Len() > max {
			fmt.Fprintf(&b, "and %d more", len(is)-i)
			break
		}
		b.WriteString(iss.String())
	}
	return b.String()
}

// batchSize returns how many objects of a submission of total objects go
// to the store at once: at least ingest.DefaultBatchSize, and few enough
// batches that saving the growing status after each stays cheap.
func (s *Server) batchSizeFor(total int) int {
	if n := s.batchSize.Load(); n > 0 {
		return int(n)
	}
	return min(max(ingest.DefaultBatchSize, (total+19)/20), 20000)
}

// process validates and stores the objects of submission st, made with
// API key keyID, from its envelope body and fills its successes and
// failures, and its pendings with the objects held for review. save, when set, is
// called after each stored batch; finish, when set, is ingest's
// Options.Finish. It returns which objects (by index) got a detail, whether
// finish was called in a transaction that committed, and ctx's error when
// canceled (batches stored by then stay stored) or a store error.
func (s *Server) process(ctx context.Context, st *tearline.Status, keyID string, body []byte, save func(),
	finish func(tearline.BatchTx) error) (done []bool, finished bool, err error) {
	st.Successes, st.Failures, st.Pendings = nil, nil, nil
	done = make([]bool, st.TotalCount)
	submitter, err := s.submitter(ctx, st.OrgID)
	if err != nil {
		return done, false, err
	}
	opts := ingest.Options{
		BatchSize: s.batchSizeFor(st.TotalCount),
		Policy:    s.policy,
		Submitter: submitter,
		Source:    st.OrgID,
		StatusID:  st.ID,
		KeyID:     keyID,
		OnObject: func(o *ingest.Outcome) {
			if o.Index < len(done) {
				done[o.Index] = true
			}
			s.countObject(o.Status)
			d := tearline.StatusDetail{ID: o.ID, Version: o.Version, Message: ingest.FormatWarnings(o.Warnings)}
			switch {
			case o.Held != nil:
				st.Pendings = append(st.Pendings, d)
			case o.Status == tearline.Added:
				if d.Version == "" {
					d.Version = dateAdded(o.DateAdded)
				}
				st.Successes = append(st.Successes, d)
			case o.Status == tearline.Duplicate:
				if d.Version == "" {
					d.Version = dateAdded(o.DateAdded)
				}
				st.Successes = append(st.Successes, d)
			default:
				d.Message = issuesText(o.Issues.Errors(), 1000)
				if d.Message == "" {
					d.Message = "not stored"
				}
				st.Failures = append(st.Failures, d)
			}
		},
	}
	if idx, ok := s.b.(tearline.Observables); ok {
		opts.Observables = idx
	}
	opts.Scorer = s.scores
	if save != nil {
		opts.OnProgress = func(int) { save() }
	}
	opts.Finish = finish
	rep, err := ingest.Envelope(ctx, s.b, st.CollectionID, bytes.NewReader(body), opts)
	s.feedChanged()
	return done, rep.Finished && err == nil, err
}

// processNow processes submission st from its envelope body, saves its
// final status and records it for triage. Where the store can, the status
// and the record commit with the objects of the last batch: the
// submission is then one write transaction, not three.
func (s *Server) processNow(ctx context.Context, st *tearline.Status, keyID string, body []byte) error {
	finish := func(tx tearline.BatchTx) error {
		st.Status = afterProcessing(st)
		if err := tx.SaveStatus(st); err != nil {
			return err
		}
		if sub := s.submission(ctx, st); sub != nil {
			return tx.RecordSubmission(sub)
		}
		return nil
	}
	_, finished, err := s.process(ctx, st, keyID, body, nil, finish)
	if err != nil || finished {
		return err
	}
	st.Status = afterProcessing(st)
	if err := s.b.SaveStatus(ctx, st); err != nil {
		return err
	}
	s.submitted(ctx, st)
	return nil
}

// submitter returns the organization with orgID as the access decision's
// recipient for checking what it submits: its clearance bounds the
// classification it may assert. An organization deleted since it submitted
// keeps only its id (and the lowest clearance).
func (s *Server) submitter(ctx context.Context, orgID string) (*marking.Recipient, error) {
	return recipientOf(ctx, s.b, orgID)
}

// recipientOf is Server.submitter over a directory.
func recipientOf(ctx context.Context, dir tearline.Directory, orgID string) (*marking.Recipient, error) {
	o, err := dir.FindOrganization(ctx, orgID)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return &marking.Recipient{OrgID: orgID}, nil
	} else if err != nil {
		return nil, err
	}
	return marking.MemberRecipient(o), nil
}

// worker processes queued submissions until Shutdown.
func (s *Server) worker() {
	for {
		select {
		case <-s.stop:
			return
		case id := <-s.queue:
			s.runSubmission(id)
			s.mu.Lock()
			delete(s.queued, id)
			s.mu.Unlock()
			<-s.slots
		}
	}
}

// runSubmission processes the stored submission with the given id, saving
// its status after every batch and completing it at the end. Shutdown stops
// it between batches, leaving it to be resumed by the next Start; so does a
// store failure, which is logged.
func (s *Server) runSubmission(id string) {
	ctx, cancel := s.stopContext()
	defer cancel()
	log := s.log.With("status", id)
	st, err := s.b.FindStatus(ctx, id)
	if err != nil {
		log.Error("read pending submission", "err", err)
		return
	}
	body, err := s.b.SubmissionBody(ctx, id)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return // completed meanwhile
	} else if err != nil {
		log.Error("read pending submission", "err", err)
		return
	}
	log = log.With("collection", st.CollectionID, "objects", st.TotalCount)
	start := time.Now()
	st.Status = tearline.StatusPending
	save := func() {
		if err := s.b.SaveStatus(ctx, st); err != nil {
			if ctx.Err() == nil {
				log.Warn("save submission progress", "err", err)
			}
			return
		}
		if hook := s.afterSave.Load(); hook != nil {
			(*hook)(cloneStatus(st))
		}
		// Stop at this batch boundary once Shutdown has begun; the context
		// is also canceled by stopContext, but asynchronously.
		select {
		case <-s.stop:
			cancel()
		default:
		}
	}
	key, err := s.b.SubmissionKey(ctx, id)
	if err != nil && tearline.ErrorCode(err) != tearline.ENOTFOUND {
		log.Error("read pending submission", "err", err)
		return
	}
	done, _, err := s.process(ctx, st, key, body, save, nil)
	switch {
	case ctx.Err() != nil:
		log.Info("submission interrupted by shutdown; the next start resumes it",
			"successes", st.SuccessCount(), "failures", st.FailureCount())
		return
	case tearline.ErrorCode(err) == tearline.ENOTFOUND:
		// The collection was deleted: nothing more can be stored.
		failRemaining(st, body, done, "the collection was deleted before the object was stored")
	case err != nil:
		log.Error("submission failed; the next start retries it", "err", err)
		return
	}
	st.Status = afterProcessing(st)
	if err := s.b.CompleteSubmission(ctx, st); err != nil {
		log.Error("complete submission; the next start retries it", "err", err)
		return
	}
	s.submitted(ctx, st)
	if hook := s.afterSave.Load(); hook != nil {
		(*hook)(cloneStatus(st))
	}
	log.Info("submission processed", "successes", st.SuccessCount(), "failures", st.FailureCount(),
		"duration", time.Since(start))
}

// failRemaining records every object of the envelope not marked done as a
// failure with the given message.
func failRemaining(st *tearline.Status, body []byte, done []bool, msg string) {
	br := stix.NewEnvelopeReader(bytes.NewReader(body))
	for {
		raw, i, err := br.Next()
		var tooLarge *stix.TooLargeError
		if errors.As(err, &tooLarge) {
			continue // a failure already
		} else if err != nil {
			break
		}
		if i < len(done) && done[i] {
			continue
		}
		id, version := ingest.Identify(raw)
		st.Failures = append(st.Failures, tearline.StatusDetail{ID: id, Version: version, Message: msg})
	}
}

func cloneStatus(st *tearline.Status) *tearline.Status {
	c := *st
	c.Successes = append([]tearline.StatusDetail(nil), st.Successes...)
	c.Failures = append([]tearline.StatusDetail(nil), st.Failures...)
	c.Pendings = append([]tearline.StatusDetail(nil), st.Pendings...)
	return &c
}
