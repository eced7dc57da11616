package backup

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/sqlite"
)

// ErrMismatch is wrapped by the errors of Verify and Restore when a file
// of the backup, or what was restored from it, differs from the manifest.
var ErrMismatch = errors.New("does not match the manifest")

// readManifest reads and parses dir/MANIFEST.json.
func readManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s has no %s: not a finished Tearline backup", dir, ManifestName)
	} else if err != nil {
		return nil, err
	}
	return ParseManifest(b)
}

// Verify checks the backup in dir without restoring it: the database file's
// size and hash, its integrity, row counts and content hashes, and the
// ledger's segments and chain up to the head the manifest names. It returns
// the manifest, or an error wrapping ErrMismatch (or a *ledger.BrokenError)
// for the first difference.
func Verify(ctx context.Context, dir string) (_ *Manifest, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("verify backup %s: %w", dir, err)
		}
	}()
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	db := filepath.Join(dir, m.Database.File)
	size, hash, err := hashFile(db)
	if err != nil {
		return nil, err
	}
	if size != m.Database.Size || hash != m.Database.SHA256 {
		return nil, fmt.Errorf("%s: size %d, SHA-256 %s %w (size %d, SHA-256 %s)", db, size, hash, ErrMismatch, m.Database.Size, m.Database.SHA256)
	}
	if err := checkSummary(ctx, db, m); err != nil {
		return nil, err
	}
	if m.Ledger != nil {
		lg := filepath.Join(dir, m.Ledger.Dir)
		for _, s := range m.Ledger.Segments {
			size, hash, err := hashFile(filepath.Join(lg, s.Name))
			if err != nil {
				return nil, err
			}
			if size != s.Size || hash != s.SHA256 {
				return nil, fmt.Errorf("ledger segment %s: size %d, SHA-256 %s %w", s.Name, size, hash, ErrMismatch)
			}
		}
		if err := checkLedger(lg, m.Ledger); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Restore brings the backup in dir back into the data directory dataDir,
// which must not exist or be an empty directory. It copies the database
// and the ledger, checks the copies against the manifest (file hashes, the
// database's integrity, row counts and content hashes, the ledger's chain
// up to the recorded head), then opens the store once, which brings its
// schema up to date and returns it to WAL mode. On failure it removes what
// it wrote. It returns the manifest.
func Restore(ctx context.Context, dir, dataDir string) (_ *Manifest, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("restore %s into %s: %w", dir, dataDir, err)
		}
	}()
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	created, err := emptyDir(dataDir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			removeWritten(dataDir, created)
		}
	}()
	if err := os.Chmod(dataDir, 0o700); err != nil {
		return nil, err
	}

	db := filepath.Join(dataDir, sqlite.FileName)
	size, hash, err := copyFile(filepath.Join(dir, m.Database.File), db)
	if err != nil {
		return nil, err
	}
	if size != m.Database.Size || hash != m.Database.SHA256 {
		return nil, fmt.Errorf("database: copied %d bytes with SHA-256 %s, which %w (size %d, SHA-256 %s)", size, hash, ErrMismatch, m.Database.Size, m.Database.SHA256)
	}
	if m.Ledger != nil {
		src, dst := filepath.Join(dir, m.Ledger.Dir), filepath.Join(dataDir, ledger.DirName)
		if err := os.Mkdir(dst, 0o700); err != nil {
			return nil, err
		}
		for _, s := range m.Ledger.Segments {
			size, hash, err := copyFile(filepath.Join(src, s.Name), filepath.Join(dst, s.Name))
			if err != nil {
				return nil, err
			}
			if size != s.Size || hash != s.SHA256 {
				return nil, fmt.Errorf("ledger segment %s: copied %d bytes with SHA-256 %s, which %w", s.Name, size, hash, ErrMismatch)
			}
		}
		if err := syncDir(dst); err != nil {
			return nil, err
		}
		if err := checkLedger(dst, m.Ledger); err != nil {
			return nil, err
		}
	}
	if err := syncDir(dataDir); err != nil {
		return nil, err
	}
	if err := checkSummary(ctx, db, m); err != nil {
		return nil, err
	}
	store, err := sqlite.Open(ctx, dataDir)
	if err != nil {
		return nil, err
	}
	if err := store.Close(); err != nil {
		return nil, err
	}
	return m, nil
}

// checkSummary summarizes the database file db and compares it with the
// manifest.
func checkSummary(ctx context.Context, db string, m *Manifest) error {
	s, err := sqlite.Summarize(ctx, db)
	if err != nil {
		return err
	}
	want := m.Database.Summary
	switch {
	case s.Integrity != "ok":
		return fmt.Errorf("%s fails the integrity check: %s", db, s.Integrity)
	case !maps.Equal(s.Tables, want.Tables):
		return fmt.Errorf("%s: row counts %v %w (%v)", db, s.Tables, ErrMismatch, want.Tables)
	case !maps.Equal(s.Collections, want.Collections):
		return fmt.Errorf("%s: objects per collection %v %w (%v)", db, s.Collections, ErrMismatch, want.Collections)
	case s.Objects != want.Objects:
		return fmt.Errorf("%s: the objects' content hash %s %w (%s)", db, s.Objects, ErrMismatch, want.Objects)
	case s.Content != want.Content:
		return fmt.Errorf("%s: the content hash %s %w (%s)", db, s.Content, ErrMismatch, want.Content)
	}
	return nil
}

// checkLedger verifies the ledger in dir and checks that it ends at the
// head the manifest names.
func checkLedger(dir string, want *Ledger) error {
	rep, err := ledger.Verify(dir, ledger.VerifyOptions{Anchor: want.Head})
	if err != nil {
		return err
	}
	if rep.Head != want.Head || rep.HeadSeq != want.HeadSeq || rep.Records != want.Records || rep.Disclosures != want.Disclosures || rep.Torn != 0 {
		return fmt.Errorf("ledger %s: head %d %s, %d records, %d disclosures: %w (head %d %s)",
			dir, rep.HeadSeq, rep.Head, rep.Records, rep.Disclosures, ErrMismatch, want.HeadSeq, want.Head)
	}
	return nil
}
