package taxii

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/dissem"
	"github.com/tearline/tearline/ledger"
)

// Stream timing: a comment line keeps idle connections (and proxies)
// open; a client that does not take an event within streamWriteTimeout
// is cut off, so it holds nothing up.
const (
	streamKeepAlive    = 15 * time.Second
	streamWriteTimeout = 30 * time.Second
	streamBatch        = 200
)

// streamFilter returns the filter a stream request names: the caller's
// organization's subscription given by ?subscription=ID, else its sector
// feed.
func (s *Server) streamFilter(r *http.Request, p *tearline.Principal) (*dissem.Filter, error) {
	id := r.URL.Query().Get("subscription")
	if id == "" {
		return dissem.DefaultFilter(), nil
	}
	sub, err := s.subs.FindSubscription(r.Context(), id)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND || err == nil && sub.OrgID != p.Org.ID {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no subscription %q of your organization", id)
	} else if err != nil {
		return nil, err
	}
	return dissem.Parse(sub.Filter)
}

// streamCursor returns where a stream starts: after the Last-Event-ID
// header (or last_event_id parameter) when given, else at the newest
// feed entry.
func (s *Server) streamCursor(r *http.Request) (int64, error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("last_event_id")
	}
	if v == "" {
		return s.dissem.Head(), nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, tearline.Errorf(tearline.EINVALID, "Last-Event-ID %q is not an event id this server sent (a feed sequence number)", v)
	}
	return n, nil
}

// stream serves GET /api/v1/stream[?subscription=ID] as server-sent
// events: every object of the subscription (or of the caller's sector
// feed) that passes the access decision, one event each, event type
// "stix", id its feed sequence number, data its JSON. A reconnecting
// client sends Last-Event-ID and resumes after it. When entries were
// examined but none could go, an event with only an id moves the
// client's Last-Event-ID on. Every decision is recorded in the ledger
// (path webhook, the caller's key, the request id).
func (s *Server) stream(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	if err := s.noDissem(); err != nil {
		return err
	}
	for name := range r.URL.Query() {
		if name != "subscription" && name != "last_event_id" {
			return tearline.Errorf(tearline.EINVALID, "the stream takes the parameters subscription and last_event_id, not %q", name)
		}
	}
	f, err := s.streamFilter(r, p)
	if err != nil {
		return err
	}
	cursor, err := s.streamCursor(r)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	flush := func() error {
		if err := rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && err != http.ErrNotSupported {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		return rc.Flush()
	}
	bw.WriteString(": tearline stream; resume with Last-Event-ID\n\n")
	if err := flush(); err != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	delivery := dissem.Delivery{Path: ledger.PathWebhook, Key: p.KeyID, Request: requestInfoOf(ctx).id, Ceiling: f.Ceiling()}
	sent := cursor
	var written []time.Time // acceptance times of the events of a flush, recorded as it starts
	for ctx.Err() == nil {
		wctx, cancel := context.WithTimeout(ctx, streamKeepAlive)
		sel, err := s.dissem.Select(wctx, p.Org.ID, f, cursor, tearline.MaxFeedPage, streamBatch, true)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && wctx.Err() != nil:
			sel = &dissem.Selection{Cursor: cursor} // the wait ended while reading: read again
		case err != nil:
			s.logger(ctx).Error("stream: read the feed", "err", err)
			return nil // the client reconnects with its Last-Event-ID
		}
		written = written[:0]
		if len(sel.Entries) > 0 {
			raws, err := s.gateOf().Release(ctx, p.Org, delivery, sel.Entries)
			if err != nil {
				return nil // the ledger cannot record: end the stream; the client resumes later
			}
			for i, e := range sel.Entries {
				if raws[i] != nil {
					writeEvent(bw, e.Seq, raws[i])
					sent = e.Seq
					written = append(written, e.Time)
				}
			}
		}
		cursor = sel.Cursor
		if cursor > sent {
			// Nothing more may go up to here: let the client resume after it.
			bw.WriteString("id: " + strconv.FormatInt(cursor, 10) + "\n\n")
			sent = cursor
		} else if len(sel.Entries) == 0 {
			bw.WriteString(": keep-alive\n\n")
		}
		for _, t := range written {
			s.cfg.Metrics.DeliveryLag("stream", time.Since(t))
		}
		if err := flush(); err != nil {
			return nil // the client went away or does not read
		}
	}
	return nil
}

// writeEvent writes one object as an event. The data field cannot hold
// a line break, so the object's JSON goes as one data line per line of
// its text; line breaks are whitespace between JSON tokens, and a client
// joins the lines with "\n". A carriage return, also whitespace there,
// goes as a space, since it would end a line.
func writeEvent(bw *bufio.Writer, seq int64, raw []byte) {
	bw.WriteString("id: ")
	bw.WriteString(strconv.FormatInt(seq, 10))
	bw.WriteString("\nevent: stix\n")
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		bw.WriteString("data: ")
		if bytes.IndexByte(line, '\r') >= 0 {
			line = bytes.ReplaceAll(line, []byte{'\r'}, []byte{' '})
		}
		bw.Write(line)
		bw.WriteByte('\n')
	}
	bw.WriteByte('\n')
}
