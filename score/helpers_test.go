package score

import (
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

type jsonRaw = jsontext.Value

func unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
