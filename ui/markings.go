package ui

import (
	"context"
	"encoding/json"

	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii"
)

// markingView is one marking definition an object refers to, for display:
// its name (TLP:GREEN, or the stored definition's name) beside its id.
type markingView struct {
	ID, Name string
	// TLP is the definition's TLP level ("" when it is not a standard TLP
	// marking), for its colour.
	TLP string
}

// tlp1Names are the names of the TLP 1.0 definitions, which TLP 2.0
// renamed (WHITE became CLEAR).
var tlp1Names = map[string]string{
	marking.TLP1White: "TLP:WHITE", marking.TLP1Green: "TLP:GREEN",
	marking.TLP1Amber: "TLP:AMBER", marking.TLP1Red: "TLP:RED",
}

// markingViews names the marking definitions ids: the standard TLP 1.0
// and 2.0 ones by the marking package, any other by the name of the
// stored definition, read through the access decision like every object
// (one the user may not see, or without a name, shows its id only).
func (p *Portal) markingViews(ctx context.Context, s *session, ids []string) ([]markingView, error) {
	out := make([]markingView, len(ids))
	var other []string
	for i, id := range ids {
		out[i].ID = id
		if t, ok := marking.StandardTLP(id); ok {
			out[i].Name, out[i].TLP = t.String(), t.String()
			if n, ok := tlp1Names[id]; ok {
				out[i].Name = n + " (TLP 1.0)"
			}
			continue
		}
		other = append(other, id)
	}
	if len(other) == 0 {
		return out, nil
	}
	defs, err := p.srv.PortalVersions(ctx, s.p, other)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, d := range latestOnly(defs) {
		names[d.ID] = definitionName(d)
	}
	for i := range out {
		if out[i].Name == "" {
			out[i].Name = names[out[i].ID]
		}
	}
	return out, nil
}

// definitionName is a stored marking definition's name, or its
// statement, or "".
func definitionName(d *taxii.PortalObject) string {
	if n := propString(d.Raw, "name"); n != "" {
		return n
	}
	var def struct {
		Definition struct {
			Statement string `json:"statement"`
		} `json:"definition"`
	}
	if json.Unmarshal(d.Raw, &def) == nil && def.Definition.Statement != "" {
		return "Statement: " + def.Definition.Statement
	}
	return ""
}
