package normalize

import "testing"

func TestEqualIgnoringSpace(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{`{"a":1}`, `{"a":1}`, true},
		{`{"a":1}`, "{\n  \"a\" : 1\r\n}\t ", true},
		{`{"a":[1,2]}`, `{ "a" : [ 1 , 2 ] }`, true},
		{`{"a":"x y"}`, `{"a":"x  y"}`, false},
		{`{"a":"x y"}`, `{"a":"xy"}`, false},
		{`{"a":"\" "}`, `{"a":"\"  "}`, false},
		{`{"a":"\\" , "b":1}`, `{"a":"\\","b":1}`, true},
		{`{"a":"\\\" x"}`, `{"a":"\\\"x"}`, false},
		{`{"a":1}`, `{"a":2}`, false},
		{`{"a":1}`, `{"a":1,"b":2}`, false},
		{`{"a":10}`, `{"a":1 0}`, true}, // invalid JSON; never stored
		{`{"a":1,"b":2}`, `{"b":2,"a":1}`, false},
		{``, ` `, true},
	}
	for _, tt := range tests {
		if got := EqualIgnoringSpace([]byte(tt.a), []byte(tt.b)); got != tt.want {
			t.Errorf("EqualIgnoringSpace(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := EqualIgnoringSpace([]byte(tt.b), []byte(tt.a)); got != tt.want {
			t.Errorf("EqualIgnoringSpace(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}
