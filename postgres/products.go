package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
)

const productColumns = `id, source_id, source_version, collection, raw, author_org, author_key,
	status, approver_key, relationship_id, created, decided`

// CreateProduct stores p as a draft, filling an empty p.ID with a new UUID,
// p.Status and p.Created (kept to the microsecond). EINVALID for an empty
// source, collection, author or object; ECONFLICT for a taken id.
func (db *DB) CreateProduct(ctx context.Context, p *tearline.Product) (err error) {
	defer wrap(&err, "create product %q", p.ID)
	switch {
	case p.SourceID == "":
		return tearline.Errorf(tearline.EINVALID, "product source id is empty")
	case p.CollectionID == "":
		return tearline.Errorf(tearline.EINVALID, "product collection is empty")
	case p.AuthorOrg == "" || p.AuthorKey == "":
		return tearline.Errorf(tearline.EINVALID, "product author is empty")
	case len(p.Raw) == 0:
		return tearline.Errorf(tearline.EINVALID, "product object is empty")
	}
	if p.ID == "" {
		p.ID = uuid.NewString()
	}
	p.Status = tearline.ProductDraft
	p.ApproverKey, p.RelationshipID, p.Decided = "", "", time.Time{}
	p.Created = now()
	tag, err := db.pool.Exec(ctx, `INSERT INTO products (id, source_id, source_version, collection, raw,
		author_org, author_key, status, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO NOTHING`,
		p.ID, p.SourceID, p.SourceVersion, p.CollectionID, p.Raw, p.AuthorOrg, p.AuthorKey, p.Status, p.Created)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tearline.Errorf(tearline.ECONFLICT, "product id %s is taken", p.ID)
	}
	return nil
}

// scanProduct reads one row of productColumns.
func scanProduct(row pgx.Row) (*tearline.Product, error) {
	var (
		p       tearline.Product
		decided *time.Time
	)
	if err := row.Scan(&p.ID, &p.SourceID, &p.SourceVersion, &p.CollectionID, &p.Raw, &p.AuthorOrg, &p.AuthorKey,
		&p.Status, &p.ApproverKey, &p.RelationshipID, &p.Created, &decided); err != nil {
		return nil, err
	}
	p.Created = p.Created.UTC()
	p.Decided = fromNull(decided)
	return &p, nil
}

// FindProduct returns a product by id. ENOTFOUND when there is none.
func (db *DB) FindProduct(ctx context.Context, id string) (_ *tearline.Product, err error) {
	defer wrap(&err, "find product %q", id)
	p, err := scanProduct(db.pool.QueryRow(ctx, `SELECT `+productColumns+` FROM products WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no product %q", id)
	}
	return p, err
}

// Products returns the products of a collection ("" for all) with the given
// status ("" for any), oldest first.
func (db *DB) Products(ctx context.Context, collectionID, status string) (_ []*tearline.Product, err error) {
	defer wrap(&err, "list products")
	rows, err := db.pool.Query(ctx, `SELECT `+productColumns+` FROM products
		WHERE ($1 = '' OR collection = $1) AND ($2 = '' OR status = $2)
		ORDER BY created, seq`, collectionID, status)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (*tearline.Product, error) {
		return scanProduct(row)
	})
}

// DecideProduct moves the draft with p.ID to p.Status (approved or
// rejected), recording p.ApproverKey, p.RelationshipID and the decision
// time, filled in p.Decided. Only a draft can be decided, once: ECONFLICT
// when it was decided already; ENOTFOUND when there is no such product;
// EINVALID for another status or an empty approver.
func (db *DB) DecideProduct(ctx context.Context, p *tearline.Product) (err error) {
	defer wrap(&err, "decide product %q", p.ID)
	if p.Status != tearline.ProductApproved && p.Status != tearline.ProductRejected {
		return tearline.Errorf(tearline.EINVALID, "product %s: a decision is %q or %q, not %q",
			p.ID, tearline.ProductApproved, tearline.ProductRejected, p.Status)
	}
	if p.ApproverKey == "" {
		return tearline.Errorf(tearline.EINVALID, "product %s: the approver is empty", p.ID)
	}
	decided := now()
	was, err := decideOnce(ctx, db.pool, `UPDATE products SET status = $2, approver_key = $3, relationship_id = $4,
		decided = $5 WHERE id = $1 AND status = $6 RETURNING id`, `SELECT status FROM products WHERE id = $1`,
		p.ID, p.Status, p.ApproverKey, p.RelationshipID, decided, tearline.ProductDraft)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return tearline.Errorf(tearline.ENOTFOUND, "no product %q", p.ID)
	case err != nil:
		return err
	case was != "":
		return tearline.Errorf(tearline.ECONFLICT, "product %s was %s already", p.ID, was)
	}
	p.Decided = decided
	return nil
}
