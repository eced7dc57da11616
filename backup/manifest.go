package backup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/sqlite"
)

// Format names the layout of a backup directory; Restore refuses others.
const Format = "tearline-backup/1"

// ManifestName is the manifest's file name in a backup directory. It is
// written last: a directory without it is not a finished backup.
const ManifestName = "MANIFEST.json"

// Manifest describes a backup: what it holds and the facts Restore checks.
type Manifest struct {
	Format   string    `json:"format"`
	Created  time.Time `json:"created"`
	Tearline string    `json:"tearline"` // the version that wrote it
	Database Database  `json:"database"`
	// Ledger is nil when the data directory had no ledger.
	Ledger *Ledger `json:"ledger,omitempty"`
}

// Database describes the database file of a backup.
type Database struct {
	File   string `json:"file"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	sqlite.Summary
}

// Ledger describes the copy of the disclosure ledger in a backup. Head is
// the hash of its last record: the restored ledger must end there.
type Ledger struct {
	Dir         string                 `json:"dir"`
	Segments    []ledger.CopiedSegment `json:"segments"`
	Records     uint64                 `json:"records"`
	Disclosures uint64                 `json:"disclosures"`
	Head        string                 `json:"head"`
	HeadSeq     uint64                 `json:"head_seq"`
}

var (
	hexHash     = regexp.MustCompile(`^[0-9a-f]{64}$`)
	segmentFile = regexp.MustCompile(`^disclosures-[0-9]{6,}\.log$`)
)

// ParseManifest reads a manifest and checks that it describes a backup
// Restore can use: the format, file names that stay inside the backup
// directory, hashes and sizes of the right shape. Unknown members are
// refused, so a manifest of a later format is not half read.
func ParseManifest(data []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("manifest: data after the JSON object")
	}
	switch {
	case m.Format != Format:
		return nil, fmt.Errorf("manifest: format %q, want %q", m.Format, Format)
	case m.Database.File != sqlite.FileName:
		return nil, fmt.Errorf("manifest: database.file %q, want %q", m.Database.File, sqlite.FileName)
	case m.Database.Size <= 0:
		return nil, fmt.Errorf("manifest: database.size %d", m.Database.Size)
	case !hexHash.MatchString(m.Database.SHA256):
		return nil, fmt.Errorf("manifest: database.sha256 is not a hex SHA-256")
	case m.Database.Integrity != "ok":
		return nil, fmt.Errorf("manifest: database.integrity %q: the backup was not consistent", m.Database.Integrity)
	case !hexHash.MatchString(m.Database.Content) || !hexHash.MatchString(m.Database.Objects):
		return nil, fmt.Errorf("manifest: database.content_sha256 and objects_sha256 must be hex SHA-256")
	}
	for t, n := range m.Database.Tables {
		if n < 0 {
			return nil, fmt.Errorf("manifest: database.tables[%q] = %d", t, n)
		}
	}
	if l := m.Ledger; l != nil {
		if l.Dir != ledger.DirName {
			return nil, fmt.Errorf("manifest: ledger.dir %q, want %q", l.Dir, ledger.DirName)
		}
		if len(l.Segments) == 0 || !hexHash.MatchString(l.Head) {
			return nil, fmt.Errorf("manifest: ledger needs segments and a hex SHA-256 head")
		}
		seen := map[string]bool{}
		for i, s := range l.Segments {
			if !segmentFile.MatchString(s.Name) || seen[s.Name] {
				return nil, fmt.Errorf("manifest: ledger.segments[%d].name %q", i, s.Name)
			}
			seen[s.Name] = true
			if s.Size < 0 || !hexHash.MatchString(s.SHA256) {
				return nil, fmt.Errorf("manifest: ledger.segments[%d]: size %d, sha256 %q", i, s.Size, s.SHA256)
			}
		}
	}
	return &m, nil
}
