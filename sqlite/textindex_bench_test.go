package sqlite

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkTextAutomerge indexes indicator-like names and descriptions
// into object_text, with the derived file's schema and DSN, in
// transactions of textBatchRows rows, for several FTS5 automerge
// settings; ns/op is per row, ms/search the time of a search for a word
// most rows hold. b.N sets the index's size, so compare settings at one
// -benchtime (1000000x for bench/README.md's figures). The rows are made
// with the timer stopped.
func BenchmarkTextAutomerge(b *testing.B) {
	words := strings.Fields(`phishing campaign command control server botnet loader dropper payload
		installer ransomware banking trojan energy sector finance healthcare government credential harvesting
		exploit kit malicious domain address download observed reported member organizations sinkhole
		infrastructure actor intrusion lateral movement persistence exfiltration scanning beacon`)
	for _, automerge := range []int{4, textAutomerge, 16} {
		b.Run("automerge="+strconv.Itoa(automerge), func(b *testing.B) {
			w, err := sql.Open("sqlite", derivedDSN(filepath.Join(b.TempDir(), DerivedFileName)))
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			w.SetMaxOpenConns(1)
			if _, err := w.Exec(derivedSchema); err != nil {
				b.Fatal(err)
			}
			if _, err := w.Exec(`INSERT INTO object_text (object_text, rank) VALUES ('automerge', ?)`, automerge); err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			text := func(n int, unique string) string {
				var sb strings.Builder
				for range n {
					sb.WriteString(words[r.IntN(len(words))])
					sb.WriteByte(' ')
				}
				sb.WriteString(unique)
				return sb.String()
			}
			n := b.N
			type textRow struct{ name, description string }
			rows := make([]textRow, textBatchRows)
			b.ResetTimer()
			for start := 0; start < n; start += textBatchRows {
				b.StopTimer()
				rows = rows[:min(textBatchRows, n-start)]
				for i := range rows {
					ip := fmt.Sprintf("%d.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(256))
					rows[i] = textRow{text(3, ip), text(30, fmt.Sprintf("%016x", r.Uint64()))}
				}
				b.StartTimer()
				tx, err := w.Begin()
				if err != nil {
					b.Fatal(err)
				}
				st, err := tx.Prepare(insertTextSQL)
				if err != nil {
					b.Fatal(err)
				}
				for i, row := range rows {
					if _, err := st.Exec(start+i+1, row.name, row.description); err != nil {
						b.Fatal(err)
					}
				}
				st.Close()
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			// What the setting costs searches: a common word, found in
			// most rows.
			b.StopTimer()
			const searches = 50
			t0 := time.Now()
			for i := range searches {
				var hits int
				if err := w.QueryRow(`SELECT count(*) FROM object_text WHERE object_text MATCH ?`, words[i%len(words)]).Scan(&hits); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(t0).Microseconds())/1000/searches, "ms/search")
		})
	}
}
