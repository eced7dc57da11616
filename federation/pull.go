package federation

import (
	"context"
	"fmt"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/taxii/client"
)

// provenanceChunk is how many pages of a pull share one provenance write
// (whole batches: more when a batch is larger).
// Provenance rows go to random places of their index, so a write dirties a
// page of the index per row until most of its pages are dirty; writing the
// rows of several pages in one transaction writes each dirty page once.
const provenanceChunk = 8

// gatherWait is how long a pull keeps the pages it has gathered while the
// peer is still answering the next one. Past it they are stored, and the
// cursor moves past them, as at the end of the collection: a slow peer's
// first pages are not held back until eight more have come. A peer that
// answers faster never waits this long.
const gatherWait = 250 * time.Millisecond

// pullJob is one batch of a pull on its way into the store: the objects
// of one page, or of consecutive pages up to Config.BatchObjects.
type pullJob struct {
	env    *client.Envelope // the batch's last page; nil for a failed fetch
	cursor string           // the batch's last X-TAXII-Date-Added-Last
	err    error            // of fetching the page, of recording its provenance, or of storing it
	batch  *Batch
	prep   *prepared
	res    *Result
	done   chan struct{}
}

// pull reads the objects the peer's collection received since the link's
// cursor, every version, page by page, into the local collection.
//
// Three stages overlap: pages are fetched, gathered into batches of at
// least Config.BatchObjects objects (or fewer at the end, or when the
// next page takes longer than gatherWait), and prepared (crosswalk,
// objects to hold) ahead; the provenance of the batches of
// about provenanceChunk pages is recorded in one transaction before any of
// them is stored; batches are stored Config.Parallel at a time
// (one validates while another is written). The batches are taken in order
// afterwards: after each, the cursor moves to its last page's
// X-TAXII-Date-Added-Last and is saved, once every batch before it is
// stored, so a run stopped part way (or a crash) resumes after the last
// batch stored; a page stored twice changes nothing. Objects held for
// review or refused are counted in the state and logged, and do not stop
// the run.
func (s *Syncer) pull(ctx context.Context, l *tearline.Link, p *tearline.Peer, st *tearline.LinkState) error {
	c, err := s.client(p)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Pages are fetched on one goroutine and gathered on another, so
	// that what is gathered can be stored while a slow peer is still
	// answering the next page.
	type fetched struct {
		env *client.Envelope
		err error
	}
	fetches := make(chan fetched)
	f := client.Filter{AddedAfter: st.Cursor, Limit: s.cfg.PageSize, Versions: []string{tearline.VersionAll}}
	go func() {
		defer close(fetches)
		for env, err := range c.Pages(ctx, p.URL, l.RemoteCollection, f) {
			select {
			case fetches <- fetched{env, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	chunks := make(chan []*pullJob, 1)
	go func() {
		defer close(chunks)
		var (
			chunk   []*pullJob
			pages   int      // in chunk
			objects [][]byte // of the pages gathered for the next batch
			cursor  string
		)
		send := func() bool {
			select {
			case chunks <- chunk:
				chunk, pages = nil, 0
				return true
			case <-ctx.Done():
				return false
			}
		}
		// gather adds the pages gathered so far, the last of them env, to
		// the chunk as one batch.
		gather := func(env *client.Envelope) {
			j := &pullJob{env: env, cursor: cursor, done: make(chan struct{})}
			if len(objects) > 0 {
				j.batch = &Batch{Peer: p, LinkID: l.ID, CollectionID: l.CollectionID, RemoteCollection: l.RemoteCollection, Objects: objects}
				j.prep = s.cfg.Inbound.prepare(j.batch)
			}
			chunk = append(chunk, j)
			objects, cursor = nil, ""
		}
		var last *client.Envelope // the last page gathered, if its batch is not made yet
		// flush sends what is gathered, as at the end of the collection.
		flush := func() bool {
			if last != nil {
				gather(last)
				last = nil
			}
			return len(chunk) == 0 || send()
		}
		wait := time.NewTimer(gatherWait)
		defer wait.Stop()
		for {
			// Pages gathered wait for the next one at most gatherWait.
			var timeout <-chan time.Time
			if last != nil || len(chunk) > 0 {
				wait.Reset(gatherWait)
				timeout = wait.C
			}
			var pg fetched
			select {
			case pg = <-fetches:
			case <-timeout:
				if !flush() {
					return
				}
				continue
			case <-ctx.Done():
				return
			}
			if pg.env == nil && pg.err == nil { // the collection has no more
				flush()
				return
			}
			if pg.err != nil {
				if last != nil {
					gather(last)
					last = nil
				}
				chunk = append(chunk, &pullJob{err: pg.err, done: make(chan struct{})})
				send()
				return
			}
			env := pg.env
			if len(objects) == 0 {
				objects = env.Objects // most batches are one page: no copy
			} else {
				objects = append(objects[:len(objects):len(objects)], env.Objects...)
			}
			if env.DateAddedLast != "" {
				cursor = env.DateAddedLast
			}
			last = env
			pages++
			if len(objects) < s.cfg.BatchObjects && env.More {
				continue
			}
			gather(env)
			last = nil
			if (pages >= provenanceChunk || !env.More) && !send() {
				return
			}
		}
	}()
	jobs := make(chan *pullJob, provenanceChunk)
	slots := make(chan struct{}, s.cfg.Parallel)
	go func() {
		defer close(jobs)
		for chunk := range chunks {
			var prov []tearline.Provenance
			for _, j := range chunk {
				if j.prep != nil {
					prov = append(prov, j.prep.prov...)
				}
			}
			perr := s.cfg.Store.AddProvenance(ctx, prov)
			for _, j := range chunk {
				select {
				case jobs <- j:
				case <-ctx.Done():
					return
				}
				if j.err == nil && perr != nil {
					j.err = perr
				}
				if j.err != nil || j.prep == nil {
					close(j.done)
					continue
				}
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					j.err = ctx.Err()
					close(j.done)
					return
				}
				go func() {
					defer close(j.done)
					defer func() { <-slots }()
					j.res, j.err = s.cfg.Inbound.store(ctx, j.batch, j.prep)
				}()
			}
		}
	}()
	// On an early return the pages in flight are canceled; they are
	// waited for, so that nothing writes after the run.
	defer func() {
		cancel()
		for j := range jobs {
			<-j.done
		}
		for range chunks {
		}
		for range fetches {
		}
	}()
	log := s.log.With("link", l.ID, "peer", p.Name)
	defsAdded := 0
	for j := range jobs {
		<-j.done
		if j.err != nil {
			if j.env == nil {
				return fmt.Errorf("pull from %s collection %s: %w", p.Name, l.RemoteCollection, j.err)
			}
			return fmt.Errorf("store objects pulled from %s: %w", p.Name, j.err)
		}
		if res := j.res; res != nil {
			st.Objects += int64(res.Added + res.Duplicates)
			st.Refused += int64(len(res.Refused))
			st.Held += int64(len(res.Held))
			defsAdded += res.Definitions
			for i, r := range res.Refused {
				if i == 5 {
					log.Warn("more objects refused", "count", len(res.Refused)-i)
					break
				}
				log.Warn("object from peer refused", "object", r.ID, "version", r.Version, "reason", r.Message)
			}
			for _, h := range res.Held {
				log.Info("object from peer held for review", "object", h.ObjectID, "version", h.Version, "reason", h.Reason, "held", h.ID)
			}
		}
		if j.cursor != "" && j.cursor != st.Cursor {
			st.Cursor = j.cursor
			if err := s.saveProgress(ctx, st); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if defsAdded > 0 {
		// Objects held for want of a definition that has arrived since
		// (bundles that put their definitions last, or a page prepared
		// before the page with the definition was stored) are stored now.
		stored, remaining, err := s.cfg.Inbound.ReleaseAll(ctx, p.ID)
		if err != nil {
			return fmt.Errorf("release held objects of %s: %w", p.Name, err)
		}
		if stored > 0 {
			log.Info("held objects stored after their marking definitions arrived", "stored", stored, "still_held", remaining)
			st.Objects += int64(stored)
		}
	}
	return nil
}
