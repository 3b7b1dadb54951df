package persistence

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ticketblitz/ticketblitz/actors"
)

// ErrDoubleSale means the database refused to sell a seat that a confirmed order already
// holds: the tickets_one_sale_per_seat index, the last net under every other layer,
// caught a bug above it. The batch that tried changed nothing.
var ErrDoubleSale = errors.New("double sale prevented: seat already sold")

// The SQLSTATE codes and index names classify recognises.
const (
	sqlStateUniqueViolation = "23505"
	sqlStateCheckViolation  = "23514"
	sqlStateForeignKey      = "23503"
	sqlStateNotNull         = "23502"
	oneSalePerSeatIndex     = "tickets_one_sale_per_seat"
)

// classify turns a driver error from operation op into one the rest of the program can
// act on, so that no SQLSTATE leaves this package. It returns nil for nil.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, actors.ErrFenced) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return fmt.Errorf("%s: %w", op, err)
	}
	switch pgErr.Code {
	case sqlStateUniqueViolation:
		if pgErr.ConstraintName == oneSalePerSeatIndex {
			return fmt.Errorf("%s: %w: %s", op, ErrDoubleSale, pgErr.Detail)
		}
		return fmt.Errorf("%s: unique constraint %s violated: %s", op, pgErr.ConstraintName, pgErr.Detail)
	case sqlStateCheckViolation:
		return fmt.Errorf("%s: check constraint %s on %s violated", op, pgErr.ConstraintName, pgErr.TableName)
	case sqlStateForeignKey:
		return fmt.Errorf("%s: foreign key %s violated: %s", op, pgErr.ConstraintName, pgErr.Detail)
	case sqlStateNotNull:
		return fmt.Errorf("%s: column %s.%s must not be null", op, pgErr.TableName, pgErr.ColumnName)
	}
	return fmt.Errorf("%s: postgres %s: %s", op, pgErr.Code, pgErr.Message)
}
