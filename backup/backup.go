// Package backup takes online backups of a Tearline data directory (the
// embedded SQLite store and the disclosure ledger) and restores them, with
// verification on both sides.
//
// A backup is a directory:
//
//	OUT/tearline.db                      a consistent snapshot (VACUUM INTO)
//	                                     (not derived.db: the full-text index
//	                                     is rebuilt from it on first open)
//	OUT/ledger/disclosures-NNNNNN.log    the ledger's segments, up to a record
//	OUT/MANIFEST.json                    what Restore checks, written last
//
// Create copies the ledger first, then snapshots the database, so every
// disclosure the backup's ledger records is of an object the backup's
// database holds (unless it was deleted before the snapshot). Both copies
// are taken while the server runs: the snapshot is one read transaction,
// and the ledger is copied up to its last complete record.
package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/sqlite"
)

// Options tune Create.
type Options struct {
	// Version is the Tearline version recorded in the manifest.
	Version string
}

// Create writes a backup of the data directory dataDir into out, which
// must not exist or be an empty directory, while a server may be running
// on dataDir. It verifies what it wrote (the snapshot's integrity, the
// ledger copy's chain) and returns the manifest and the names of the files
// of dataDir it did not back up (none that Tearline writes). On failure it
// removes what it wrote.
func Create(ctx context.Context, dataDir, out string, opts Options) (m *Manifest, skipped []string, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("backup %s: %w", dataDir, err)
		}
	}()
	if _, err := os.Stat(filepath.Join(dataDir, sqlite.FileName)); err != nil {
		return nil, nil, fmt.Errorf("no store in the data directory: %w", err)
	}
	created, err := emptyDir(out)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			removeWritten(out, created)
		}
	}()
	if skipped, err = unknownFiles(dataDir); err != nil {
		return nil, nil, err
	}
	m = &Manifest{Format: Format, Created: time.Now().UTC(), Tearline: opts.Version}

	// The ledger first: see the package comment.
	rep, segs, err := ledger.Copy(filepath.Join(dataDir, ledger.DirName), filepath.Join(out, ledger.DirName))
	switch {
	case errors.Is(err, ledger.ErrNoLedger):
		os.RemoveAll(filepath.Join(out, ledger.DirName))
	case err != nil:
		return nil, nil, err
	default:
		m.Ledger = &Ledger{Dir: ledger.DirName, Segments: segs, Records: rep.Records,
			Disclosures: rep.Disclosures, Head: rep.Head, HeadSeq: rep.HeadSeq}
	}

	db := filepath.Join(out, sqlite.FileName)
	if err := sqlite.Snapshot(ctx, dataDir, db); err != nil {
		return nil, nil, err
	}
	sum, err := sqlite.Summarize(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	if sum.Integrity != "ok" {
		return nil, nil, fmt.Errorf("the snapshot fails the integrity check: %s", sum.Integrity)
	}
	size, hash, err := hashFile(db)
	if err != nil {
		return nil, nil, err
	}
	m.Database = Database{File: sqlite.FileName, Size: size, SHA256: hash, Summary: *sum}
	if err := writeManifest(out, m); err != nil {
		return nil, nil, err
	}
	return m, skipped, nil
}

// knownFiles are the names in a data directory that Tearline writes: the
// database (copied by snapshot), its WAL and shared memory (part of the
// snapshot), the derived file of the full-text index and its WAL (left
// out: the store rebuilds it from the database when it opens the restored
// directory), and the ledger directory.
var knownFiles = []string{sqlite.FileName, sqlite.FileName + "-wal", sqlite.FileName + "-shm",
	sqlite.DerivedFileName, sqlite.DerivedFileName + "-wal", sqlite.DerivedFileName + "-shm", ledger.DirName}

// unknownFiles lists the entries of dataDir that a backup does not hold.
func unknownFiles(dataDir string) ([]string, error) {
	des, err := os.ReadDir(dataDir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, de := range des {
		if !slices.Contains(knownFiles, de.Name()) {
			out = append(out, de.Name())
		}
	}
	return out, nil
}

// emptyDir makes sure dir is an empty directory, creating it (and
// reporting so) when it does not exist.
func emptyDir(dir string) (created bool, err error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return false, err
		}
		return true, nil
	} else if err != nil {
		return false, err
	}
	if len(des) > 0 {
		names := make([]string, 0, 3)
		for _, de := range des[:min(3, len(des))] {
			names = append(names, de.Name())
		}
		return false, fmt.Errorf("%s is not empty (it holds %v...): refusing to write over it", dir, names)
	}
	return false, nil
}

// removeWritten removes what a failed Create or Restore wrote into dir:
// the directory itself if it created it, else its content (it was empty).
func removeWritten(dir string, created bool) {
	if created {
		os.RemoveAll(dir)
		return
	}
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		os.RemoveAll(filepath.Join(dir, de.Name()))
	}
}

// writeManifest writes m to dir/MANIFEST.json through a temporary file,
// synced, renamed into place and the directory synced: the manifest
// appears whole, after everything it describes.
func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ManifestName+".tmp")
	if err := writeSynced(tmp, append(b, '\n')); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, ManifestName)); err != nil {
		return err
	}
	return syncDir(dir)
}

// writeSynced writes data to the new file name and syncs it.
func writeSynced(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes the entries of dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// hashFile returns the size and hex SHA-256 of the file at path.
func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return n, hex.EncodeToString(h.Sum(nil)), err
}

// copyFile copies src to the new file dst, synced, and returns the size and
// hex SHA-256 of what it copied.
func copyFile(src, dst string) (int64, string, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, hex.EncodeToString(h.Sum(nil)), err
}
