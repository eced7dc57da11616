package marking

import (
	"strings"
	"testing"

	"github.com/tearline/tearline"
)

func TestCheckDerived(t *testing.T) {
	t.Parallel()
	p, err := NewPolicy(NewDefinitions(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	obj := func(refs ...string) []byte {
		s := `{"type":"note","id":"note--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"`
		if len(refs) > 0 {
			s += `,"object_marking_refs":["` + strings.Join(refs, `","`) + `"]`
		}
		return []byte(s + "}")
	}
	tests := []struct {
		name            string
		derived, source []byte
		code            string
	}{
		{"lower", obj(TLP2Green), obj(TLP2AmberStrict), ""},
		{"equal", obj(TLP2Amber), obj(TLP1Amber), ""},
		{"higher", obj(TLP2Red), obj(TLP2Amber), tearline.EFORBIDDEN},
		{"unmarked from clear", obj(), obj(TLP2Clear), tearline.EFORBIDDEN}, // unmarked means the stricter default
		{"unknown derived marking", obj("marking-definition--0b6b1f5c-3c6e-4c52-8d3a-6f0f0d6b5aff"), obj(TLP2Red), tearline.EINVALID},
		{"malformed", []byte(`{`), obj(TLP2Red), tearline.EINVALID},
	}
	for _, tt := range tests {
		if got := tearline.ErrorCode(p.CheckDerived(tt.derived, tt.source)); got != tt.code {
			t.Errorf("%s: code %q, want %q", tt.name, got, tt.code)
		}
	}
	ids, err := ObjectMarkings(obj(TLP2Green, TLP1Green))
	if err != nil || len(ids) != 2 || ids[0] != TLP2Green || ids[1] != TLP1Green {
		t.Errorf("ObjectMarkings: %v, %v", ids, err)
	}
	if ids, err := ObjectMarkings(obj()); err != nil || ids != nil {
		t.Errorf("ObjectMarkings of an unmarked object: %v, %v", ids, err)
	}
}
