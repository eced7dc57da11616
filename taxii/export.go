package taxii

import (
	"net/http"
	"slices"
	"strings"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/export"
	"github.com/tearline/tearline/ledger"
)

// exportPage is how many stored objects one store query of an export
// reads.
const exportPage = 1000

// getExport handles GET /api/v1/collections/{collection}/export/
// ?format=F[&report=skipped]: the latest version of each indicator of the
// collection the caller's organization may read, each passed through the
// access decision and recorded in the ledger (path export), written as
// defensive measures in format F (export.Formats; stix writes every object
// as a bundle). With report=skipped the answer is instead the JSON lines
// of what the format cannot express, with the reasons. Any role may
// export what it may read.
func (s *Server) getExport(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "stix"
	}
	if !slices.Contains(export.Formats, format) {
		return tearline.Errorf(tearline.EINVALID, "format %q: use one of %s", format, strings.Join(export.Formats, ", "))
	}
	report := false
	switch q.Get("report") {
	case "":
	case "skipped":
		report = true
	default:
		return tearline.Errorf(tearline.EINVALID, "report %q: the only report is skipped", q.Get("report"))
	}
	c, err := s.exportCollection(r, p)
	if err != nil {
		return err
	}
	var out http.ResponseWriter = w
	if report {
		out = discard{w}
		w.Header().Set("Content-Type", "application/x-ndjson")
	} else {
		w.Header().Set("Content-Type", export.ContentType(format))
		w.Header().Set("Content-Disposition", `attachment; filename="`+c.ID+`.`+format+`"`)
	}
	ew, err := export.NewWriter(out, format, export.Options{})
	if err != nil {
		return err
	}
	sq := tearline.ObjectQuery{CollectionID: c.ID, Versions: []string{tearline.VersionLast}, Limit: exportPage}
	if format != "stix" {
		sq.Types = []string{"indicator"}
	}
	for {
		page, err := s.b.QueryObjects(r.Context(), sq)
		if err != nil {
			return err
		}
		rel, err := s.releasePage(r.Context(), ledger.PathExport, p, c, page)
		if err != nil {
			return err
		}
		for _, raw := range rel.raws {
			if err := ew.Add(raw); err != nil {
				return err
			}
		}
		if !page.More || len(page.Entries) == 0 {
			break
		}
		sq.AddedAfter = page.Entries[len(page.Entries)-1].DateAdded
	}
	if err := ew.Close(); err != nil {
		return err
	}
	if report {
		return export.WriteSkipped(w, ew.Skipped())
	}
	return nil
}

// discard is a ResponseWriter whose body goes nowhere, for the skipped
// report: the export runs, only its report is sent.
type discard struct{ http.ResponseWriter }

func (discard) Write(b []byte) (int, error) { return len(b), nil }

// exportCollection returns the collection named in the path (id or alias,
// in any API root) as p sees it: ENOTFOUND when p's organization has no
// grant on it, EFORBIDDEN when it may only write it.
func (s *Server) exportCollection(r *http.Request, p *tearline.Principal) (*collection, error) {
	key := r.PathValue("collection")
	notFound := tearline.Errorf(tearline.ENOTFOUND, "no collection %q that your organization may access", key)
	if !validCollectionKey(key) {
		return nil, notFound
	}
	col, err := s.b.FindCollection(r.Context(), key)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, notFound
	} else if err != nil {
		return nil, err
	}
	g, err := s.grant(r.Context(), p, col.ID)
	if err != nil {
		return nil, err
	}
	root := s.def
	if rt := s.roots[col.APIRoot]; rt != nil {
		root = rt
	}
	v := view(p, col, root, g)
	switch {
	case !v.visible():
		return nil, notFound
	case !v.canRead:
		return nil, tearline.Errorf(tearline.EFORBIDDEN, "your organization may not read collection %s; ask its administrators for a read grant", col.ID)
	}
	return v, nil
}
