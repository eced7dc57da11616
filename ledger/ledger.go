package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tearline/tearline/marking"
)

// DirName is the directory of the ledger inside Tearline's data directory.
const DirName = "ledger"

// ErrClosed is returned by Record, RecordBatch, Flush and Close once the
// ledger is closed.
var ErrClosed = errors.New("ledger: closed")

// Options tune a Ledger. The zero value is the default.
type Options struct {
	// SyncInterval is the longest time a written record waits for fsync
	// (default 200ms). Records not yet synced are lost if the machine (not
	// just the process) fails; Flush and Close sync.
	SyncInterval time.Duration
	// SegmentSize is the size past which a new segment file is started
	// (default 64 MiB).
	SegmentSize int64
	// Buffer is how many Record or RecordBatch calls may wait for the
	// writer before they block (default 4096).
	Buffer int
	// SkipWithheld leaves withheld decisions out of the ledger. By default
	// they are recorded: they document refusals.
	SkipWithheld bool
	// Logger receives the repair of a torn tail (default slog.Default()).
	Logger *slog.Logger
}

// Ledger is an open disclosure ledger. Its methods are safe for concurrent
// use.
type Ledger struct {
	dir  string
	opts Options
	lock *os.File // holds an exclusive flock on dir/LOCK while open

	mu     sync.RWMutex // guards closed against sends on ch
	closed bool
	ch     chan item
	done   chan struct{}
	failed atomic.Pointer[error]
	count  counters

	// The writer goroutine's state.
	f     *os.File
	seg   int
	size  int64
	enc   *encoder
	buf   []byte
	dirty bool
}

// item is one unit of work for the writer.
type item struct {
	one   Disclosure
	many  []Disclosure
	flush chan error
}

// maxPending is how many encoded bytes the writer gathers before writing.
const maxPending = 1 << 20

// Open opens the ledger in dir (DATA/ledger), creating it with its genesis
// record if needed, and resumes its chain. A torn last line (a write cut by
// a crash) is truncated and logged. It returns an error if dir cannot be
// created or read, or if the last record does not verify (run Verify).
func Open(dir string, opts Options) (l *Ledger, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("ledger: open %s: %w", dir, err)
		}
	}()
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = 200 * time.Millisecond
	}
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = 64 << 20
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 4096
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	l = &Ledger{dir: dir, opts: opts, lock: lock, ch: make(chan item, opts.Buffer), done: make(chan struct{})}
	if err := l.resume(); err != nil {
		if l.f != nil {
			l.f.Close()
		}
		lock.Close()
		return nil, err
	}
	go l.run()
	return l, nil
}

// resume opens the last segment for appending and sets the encoder to
// continue the chain from the last record.
func (l *Ledger) resume() error {
	segs, err := segments(l.dir)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		segs = []segment{{n: 1, path: filepath.Join(l.dir, segmentName(1))}}
	}
	last := segs[len(segs)-1]
	l.f, err = os.OpenFile(last.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	l.seg = last.n
	st, err := l.f.Stat()
	if err != nil {
		return err
	}
	line, end, err := lastLine(l.f, st.Size())
	if err != nil {
		return err
	}
	if end < st.Size() {
		l.opts.Logger.Warn("ledger: truncating a torn last record", "file", last.path, "offset", end, "bytes", st.Size()-end)
		if err := l.f.Truncate(end); err != nil {
			return err
		}
		if err := l.f.Sync(); err != nil {
			return err
		}
	}
	l.size = end
	// An empty last segment (a crash right after rotation) continues the
	// chain of the one before it.
	for i := len(segs) - 2; line == nil && i >= 0; i-- {
		f, err := os.Open(segs[i].path)
		if err != nil {
			return err
		}
		st, err := f.Stat()
		if err == nil {
			line, end, err = lastLine(f, st.Size())
		}
		f.Close()
		if err != nil {
			return err
		}
		if end < st.Size() {
			return fmt.Errorf("%s ends with a torn record but is not the last segment", segs[i].path)
		}
	}
	if line == nil {
		return l.genesis()
	}
	body, claimed, err := splitHash(line)
	var e record
	if err == nil {
		e, err = parseRecord(line)
	}
	var prev []byte
	if err == nil {
		prev, err = hex.DecodeString(e.Prev)
	}
	if err == nil && len(prev) != sha256.Size {
		err = errors.New("prev is not a SHA-256")
	}
	if err == nil {
		if sum := hashLine(sha256.New(), prev, body); hex.EncodeToString(sum[:]) != claimed || claimed != e.Hash {
			err = errors.New("its hash does not match its content")
		}
	}
	if err != nil {
		return fmt.Errorf("the last record does not verify (run tearline audit verify): %w", err)
	}
	var head [sha256.Size]byte
	hex.Decode(head[:], []byte(e.Hash))
	l.enc = newEncoder(e.Seq, head)
	return nil
}

// genesis writes the first record of a new ledger: sequence 0, the format
// version as its reason, and an all-zero previous hash.
func (l *Ledger) genesis() error {
	l.enc = newEncoder(0, [sha256.Size]byte{})
	g := Disclosure{Time: time.Now(), Path: pathGenesis}
	b := l.enc.appendSeq(nil, 0, &g, nil, formatVersion)
	if _, err := l.f.Write(b); err != nil {
		return err
	}
	l.size += int64(len(b))
	if err := l.f.Sync(); err != nil {
		return err
	}
	return syncDir(l.dir)
}

