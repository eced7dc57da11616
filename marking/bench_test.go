package marking

import "testing"

func BenchmarkDecideWhole(b *testing.B) {
	p := mustPolicy(b)
	raw := indicator(b, map[string]any{"object_marking_refs": []string{TLP2Amber},
		"external_references": []any{map[string]any{"source_name": "vendor", "url": "https://vendor.example/report/1"}}})
	r := &Recipient{OrgID: orgB, Member: true, CollectionReader: true, Country: "US"}
	if p.Decide(r, raw).Decision != Whole {
		b.Fatal("not whole")
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		p.Decide(r, raw)
	}
}

func BenchmarkDecideRedact(b *testing.B) {
	p := mustPolicy(b)
	raw := indicator(b, map[string]any{"object_marking_refs": []string{TLP2Green},
		"granular_markings": []any{
			map[string]any{"marking_ref": TLP2Red, "selectors": []string{"description", "labels.[0]"}},
			map[string]any{"marking_ref": TLP2Green, "selectors": []string{"labels.[2]"}},
		}})
	r := &Recipient{OrgID: orgB, Member: true}
	if p.Decide(r, raw).Decision != Redacted {
		b.Fatal("not redacted")
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		p.Decide(r, raw)
	}
}
