package stix

import "testing"

func TestDigest(t *testing.T) {
	t.Parallel()
	same := []struct{ a, b string }{
		{`{"a":1,"b":"x"}`, `{ "b" : "x",
		  "a" : 1 }`},
		{`{"n":1.0}`, `{"n":1}`},
		{`{"n":1e2}`, `{"n":100}`},
		{`{"n":-0}`, `{"n":0}`},
		{`{"s":"\u0041"}`, `{"s":"A"}`},
		{`{"l":[{"y":2,"x":1}]}`, `{"l":[{"x":1,"y":2}]}`},
	}
	for _, tc := range same {
		if digestOf(t, tc.a) != digestOf(t, tc.b) {
			t.Errorf("%s and %s: different digests, want equal", tc.a, tc.b)
		}
	}
	differ := []struct{ a, b string }{
		{`{"a":1}`, `{"a":2}`},
		{`{"a":"1"}`, `{"a":1}`},
		{`{"a":[1,2]}`, `{"a":[2,1]}`},
		{`{"a":null}`, `{"a":false}`},
		{`{"ab":"c"}`, `{"a":"bc"}`},
		{`{"a":["b","c"]}`, `{"a":["bc"]}`},
		{`{"a":{}}`, `{"a":[]}`},
		{`{"n":1.5}`, `{"n":1.50001}`},
	}
	for _, tc := range differ {
		if digestOf(t, tc.a) == digestOf(t, tc.b) {
			t.Errorf("%s and %s: equal digests, want different", tc.a, tc.b)
		}
	}
}

func digestOf(t *testing.T, s string) [32]byte {
	t.Helper()
	v, err := ParseValue([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return Digest(&v)
}