// Record appends d to the ledger. It does not wait for the disk: the record
// is written by a background goroutine in batches and synced at least every
// SyncInterval. It blocks only when Buffer calls are already waiting for
// the writer, so no disclosure is ever dropped. A zero d.Time is set to now.
//
// It returns ErrClosed after Close, and the write error if writing the
// ledger has failed: the caller should then refuse to disclose (fail
// closed), since its disclosures can no longer be recorded.
func (l *Ledger) Record(d Disclosure) error {
	if l.opts.SkipWithheld && d.Decision == marking.Withhold {
		return nil
	}
	if d.Time.IsZero() {
		d.Time = time.Now()
	}
	return l.send(item{one: d})
}

// RecordBatch records ds, the disclosures of one page or response, in order.
// It costs one Record call for the whole page, so readers should prefer it.
// ds is copied; the caller may reuse it. It returns the errors of Record.
func (l *Ledger) RecordBatch(ds []Disclosure) error {
	if len(ds) == 0 {
		return nil
	}
	cp := make([]Disclosure, 0, len(ds))
	var now time.Time
	for _, d := range ds {
		if l.opts.SkipWithheld && d.Decision == marking.Withhold {
			continue
		}
		if d.Time.IsZero() {
			if now.IsZero() {
				now = time.Now()
			}
			d.Time = now
		}
		cp = append(cp, d)
	}
	if len(cp) == 0 {
		return nil
	}
	return l.send(item{many: cp})
}

func (l *Ledger) send(it item) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	if err := l.failed.Load(); err != nil {
		return *err
	}
	l.ch <- it
	return nil
}

// Flush waits until every disclosure recorded before it is written and
// synced to disk. It returns ErrClosed after Close, or the write error if
// writing the ledger has failed.
func (l *Ledger) Flush() error {
	reply := make(chan error, 1)
	if err := l.send(item{flush: reply}); err != nil {
		return err
	}
	return <-reply
}

// Close writes and syncs every recorded disclosure and closes the ledger.
// It returns the write error if writing the ledger failed, or ErrClosed if
// it was already closed.
func (l *Ledger) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.closed = true
	close(l.ch)
	l.mu.Unlock()
	<-l.done
	l.lock.Close() // releases the flock
	if err := l.failed.Load(); err != nil {
		return *err
	}
	return nil
}

// run is the writer goroutine.
func (l *Ledger) run() {
	defer close(l.done)
	tick := time.NewTicker(l.opts.SyncInterval)
	defer tick.Stop()
	for {
		select {
		case it, ok := <-l.ch:
			if !ok {
				l.finish()
				return
			}
			l.take(it)
			// Gather whatever else is waiting into the same write.
		drain:
			for len(l.buf) < maxPending {
				select {
				case it, ok := <-l.ch:
					if !ok {
						l.finish()
						return
					}
					l.take(it)
				default:
					break drain
				}
			}
			l.writeOut()
		case <-tick.C:
			l.sync()
		}
	}
}

func (l *Ledger) take(it item) {
	switch {
	case it.flush != nil:
		l.writeOut()
		l.sync()
		var err error
		if p := l.failed.Load(); p != nil {
			err = *p
		}
		it.flush <- err
	case it.many != nil:
		// One record per run of disclosures sharing their header: a page
		// is one line.
		for len(it.many) > 0 {
			n := 1
			for n < len(it.many) && sameHeader(&it.many[0], &it.many[n]) {
				n++
			}
			l.add(it.many[:n])
			it.many = it.many[n:]
		}
	default:
		one := [1]Disclosure{it.one}
		l.add(one[:])
	}
}

func (l *Ledger) add(ds []Disclosure) {
	if l.failed.Load() != nil {
		return // the failure is reported to every later caller
	}
	if l.size+int64(len(l.buf)) >= l.opts.SegmentSize {
		l.rotate()
	}
	l.buf = l.enc.appendRecord(l.buf, ds)
	l.count.encoded(len(ds))
}

// rotate closes the current segment and starts the next one.
func (l *Ledger) rotate() {
	l.writeOut()
	l.sync()
	if l.failed.Load() != nil {
		return
	}
	path := filepath.Join(l.dir, segmentName(l.seg+1))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|os.O_EXCL, 0o600)
	if err == nil {
		err = syncDir(l.dir)
	}
	if err != nil {
		l.fail(err)
		return
	}
	l.f.Close()
	l.f, l.seg, l.size = f, l.seg+1, 0
}

func (l *Ledger) writeOut() {
	if len(l.buf) == 0 || l.failed.Load() != nil {
		l.buf = l.buf[:0]
		l.count.written(false)
		return
	}
	n, err := l.f.Write(l.buf)
	l.size += int64(n)
	l.buf = l.buf[:0]
	l.dirty = true
	l.count.written(err == nil)
	if err != nil {
		l.fail(err)
	}
}

func (l *Ledger) sync() {
	if !l.dirty || l.failed.Load() != nil {
		return
	}
	l.dirty = false
	if err := l.f.Sync(); err != nil {
		l.fail(err)
	}
}

func (l *Ledger) finish() {
	l.writeOut()
	l.sync()
	if err := l.f.Close(); err != nil {
		l.fail(err)
	}
}

// fail makes err sticky: nothing more is written, since a partial write
// would break the chain, and every later call reports it.
func (l *Ledger) fail(err error) {
	err = fmt.Errorf("ledger: write %s: %w", l.dir, err)
	l.failed.CompareAndSwap(nil, &err)
	l.opts.Logger.Error("ledger: writing failed; disclosures are no longer recorded", "err", err)
}
