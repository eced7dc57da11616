package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/tearline/tearline"
)

// postPII is the PII policy of the TAXII workloads' collection: "none" (no
// scanning), or redact, review or reject, which scan every posted object
// (the generated indicators hold no personal data, so all are stored).
// With -post-pii-identifiers the scan also reads the identifiers of
// mailboxes and accounts, indicator patterns included: the most work.
var (
	postPII            = flag.String("post-pii", "none", "PII policy of the TAXII workloads' collection: none, redact, review or reject")
	postPIIIdentifiers = flag.Bool("post-pii-identifiers", false, "with -post-pii, also flag mailbox and account identifiers")
)

// setPostPII sets the -post-pii policy on collection id.
func setPostPII(ctx context.Context, db tearline.PIIPolicies, id string) error {
	action, err := tearline.ParsePIIAction(*postPII)
	if err != nil {
		return fmt.Errorf("-post-pii: %w", err)
	}
	return db.SetPIIPolicy(ctx, id, tearline.PIIPolicy{Action: action, FlagIdentifiers: *postPIIIdentifiers})
}
