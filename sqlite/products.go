package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

var _ tearline.Products = (*DB)(nil)

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
	p.Created = time.Now().UTC().Truncate(time.Microsecond)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO products (`+productColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, 0) ON CONFLICT (id) DO NOTHING`,
			p.ID, p.SourceID, p.SourceVersion, p.CollectionID, p.Raw, p.AuthorOrg, p.AuthorKey,
			p.Status, micros(p.Created))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ECONFLICT, "product id %s is taken", p.ID)
		}
		return nil
	})
}

// scanProduct reads one row of productColumns.
func scanProduct(row interface{ Scan(...any) error }) (*tearline.Product, error) {
	var (
		p                tearline.Product
		created, decided int64
	)
	if err := row.Scan(&p.ID, &p.SourceID, &p.SourceVersion, &p.CollectionID, &p.Raw, &p.AuthorOrg, &p.AuthorKey,
		&p.Status, &p.ApproverKey, &p.RelationshipID, &created, &decided); err != nil {
		return nil, err
	}
	p.Created = fromMicros(created)
	if decided != 0 {
		p.Decided = fromMicros(decided)
	}
	return &p, nil
}

// FindProduct returns a product by id. ENOTFOUND when there is none.
func (db *DB) FindProduct(ctx context.Context, id string) (_ *tearline.Product, err error) {
	defer wrap(&err, "find product %q", id)
	p, err := scanProduct(db.r.QueryRowContext(ctx, `SELECT `+productColumns+` FROM products WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no product %q", id)
	}
	return p, err
}

// Products returns the products of a collection ("" for all) with the given
// status ("" for any), oldest first.
func (db *DB) Products(ctx context.Context, collectionID, status string) (_ []*tearline.Product, err error) {
	defer wrap(&err, "list products")
	rows, err := db.r.QueryContext(ctx, `SELECT `+productColumns+` FROM products
		WHERE (?1 = '' OR collection = ?1) AND (?2 = '' OR status = ?2)
		ORDER BY created, id`, collectionID, status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []*tearline.Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
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
	decided := time.Now().UTC().Truncate(time.Microsecond)
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE products SET status = ?, approver_key = ?, relationship_id = ?, decided = ?
			WHERE id = ? AND status = ?`,
			p.Status, p.ApproverKey, p.RelationshipID, micros(decided), p.ID, tearline.ProductDraft)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			return nil
		}
		var status string
		err = tx.QueryRow(`SELECT status FROM products WHERE id = ?`, p.ID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no product %q", p.ID)
		} else if err != nil {
			return err
		}
		return tearline.Errorf(tearline.ECONFLICT, "product %s was %s already", p.ID, status)
	})
	if err == nil {
		p.Decided = decided
	}
	return err
}
